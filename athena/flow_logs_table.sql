-- VPC Flow Logs in text format (gzip, space-separated, header line), as AWS delivers them.
-- The column list follows FlowLogFormat's field order; one partition per delivery day folder.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  {{columns}}
)
PARTITIONED BY (`date` date)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
LOCATION {{location}}
TBLPROPERTIES ("skip.header.line.count"="1")
