-- Whether the legacy CUR is between refreshes and so comparable: one row, READY, or the status of
-- a refresh in progress (the state machine reads row 1 and waits once before reading the bill).
SELECT COALESCE(MAX(CASE WHEN UPPER(status) <> 'READY' THEN status END), 'READY') AS status
FROM {{table}}
