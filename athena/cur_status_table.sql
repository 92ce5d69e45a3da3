-- The legacy CUR's refresh status (Athena integration): one row, `status` READY or UPDATING, in
-- <prefix>/<report>/cost_and_usage_data_status/. AWS: while a refresh is in progress Athena may
-- read old and new data mixed (create-manual-cur-table.html).
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  `status` string
)
STORED AS PARQUET
LOCATION {{location}}
