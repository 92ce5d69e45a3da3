-- How far the CUR reaches, from usage lines that run by the hour or the day: D is covered once a
-- usage line starting at or after D+1 00:00 has been delivered (at month end, in the next billing
-- period). Monthly fee, tax and RI lines span the month from its first delivery and say nothing.
-- Also: are there such lines at all (a MONTHLY report has none), and does the ALB data transfer
-- have resource ids.
SELECT
  MAX(CASE
    WHEN line_item_line_item_type = 'Usage'
     AND line_item_usage_end_date <= line_item_usage_start_date + INTERVAL '1' DAY
    THEN line_item_usage_start_date END) AS covered_until,
  COUNT(*) AS line_items,
  COUNT_IF(line_item_line_item_type = 'Usage') AS usage_lines,
  COUNT_IF(line_item_line_item_type = 'Usage'
    AND line_item_usage_end_date <= line_item_usage_start_date + INTERVAL '1' DAY) AS daily_usage_lines,
  -- ELB's data transfer is an ELB line by product (AWSELB) or, on older bills billed under
  -- AmazonEC2, by operation (LoadBalancing...): tests/fixtures/real/.
  COUNT_IF((line_item_product_code = 'AWSELB' OR line_item_operation LIKE 'LoadBalancing%')
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')) AS elb_transfer_rows,
  COUNT_IF((line_item_product_code = 'AWSELB' OR line_item_operation LIKE 'LoadBalancing%')
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')
    AND COALESCE(line_item_resource_id, '') <> '') AS elb_transfer_rows_with_resource_id,
  -- ...whose resource id is not an ELB ARN at all (upper-cased, a bare name): no ALB can match it
  COUNT_IF((line_item_product_code = 'AWSELB' OR line_item_operation LIKE 'LoadBalancing%')
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')
    AND COALESCE(line_item_resource_id, '') <> ''
    AND NOT regexp_like(line_item_resource_id, '^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/')) AS elb_transfer_rows_not_arns,
  MIN(CASE WHEN (line_item_product_code = 'AWSELB' OR line_item_operation LIKE 'LoadBalancing%')
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')
    AND COALESCE(line_item_resource_id, '') <> ''
    AND NOT regexp_like(line_item_resource_id, '^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/')
    THEN line_item_resource_id END) AS example_resource_id_not_arn,
  -- the columns every CUR line has: a table over something else (a FOCUS export) has none of them
  COUNT(line_item_line_item_type) AS with_line_item_type,
  COUNT(line_item_usage_type) AS with_usage_type,
  COUNT(line_item_usage_start_date) AS with_usage_start_date,
  COUNT(line_item_usage_amount) AS with_usage_amount
FROM {{table}}
WHERE {{billing_period}}
