-- Partitions the night needs, each with its own LOCATION: the flow-log folders of day D and D+1
-- (records of late D are foldered on D+1; with per-hour folders D's 24 hours and D+1's first hour)
-- of the in-scope accounts and regions with ENIs on D; the CUR's billing periods of D and D+1.
ALTER TABLE {{table}} ADD IF NOT EXISTS
{{partitions}}
