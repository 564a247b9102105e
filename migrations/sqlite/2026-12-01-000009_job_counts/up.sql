-- Issue 17: the metrics endpoint counts jobs by kind and state at every scrape. This index
-- holds both columns, so the count reads the index alone, never the jobs' rows. It leads with
-- the kind so that the lists' status filters keep their own index (status, created_at, id).
CREATE INDEX jobs_by_kind_status ON jobs (kind, status);
