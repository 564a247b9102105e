-- Issue 13: what following a task has established is state, kept in columns (it survives a
-- restart or a lease takeover), and a purged job leaves a tombstone so that its task, which
-- gluster may list for months, is never adopted again.
ALTER TABLE jobs ADD COLUMN held_for TEXT;
ALTER TABLE jobs ADD COLUMN miss_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN missing_since TIMESTAMP;
ALTER TABLE jobs ADD COLUMN progressed_at TIMESTAMP;
ALTER TABLE jobs ADD COLUMN stalled_since TIMESTAMP;
ALTER TABLE jobs ADD COLUMN needs_stop BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX jobs_needs_stop ON jobs (volume_id) WHERE needs_stop;
CREATE TABLE purged_tasks (
    gluster_task_id TEXT PRIMARY KEY NOT NULL,
    cluster_id TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    purged_at TIMESTAMP NOT NULL
);
CREATE INDEX purged_tasks_cluster_purged_at ON purged_tasks (cluster_id, purged_at);
