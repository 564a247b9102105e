-- Issue 5: say when the service could not reach a cluster, and which host answers.
-- A job keeps its last known state while its cluster cannot be asked; stale_since says since when.
ALTER TABLE jobs ADD COLUMN stale_since TIMESTAMP;
-- The host whose CLI answered the last cycle (the driver fails over between hosts).
ALTER TABLE clusters ADD COLUMN active_host TEXT;
-- Poll cycles that failed in a row (0 after a successful one).
ALTER TABLE clusters ADD COLUMN failed_polls INTEGER NOT NULL DEFAULT 0;
