-- Progress a person can trust, and what happened to a job. The job's estimate (percent, time
-- of end, rate, basis, note) and each node's are columns of their rows, so a page of jobs still
-- loads them with the rows it already reads; how the task was sized at its start is `sized_at`,
-- `work_basis`, `work_note` on the job and one `job_work` row per node; `job_samples` keeps each
-- node's counters per poll (thinned as a job goes on); `job_timeline` is the job's audit
-- trail, each entry with the change sequence it was written at. All three go with their job
-- (ON DELETE CASCADE, like steps and nodes), each looked up by job through an index.
ALTER TABLE jobs ADD COLUMN progress_percent DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN progress_eta TIMESTAMP;
ALTER TABLE jobs ADD COLUMN progress_rate DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN progress_basis TEXT;
ALTER TABLE jobs ADD COLUMN progress_note TEXT;
ALTER TABLE jobs ADD COLUMN sized_at TIMESTAMP;
ALTER TABLE jobs ADD COLUMN work_basis TEXT;
ALTER TABLE jobs ADD COLUMN work_note TEXT;
ALTER TABLE job_nodes ADD COLUMN work_total BIGINT;
ALTER TABLE job_nodes ADD COLUMN work_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_nodes ADD COLUMN percent DOUBLE PRECISION;
ALTER TABLE job_nodes ADD COLUMN rate DOUBLE PRECISION;
ALTER TABLE job_nodes ADD COLUMN estimated_end_at TIMESTAMP;
ALTER TABLE job_nodes ADD COLUMN progressed_at TIMESTAMP;
ALTER TABLE job_nodes ADD COLUMN stalled_since TIMESTAMP;
CREATE TABLE job_work (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    peer_id TEXT NOT NULL,
    basis TEXT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (job_id, peer_id)
);
CREATE TABLE job_samples (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    peer_id TEXT NOT NULL,
    done BIGINT NOT NULL,
    files BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    scanned BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    runtime_secs DOUBLE PRECISION NOT NULL
);
-- A job's samples in the order they are read (by time, then node), and the cascade's lookup.
CREATE INDEX job_samples_by_job_at ON job_samples (job_id, at, peer_id);
CREATE TABLE job_timeline (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    from_status TEXT,
    to_status TEXT,
    node TEXT,
    message TEXT,
    change_seq BIGINT NOT NULL
);
-- A job's whole timeline in order, and the cascade's lookup.
CREATE INDEX job_timeline_by_job ON job_timeline (job_id, id);
-- What a job's event stream resumes from: its entries after a change sequence.
CREATE INDEX job_timeline_by_job_seq ON job_timeline (job_id, change_seq, id);
