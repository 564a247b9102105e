ALTER TABLE clusters DROP COLUMN failed_polls;
ALTER TABLE clusters DROP COLUMN active_host;
ALTER TABLE jobs DROP COLUMN stale_since;
