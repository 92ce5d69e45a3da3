-- ALB internet egress billed for UTC day D, per load balancer ARN (DESIGN §3): product AWSELB,
-- usage type DataTransfer-Out-Bytes with an optional region prefix (USW2-, EU-, ...) and an optional
-- Local Zone or Outposts segment (USW2-LAX1-, USE1-Outposts-; the ELB billing-codes page shows
-- region-Outposts- codes for ALBs, the Local Zone form is taken by analogy), line item
-- type Usage, usage start in [D, D+1). Every ALB is returned; the watch list applies afterwards,
-- so an ALB billed without any recorded ENI still shows up.
SELECT
  line_item_resource_id AS load_balancer_arn,
  SUM(line_item_usage_amount) AS usage_gb,
  SUM(line_item_unblended_cost) AS unblended_cost,
  COUNT(*) AS line_items
FROM {{table}}
WHERE {{billing_period}}
  AND line_item_product_code = 'AWSELB'
  AND line_item_line_item_type = 'Usage'
  AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')
  AND line_item_resource_id LIKE 'arn:%:elasticloadbalancing:%:loadbalancer/app/%'
  AND line_item_usage_start_date >= {{day_start}}
  AND line_item_usage_start_date < {{day_end}}
GROUP BY line_item_resource_id
ORDER BY line_item_resource_id
