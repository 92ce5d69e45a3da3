-- Internet egress bytes per in-scope ALB for UTC day D (DESIGN §3): egress, counted traffic
-- paths, ACCEPT, log-status OK, record start in [D, D+1), on the ENIs the day's ENI table gives
-- the ALB. Reads the D and D+1 flow-log partitions only. SKIPDATA records of the same ENIs are
-- counted: they mean records were lost. The text is the same size whatever the number of ENIs.
-- Bytes to AWS public IPs are split out by pkt-dst-aws-service ('-' - NULL locally - for other
-- addresses; NULL without the field): to CloudFront edges (origin fetches are free, not
-- DataTransfer-Out-Bytes) and to other AWS services (inter-region transfer on the bill), so that
-- internet bytes are compared with internet billing.
WITH records AS (
  SELECT
    e.load_balancer_arn,
    f.bytes,
    f.log_status,
    (f.flow_direction = 'egress'
     AND f.traffic_path IN ({{traffic_paths}})
     AND f.action = 'ACCEPT'
     AND f.log_status = 'OK') AS out_through_the_gateway,
    COALESCE({{dst_service}}, '-') AS dst_service
  FROM {{flow_table}} AS f
  JOIN {{enis_table}} AS e
    ON f.interface_id = e.interface_id
  WHERE f."date" IN ({{day}}, {{next_day}})
    AND e."date" = {{day}}
    AND f."start" >= {{start_epoch}}
    AND f."start" < {{end_epoch}}
)
SELECT
  load_balancer_arn,
  COALESCE(SUM(CASE WHEN out_through_the_gateway AND dst_service = '-' THEN bytes END), 0) AS egress_bytes,
  COALESCE(SUM(CASE WHEN out_through_the_gateway AND dst_service = 'CLOUDFRONT' THEN bytes END), 0)
    AS cloudfront_bytes,
  COALESCE(SUM(CASE WHEN out_through_the_gateway AND dst_service NOT IN ('-', 'CLOUDFRONT') THEN bytes END), 0)
    AS aws_service_bytes,
  COUNT_IF(log_status = 'SKIPDATA') AS skipdata_records,
  COUNT(*) AS records
FROM records
GROUP BY load_balancer_arn
ORDER BY load_balancer_arn
