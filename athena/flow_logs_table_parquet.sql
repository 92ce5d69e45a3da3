-- VPC Flow Logs delivered in Parquet format; one partition per delivery day folder.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  {{columns}}
)
PARTITIONED BY (`date` date)
STORED AS PARQUET
LOCATION {{location}}
