-- Internet egress bytes per ENI for UTC day D (DESIGN §3): egress, counted traffic paths,
-- ACCEPT, log-status OK, record start in [D, D+1). Reads the D and D+1 partitions only.
-- SKIPDATA records of the same ENIs are counted: they mean records were lost.
SELECT
  interface_id,
  COALESCE(SUM(CASE
    WHEN flow_direction = 'egress'
     AND traffic_path IN ({{traffic_paths}})
     AND action = 'ACCEPT'
     AND log_status = 'OK'
    THEN bytes END), 0) AS egress_bytes,
  COUNT_IF(log_status = 'SKIPDATA') AS skipdata_records,
  COUNT(*) AS records
FROM {{table}}
WHERE "date" IN ({{day}}, {{next_day}})
  AND interface_id IN ({{eni_ids}})
  AND "start" >= {{start_epoch}}
  AND "start" < {{end_epoch}}
GROUP BY interface_id
ORDER BY interface_id
