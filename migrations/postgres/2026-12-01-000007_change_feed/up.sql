-- Issue 14: a change feed. Every write that changes a job's representation gives the job the
-- next value of one counter, taken in the writer's transaction: the counter row's lock makes
-- commit order equal sequence order (a SEQUENCE would not), so readers follow
-- `change_seq > last` exactly. Existing rows are numbered in (updated_at, id) order.
-- `deletions` counts the writes that deleted jobs, so other replicas' caches learn that jobs
-- went away.
ALTER TABLE jobs ADD COLUMN change_seq BIGINT;
UPDATE jobs SET change_seq = r.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY updated_at, id) AS n FROM jobs) AS r
WHERE r.id = jobs.id;
ALTER TABLE jobs ALTER COLUMN change_seq SET NOT NULL;
CREATE UNIQUE INDEX jobs_change_seq ON jobs (change_seq);
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    deletions BIGINT NOT NULL
);
INSERT INTO change_counter (id, seq, deletions) SELECT 1, COALESCE(MAX(change_seq), 0), 0 FROM jobs;
