-- Issue 14: every list query and filter is an index range scan, in the order it is read.
-- The cascade from a step to its children looks steps up by parent.
CREATE INDEX job_steps_by_parent ON job_steps (parent_id);
-- One index per job-list filter, each ending in the list's order (newest first, ties by id), so a
-- filtered page is a seek plus `limit` rows, never a sort of every match.
CREATE INDEX jobs_by_status_newest ON jobs (status, created_at, id);
CREATE INDEX jobs_by_volume_newest ON jobs (volume_id, created_at, id);
CREATE INDEX jobs_by_cluster_newest ON jobs (cluster_id, created_at, id);
CREATE INDEX jobs_by_kind_newest ON jobs (kind, created_at, id);
CREATE INDEX jobs_by_origin_newest ON jobs (origin, created_at, id);
-- jobs_by_status_newest leads with status: the old single-column index adds nothing.
DROP INDEX jobs_by_status;
-- The poller's tracked jobs: a cluster's jobs in some states, or whose task gluster still holds.
-- The second also serves the purge (a cluster's ended jobs gluster lets go, by end time).
CREATE INDEX jobs_by_cluster_status_ended ON jobs (cluster_id, status, ended_at);
CREATE INDEX jobs_by_cluster_needs_stop ON jobs (cluster_id, needs_stop, status, ended_at);
-- The volume list, by name then id, over all clusters or one.
CREATE INDEX volumes_by_name ON volumes (name, id);
CREATE INDEX volumes_by_cluster_name ON volumes (cluster_id, name, id);
