-- The legacy CUR's billing period of day D (month not zero-padded).
ALTER TABLE {{table}} ADD IF NOT EXISTS
  PARTITION (`year` = {{year}}, `month` = {{month}}) LOCATION {{location}}
