//! Keeping jobs true to gluster, in three rooms:
//!
//! - [`runtime`]: threads, leases, pacing, backoff, coalesced wake-ups, and each worker's
//!   observable state;
//! - [`cycle`] (with `follow`): one cycle's I/O — reads gluster and the store, writes the store;
//! - [`verdict`] and [`claim`]: pure decisions — which job a listed task belongs to, and what a
//!   poll's answers mean for a job. No I/O, no store, no threads: table-tested.

pub mod bell;
pub mod claim;
pub mod cycle;
mod follow;
pub mod observe;
pub mod progress;
pub mod reasons;
pub mod runtime;
pub mod verdict;

pub use cycle::{ClusterPoller, CycleReport};
pub use observe::{CycleObserver, CycleOutcome};
pub use runtime::{backoff, Scheduler, WorkerPhase, WorkerStatus};
