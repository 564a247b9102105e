//! The history of a job's progress: samples thinned to a bound, and series for plotting.
