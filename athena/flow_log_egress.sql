-- Internet egress bytes per in-scope ALB for UTC day D (docs/DESIGN.md §3): egress, counted traffic
-- paths, ACCEPT, log-status OK, record start in [D, D+1), on the ENIs the day's ENI table gives
-- the ALB. Reads the D and D+1 flow-log partitions only. SKIPDATA records of the same ENIs are
-- counted: they mean records were lost. The text is the same size whatever the number of ENIs.
-- Bytes to AWS public IPs are split out by pkt-dst-aws-service ('-' - NULL locally - for other
-- addresses; NULL without the field): to CloudFront edges (origin fetches are free, not
-- DataTransfer-Out-Bytes) and to other AWS services (inter-region transfer on the bill), so that
-- internet bytes are compared with internet billing.
-- The records are summed per ENI (and per kind of record) before the join: the join and the
-- per-ALB sums then see a few rows per ENI instead of every record, and group on the short ENI
-- id instead of the ALB's ARN. Each sum is the same as summing the joined records.
WITH per_interface AS (
  SELECT
    f.interface_id,
    (f.flow_direction = 'egress'
     AND f.traffic_path IN ({{traffic_paths}})
     AND f.action = 'ACCEPT'
     AND f.log_status = 'OK') AS out_through_the_gateway,
    COALESCE({{dst_service}}, '-') AS dst_service,
    SUM(f.bytes) AS bytes,
    COUNT_IF(f.log_status = 'SKIPDATA') AS skipdata_records,
    COUNT(*) AS records
  FROM {{flow_table}} AS f
  WHERE f."date" IN ({{day}}, {{next_day}})
    AND f."start" >= {{start_epoch}}
    AND f."start" < {{end_epoch}}
  GROUP BY 1, 2, 3
)
SELECT
  e.load_balancer_arn,
  COALESCE(SUM(CASE WHEN p.out_through_the_gateway AND p.dst_service = '-' THEN p.bytes END), 0)
    AS egress_bytes,
  COALESCE(SUM(CASE WHEN p.out_through_the_gateway AND p.dst_service = 'CLOUDFRONT' THEN p.bytes END), 0)
    AS cloudfront_bytes,
  COALESCE(
    SUM(CASE WHEN p.out_through_the_gateway AND p.dst_service NOT IN ('-', 'CLOUDFRONT') THEN p.bytes END), 0
  ) AS aws_service_bytes,
  SUM(p.skipdata_records) AS skipdata_records,
  SUM(p.records) AS records
FROM per_interface AS p
JOIN {{enis_table}} AS e
  ON p.interface_id = e.interface_id
WHERE e."date" = {{day}}
GROUP BY e.load_balancer_arn
ORDER BY e.load_balancer_arn
