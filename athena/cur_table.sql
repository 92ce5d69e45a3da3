-- The Cost and Usage Report (Parquet), for accounts without the CUR crawler's table: the legacy
-- CUR's Athena-integration layout (year/month partitions) or CUR 2.0's (billing_period). Only the
-- columns the reconciliation reads; Parquet columns are read by name, the line_item_* names are
-- the same in both, but the region is `product_region` in the legacy CUR and `product_region_code`
-- in CUR 2.0. Resource ids need "Include resource IDs" / INCLUDE_RESOURCES=TRUE.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  `identity_line_item_id` string,
  `identity_time_interval` string,
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
  `line_item_net_unblended_cost` double,
  `pricing_unit` string,
  {{region_column}} string
)
PARTITIONED BY (
  {{partition_columns}}
)
STORED AS PARQUET
LOCATION {{location}}
