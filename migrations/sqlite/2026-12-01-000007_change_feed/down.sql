DROP TABLE change_counter;
DROP INDEX jobs_change_seq;
ALTER TABLE jobs DROP COLUMN change_seq;
