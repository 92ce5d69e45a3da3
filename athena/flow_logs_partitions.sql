-- The delivery folders of day D and D+1 (records of late D are foldered on D+1) of the in-scope
-- accounts and regions with ENIs on D; with per-hour folders, D's 24 hours and D+1's first hour.
ALTER TABLE {{table}} ADD IF NOT EXISTS
{{partitions}}
