DROP INDEX jobs_by_kind_status;
