-- CUR 2.0 has no status table: its Manifest.json, written after a delivery's data files, names
-- the delivery the night reads, so what is read is always a complete delivery.
SELECT 'READY' AS status
