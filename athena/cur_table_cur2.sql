-- CUR 2.0 (Data Exports, Parquet): <prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/.
-- Same line_item_* names as the legacy CUR; resource ids need INCLUDE_RESOURCES=TRUE.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  `identity_line_item_id` string,
  `bill_invoice_id` string,
  `bill_billing_period_start_date` timestamp,
  `line_item_line_item_type` string,
  `line_item_usage_start_date` timestamp,
  `line_item_usage_end_date` timestamp,
  `line_item_product_code` string,
  `line_item_usage_type` string,
  `line_item_operation` string,
  `line_item_resource_id` string,
  `line_item_usage_amount` double,
  `line_item_unblended_rate` string,
  `line_item_unblended_cost` double,
  `pricing_unit` string,
  `product_region` string
)
PARTITIONED BY (`billing_period` string)
STORED AS PARQUET
LOCATION {{location}}
