-- ALB internet egress billed for UTC day D, per load balancer ARN (docs/DESIGN.md §3): usage type
-- DataTransfer-Out-Bytes with an optional region prefix (USW2-, EU-, ...) and an optional Local Zone
-- or Outposts segment (USW2-LAX1-, USE1-Outposts-; the ELB billing-codes page shows region-Outposts-
-- codes for ALBs, the Local Zone form is taken by analogy), line item type Usage, usage start in
-- [D, D+1), on a line whose resource id is the ALB's ARN - whatever the product code: a real 2019
-- bill carries the ALB's egress under AmazonEC2 (operation LoadBalancing, product_servicecode
-- AWSDataTransfer), current bills under AWSELB (tests/fixtures/real/: both). The ALB-ARN resource
-- id is what makes a line the ALB's.
-- Beside it, for the report, neither of them internet egress on the bill:
--   inter-region: <SRC>-<DST>-AWS-Out-Bytes (to AWS public IPs of another region);
--   same-region public IPs: DataTransfer-Regional-Bytes with operation ...-PublicIP-Out (the same
--   usage type with ...-PublicIP-In is the inbound half, billed too, not egress).
-- Every ALB is returned; the scope applies afterwards, so an ALB billed without any recorded ENI
-- still shows up. Values that cannot be real (negative, NaN, infinite) are not summed but counted
-- (impossible_lines). A line item present more than once (same identity_line_item_id and
-- identity_time_interval: the same line item, certainly) is counted once (duplicate_lines says how
-- many copies were dropped). Lines alike in everything but their id (resource, usage type,
-- operation, hour, amount: a leftover file of another refresh, most likely) cannot be told from
-- real usage: counted (suspect_duplicate_lines), and Compare makes them a run-level problem.
SELECT
  load_balancer_arn,
  COALESCE(SUM(CASE WHEN kind = 'internet' AND counted THEN line_item_usage_amount END), 0) AS usage_gb,
  COALESCE(SUM(CASE WHEN kind = 'internet' AND counted THEN line_item_unblended_cost END), 0) AS unblended_cost,
  -- what an EDP or private-pricing customer pays: the net cost, on bills that carry the column
  -- (absent from the files, Athena reads it as NULL); net_cost_lines says whether every line has it
  SUM(CASE WHEN kind = 'internet' AND counted THEN line_item_net_unblended_cost END) AS net_unblended_cost,
  COUNT_IF(kind = 'internet' AND counted AND line_item_net_unblended_cost IS NOT NULL) AS net_cost_lines,
  COUNT_IF(kind = 'internet' AND counted) AS internet_lines,
  COALESCE(SUM(CASE WHEN kind = 'inter_region' AND counted THEN line_item_usage_amount END), 0) AS inter_region_gb,
  COALESCE(SUM(CASE WHEN kind = 'same_region' AND counted THEN line_item_usage_amount END), 0) AS same_region_gb,
  COUNT_IF(line_copy = 1) AS line_items,
  COUNT_IF(line_copy = 1 AND NOT amount_is_real) AS impossible_lines,
  COUNT_IF(line_copy > 1) AS duplicate_lines,
  COUNT_IF(line_copy = 1) - COUNT(DISTINCT CASE WHEN line_copy = 1 THEN concat(
    kind, '/', COALESCE(line_item_operation, ''), '/', CAST(line_item_usage_start_date AS varchar), '/',
    CAST(line_item_usage_amount AS varchar)) END) AS suspect_duplicate_lines
FROM (
  SELECT
    *,
    line_copy = 1 AND amount_is_real AS counted
  FROM (
    SELECT
      *,
      CASE WHEN identity_line_item_id IS NULL THEN 1 ELSE row_number() OVER (
        PARTITION BY identity_line_item_id, identity_time_interval ORDER BY line_item_usage_amount
      ) END AS line_copy
    FROM (
      SELECT
        line_item_resource_id AS load_balancer_arn,
        line_item_usage_amount,
        line_item_unblended_cost,
        line_item_net_unblended_cost,
        line_item_operation,
        line_item_usage_start_date,
        identity_line_item_id,
        identity_time_interval,
        -- finite and not negative: x - x is 0 for a finite x, NaN for NaN and +-Infinity (a plain
        -- "x < 1e15" let NaN through in DuckDB's Parquet scan)
        COALESCE(line_item_usage_amount >= 0 AND line_item_usage_amount - line_item_usage_amount = 0, false) AS amount_is_real,
        CASE
          WHEN regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')
            THEN 'internet'
          WHEN regexp_like(line_item_usage_type, '-AWS-Out-Bytes$') THEN 'inter_region'
          WHEN regexp_like(line_item_usage_type, 'DataTransfer-Regional-Bytes$')
            AND line_item_operation LIKE '%-Out' THEN 'same_region'
        END AS kind
      FROM {{table}}
      WHERE {{billing_period}}
        AND line_item_line_item_type = 'Usage'
        AND regexp_like(line_item_usage_type, '(DataTransfer-Out-Bytes|-AWS-Out-Bytes|DataTransfer-Regional-Bytes)$')
        AND line_item_resource_id LIKE 'arn:%:elasticloadbalancing:%:loadbalancer/app/%'
        AND line_item_usage_start_date >= {{day_start}}
        AND line_item_usage_start_date < {{day_end}}
    )
    WHERE kind IS NOT NULL
  )
)
GROUP BY load_balancer_arn
ORDER BY load_balancer_arn
