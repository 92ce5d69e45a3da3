-- The day's ENI table (docs/DESIGN.md §2 step 4): the ENIs of in-scope ALBs on day D, written by FindEnis
-- as one CSV object per day, so the flow-log query joins it instead of carrying ENI ids.
CREATE EXTERNAL TABLE IF NOT EXISTS {{table}} (
  `interface_id` string,
  `load_balancer_arn` string,
  `account_id` string,
  `region` string,
  `created_at` string,
  `deleted_at` string
)
PARTITIONED BY (`date` date)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
LOCATION {{location}}
