-- Legacy Cost and Usage Report (Parquet, Athena integration layout), for accounts without the
-- CUR crawler's table. Only the columns the reconciliation reads; Parquet is read by name.
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
PARTITIONED BY (`year` string, `month` string)
STORED AS PARQUET
LOCATION {{location}}
