-- ALB internet egress billed for UTC day D, per load balancer ARN (DESIGN §3): product AWSELB,
-- usage type DataTransfer-Out-Bytes with an optional region prefix (USW2-, EU-, ...) and an optional
-- Local Zone or Outposts segment (USW2-LAX1-, USE1-Outposts-; the ELB billing-codes page shows
-- region-Outposts- codes for ALBs, the Local Zone form is taken by analogy), line item
-- type Usage, usage start in [D, D+1). Inter-region transfer of the ALB (<SRC>-<DST>-AWS-Out-Bytes)
-- is summed beside it, for the report: it is not internet egress. Every ALB is returned; the
-- scope applies afterwards, so an ALB billed without any recorded ENI still shows up.
SELECT
  load_balancer_arn,
  COALESCE(SUM(CASE WHEN internet THEN line_item_usage_amount END), 0) AS usage_gb,
  COALESCE(SUM(CASE WHEN internet THEN line_item_unblended_cost END), 0) AS unblended_cost,
  COALESCE(SUM(CASE WHEN NOT internet THEN line_item_usage_amount END), 0) AS inter_region_gb,
  COUNT(*) AS line_items
FROM (
  SELECT
    line_item_resource_id AS load_balancer_arn,
    line_item_usage_amount,
    line_item_unblended_cost,
    regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$') AS internet
  FROM {{table}}
  WHERE {{billing_period}}
    AND line_item_product_code = 'AWSELB'
    AND line_item_line_item_type = 'Usage'
    AND regexp_like(line_item_usage_type, '(DataTransfer-Out-Bytes|-AWS-Out-Bytes)$')
    AND line_item_resource_id LIKE 'arn:%:elasticloadbalancing:%:loadbalancer/app/%'
    AND line_item_usage_start_date >= {{day_start}}
    AND line_item_usage_start_date < {{day_end}}
)
GROUP BY load_balancer_arn
ORDER BY load_balancer_arn
