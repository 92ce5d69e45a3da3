-- Day D's ENI table object.
ALTER TABLE {{table}} ADD IF NOT EXISTS
  PARTITION (`date` = {{day}}) LOCATION {{location}}
