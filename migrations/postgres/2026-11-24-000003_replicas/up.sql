-- Issue 6: several service replicas on one database.
-- Exactly one replica polls a cluster: the holder of its lease, until expires_at.
CREATE TABLE cluster_leases (
    cluster_id TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- Live replicas announce themselves; leases are spread over those seen recently.
CREATE TABLE replicas (
    id TEXT PRIMARY KEY NOT NULL,
    started_at TIMESTAMP NOT NULL,
    seen_at TIMESTAMP NOT NULL
);
