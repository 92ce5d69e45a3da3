-- VPC Flow Logs in text format (gzip, space-separated), as AWS delivers them, for every account
-- and region of the bucket: one partition per (account, region, delivery day[, hour]) folder, each
-- added with its own LOCATION, so one table serves every S3 layout. One table per format the
-- night found in the files (docs/DESIGN.md §3): the column list is that format's field order (the
-- files' header line; FlowLogFormat for files without one), the name carries a hash of it.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  {{columns}}
)
PARTITIONED BY (
  {{partition_columns}}
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
LOCATION {{location}}
TBLPROPERTIES ("skip.header.line.count"="{{header_lines}}")
