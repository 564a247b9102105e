-- Issue 7: the X-Request-Id of the request that created a job and the token it came with, and
-- Idempotency-Key records.
ALTER TABLE jobs ADD COLUMN request_id TEXT;
ALTER TABLE jobs ADD COLUMN initiator TEXT;
-- One row per Idempotency-Key: the fingerprint of the request that first used it, and once it
-- has been answered, that answer (replayed to every retry with the same key and request).
CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    location TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
