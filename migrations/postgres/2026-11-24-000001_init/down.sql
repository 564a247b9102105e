DROP TABLE job_nodes;
DROP TABLE job_steps;
DROP TABLE jobs;
DROP TABLE bricks;
DROP TABLE volumes;
DROP TABLE peers;
DROP TABLE clusters;
