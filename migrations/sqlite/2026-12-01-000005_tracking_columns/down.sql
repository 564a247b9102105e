DROP TABLE purged_tasks;
DROP INDEX jobs_needs_stop;
ALTER TABLE jobs DROP COLUMN needs_stop;
ALTER TABLE jobs DROP COLUMN stalled_since;
ALTER TABLE jobs DROP COLUMN progressed_at;
ALTER TABLE jobs DROP COLUMN missing_since;
ALTER TABLE jobs DROP COLUMN miss_count;
ALTER TABLE jobs DROP COLUMN held_for;
