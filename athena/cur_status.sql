-- Whether the legacy CUR is between refreshes (READY) and so comparable.
SELECT status FROM {{table}}
