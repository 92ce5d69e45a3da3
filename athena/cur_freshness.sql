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
  COUNT_IF(line_item_product_code = 'AWSELB'
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')) AS elb_transfer_rows,
  COUNT_IF(line_item_product_code = 'AWSELB'
    AND regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')
    AND COALESCE(line_item_resource_id, '') <> '') AS elb_transfer_rows_with_resource_id
FROM {{table}}
WHERE {{billing_period}}
