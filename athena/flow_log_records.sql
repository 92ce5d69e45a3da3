-- One flow-log table's records of UTC day D (docs/DESIGN.md §3), in the shape the egress query sums:
-- the flow log that wrote each record (its id, from the object's name in "$path"), and whether the
-- record can be real. Records that cannot be (a line that does not parse - Athena reads a field
-- that is not a number as NULL -, negative counts, more bytes than the packets or the interval
-- can carry, a start that is no Unix time of the flow-logs era) are marked damaged: counted, not
-- summed. D's own folder's damaged records count even when their start cannot be read.
-- Files of flow logs with another format in the same folders are left to their own table. Of D+1's
-- daily folder only the files stamped before D+1 01:00 are read (their names say when; "$path"
-- ranges, which Athena prunes files with): records of D end by D+1 00:10 and are in those files.
SELECT
  f.interface_id,
  NULLIF(regexp_extract(f."$path", '_(fl-[0-9a-z]+)_[0-9]{8}T[0-9]{4}Z_[0-9a-z]+[.]log[.]', 1), '')
    AS flow_log_id,
  f.aws_account_id AS account_id,
  f.aws_region AS region,
  f.bytes,
  f.log_status,
  (f.flow_direction = 'egress'
   AND f.traffic_path IN ({{traffic_paths}})
   AND f.action = 'ACCEPT'
   AND f.log_status = 'OK') AS out_through_the_gateway,
  COALESCE({{dst_service}}, '-') AS dst_service,
  NOT COALESCE(
    f.interface_id LIKE 'eni-%'
    AND f."start" BETWEEN {{first_epoch}} AND {{last_epoch}}
    AND f.log_status IN ('OK', 'NODATA', 'SKIPDATA')
    AND (f.log_status <> 'OK' OR (
      f.bytes >= 0
      AND f.flow_direction IN ('ingress', 'egress')
      AND f.action IN ('ACCEPT', 'REJECT')
      {{record_bounds}}
    )),
    FALSE
  ) AS damaged,
  -- fields a Parquet file may lack (text files name theirs in the header line)
  (f.flow_direction = 'egress') AS egress,
  (f.traffic_path IS NOT NULL) AS with_traffic_path
FROM {{flow_table}} AS f
WHERE f."date" IN ({{day}}, {{next_day}})
  AND (
    (f."start" >= {{start_epoch}} AND f."start" < {{end_epoch}})
    OR (f."date" = {{day}} AND NOT COALESCE(f."start" BETWEEN {{first_epoch}} AND {{last_epoch}}, FALSE))
  )
  AND {{files}}
  {{other_formats}}
