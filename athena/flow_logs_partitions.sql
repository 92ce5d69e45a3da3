-- Day D and D+1 folders: records of late D are delivered (and foldered) on D+1.
ALTER TABLE {{table}} ADD IF NOT EXISTS
  PARTITION (`date` = {{day}}) LOCATION {{day_location}}
  PARTITION (`date` = {{next_day}}) LOCATION {{next_day_location}}
