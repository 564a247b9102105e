DROP TABLE idempotency_keys;
ALTER TABLE jobs DROP COLUMN initiator;
ALTER TABLE jobs DROP COLUMN request_id;
