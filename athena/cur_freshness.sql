-- How far the CUR's billing period of day D reaches: D is covered once usage ending at or
-- after D+1 00:00 has been delivered.
SELECT
  MAX(line_item_usage_end_date) AS covered_until,
  COUNT(*) AS line_items
FROM {{table}}
WHERE {{billing_period}}
