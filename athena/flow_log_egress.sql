-- Internet egress bytes of the in-scope ALBs' ENIs for UTC day D (docs/DESIGN.md §3), per ENI and
-- per flow log that recorded it: egress, counted traffic paths, ACCEPT, log-status OK, record start
-- in [D, D+1), from the D and D+1 partitions of every format's table. Compare takes each ENI's
-- bytes from one flow log (two flow logs on one VPC count the same bytes twice) and sums the ALB.
-- SKIPDATA records of the same ENIs are counted: they mean records were lost. Damaged records are
-- counted, never summed. Records of other ENIs end in one row per flow log, account and region
-- (NULL interface): the day's lines and damaged lines of the folders, for the damage share.
-- Bytes to AWS public IPs are split out by pkt-dst-aws-service ('-' - NULL locally - for other
-- addresses; NULL without the field): to CloudFront edges (origin fetches are free, not
-- DataTransfer-Out-Bytes) and to other AWS services (inter-region transfer on the bill).
-- The text is the same size whatever the number of ENIs.
WITH records AS (
{{records}}
),
per_interface AS (
  SELECT
    interface_id,
    flow_log_id,
    account_id,
    region,
    COALESCE(SUM(CASE WHEN NOT damaged AND out_through_the_gateway AND dst_service = '-' THEN bytes END), 0)
      AS egress_bytes,
    COALESCE(SUM(CASE WHEN NOT damaged AND out_through_the_gateway AND dst_service = 'CLOUDFRONT' THEN bytes END), 0)
      AS cloudfront_bytes,
    COALESCE(
      SUM(CASE WHEN NOT damaged AND out_through_the_gateway AND dst_service NOT IN ('-', 'CLOUDFRONT') THEN bytes END), 0
    ) AS aws_service_bytes,
    COUNT_IF(NOT damaged AND log_status = 'SKIPDATA') AS skipdata_records,
    COUNT_IF(NOT damaged) AS records,
    COUNT_IF(damaged) AS damaged_records,
    COUNT_IF(NOT damaged AND egress AND log_status = 'OK') AS egress_records,
    COUNT_IF(NOT damaged AND egress AND log_status = 'OK' AND with_traffic_path) AS egress_with_traffic_path
  FROM records
  GROUP BY 1, 2, 3, 4
),
day_enis AS (
  SELECT e.interface_id, e.load_balancer_arn
  FROM {{enis_table}} AS e
  WHERE e."date" = {{day}}
)
SELECT
  e.load_balancer_arn,
  e.interface_id,
  p.flow_log_id,
  p.account_id,
  p.region,
  SUM(p.egress_bytes) AS egress_bytes,
  SUM(p.cloudfront_bytes) AS cloudfront_bytes,
  SUM(p.aws_service_bytes) AS aws_service_bytes,
  SUM(p.skipdata_records) AS skipdata_records,
  SUM(p.records) AS records,
  SUM(p.damaged_records) AS damaged_records,
  SUM(p.egress_records) AS egress_records,
  SUM(p.egress_with_traffic_path) AS egress_with_traffic_path
FROM per_interface AS p
LEFT JOIN day_enis AS e
  ON p.interface_id = e.interface_id
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
