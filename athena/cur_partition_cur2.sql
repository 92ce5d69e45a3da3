-- CUR 2.0's billing period of day D.
ALTER TABLE {{table}} ADD IF NOT EXISTS
  PARTITION (`billing_period` = {{billing_period}}) LOCATION {{location}}
