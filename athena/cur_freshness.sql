-- How far the CUR's billing period of day D reaches (D is covered once usage ending at or after
-- D+1 00:00 has been delivered), and whether its ALB data transfer has resource ids at all.
SELECT
  MAX(line_item_usage_end_date) AS covered_until,
  COUNT(*) AS line_items,
  COUNT_IF(line_item_product_code = 'AWSELB'
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?DataTransfer-Out-Bytes$')) AS elb_transfer_rows,
  COUNT_IF(line_item_product_code = 'AWSELB'
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?DataTransfer-Out-Bytes$')
    AND COALESCE(line_item_resource_id, '') <> '') AS elb_transfer_rows_with_resource_id
FROM {{table}}
WHERE {{billing_period}}
