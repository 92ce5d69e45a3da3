-- VPC Flow Logs in text format (gzip, space-separated, header line), as AWS delivers them, for
-- every account and region of the bucket: one partition per (account, region, delivery day[, hour])
-- folder, each added with its own LOCATION, so one table serves every S3 layout. The column list
-- follows FlowLogFormat's field order; the table's name carries a hash of its definition.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  {{columns}}
)
PARTITIONED BY (
  {{partition_columns}}
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
LOCATION {{location}}
TBLPROPERTIES ("skip.header.line.count"="1")
