-- VPC Flow Logs delivered in Parquet format; partitions as in flow_logs_table.sql.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  {{columns}}
)
PARTITIONED BY (
  {{partition_columns}}
)
STORED AS PARQUET
LOCATION {{location}}
