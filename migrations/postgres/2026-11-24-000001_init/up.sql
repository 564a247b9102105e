-- Clusters come from the operator's configuration; ids are UUIDv5 of their names.
CREATE TABLE clusters (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_poll_at TIMESTAMP,
    last_success_at TIMESTAMP,
    last_error TEXT,
    inventory_at TIMESTAMP
);

CREATE TABLE peers (
    cluster_id TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    hostname TEXT NOT NULL,
    connected BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cluster_id, id)
);

CREATE TABLE volumes (
    id TEXT PRIMARY KEY NOT NULL,
    cluster_id TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    vol_type TEXT NOT NULL,
    status TEXT NOT NULL,
    brick_count INTEGER NOT NULL,
    distribute_count INTEGER NOT NULL,
    replica_count INTEGER NOT NULL,
    arbiter_count INTEGER NOT NULL,
    disperse_count INTEGER NOT NULL,
    redundancy_count INTEGER NOT NULL,
    refreshed_at TIMESTAMP NOT NULL,
    UNIQUE (cluster_id, name)
);

CREATE TABLE bricks (
    id TEXT PRIMARY KEY NOT NULL,
    volume_id TEXT NOT NULL REFERENCES volumes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    peer_id TEXT,
    is_arbiter BOOLEAN NOT NULL
);
CREATE INDEX bricks_by_volume ON bricks (volume_id, position);

-- Jobs outlive volumes (a deleted volume keeps its history), so volume_id is no foreign key.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    origin TEXT NOT NULL,
    cluster_id TEXT NOT NULL REFERENCES clusters (id),
    volume_id TEXT NOT NULL,
    volume_name TEXT NOT NULL,
    gluster_task_id TEXT UNIQUE,
    params TEXT NOT NULL,
    task_status TEXT,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    polled_at TIMESTAMP
);
-- One active task per volume, enforced by the database itself.
CREATE UNIQUE INDEX jobs_one_active_per_volume ON jobs (volume_id)
    WHERE status IN ('pending', 'running', 'awaiting_commit');
CREATE INDEX jobs_newest_first ON jobs (created_at, id);
CREATE INDEX jobs_by_status ON jobs (status);

CREATE TABLE job_steps (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES job_steps (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    started_at TIMESTAMP,
    ended_at TIMESTAMP
);
CREATE INDEX job_steps_by_job ON job_steps (job_id);

-- The latest progress of each node of a job's task.
CREATE TABLE job_nodes (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    peer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    files BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    scanned BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    status TEXT NOT NULL,
    runtime_secs DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (job_id, peer_id)
);
