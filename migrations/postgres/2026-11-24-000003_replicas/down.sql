DROP TABLE replicas;
DROP TABLE cluster_leases;
