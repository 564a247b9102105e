//! Jobs, their steps, the latest per-node progress and estimates of their tasks, how the tasks
//! were sized and their samples.
//!
//! [`writes`] changes a job, [`read`] loads jobs whole, [`page`] lists them,
//! [`polled`] stamps what the poller confirmed, [`progress`] keeps how a task was sized and
//! its samples, [`purge`] forgets ended jobs, [`feed`] numbers every change and follows them, [`stats`]
//! counts them for the metrics.

pub mod feed;
mod page;
mod polled;
mod progress;
mod purge;
mod read;
mod stats;
mod writes;

pub use page::*;
pub use polled::*;
pub use progress::*;
pub use purge::*;
pub use read::*;
pub use stats::*;
pub use writes::*;

use chrono::{DateTime, Utc};
use domain::estimate::NodeEstimate;
use domain::{Job, JobOrigin, JobStatus, NodeProgress, Step, TaskKind};
use uuid::Uuid;

/// A job with its steps and the latest progress of each node.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The job.
    pub job: Job,
    /// Its steps, parents before children, by position.
    pub steps: Vec<Step>,
    /// Latest progress per node, by node name.
    pub nodes: Vec<NodeProgress>,
    /// The estimate of each node of `nodes`, in the same order (one per node).
    pub estimates: Vec<NodeEstimate>,
    /// The job's place in the change feed: raised by every write that changes the job, its
    /// steps, its nodes or its timeline ([`feed`]).
    pub change_seq: i64,
}

/// Filters of the job list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs in this state.
    pub status: Option<JobStatus>,
    /// Only jobs of this kind.
    pub kind: Option<TaskKind>,
    /// Only jobs on this volume.
    pub volume_id: Option<Uuid>,
    /// Only jobs of this cluster.
    pub cluster_id: Option<Uuid>,
    /// Only jobs of this origin.
    pub origin: Option<JobOrigin>,
    /// Only jobs created at or after this instant.
    pub created_after: Option<DateTime<Utc>>,
    /// Only jobs created before this instant.
    pub created_before: Option<DateTime<Utc>>,
}

/// One page of jobs, newest first.
#[derive(Debug, Clone)]
pub struct JobPage {
    /// The jobs of this page.
    pub items: Vec<JobRecord>,
    /// Cursor of the next page, `None` on the last one.
    pub next_cursor: Option<String>,
}

/// The states of a job that has not ended, as stored.
fn active_states() -> Vec<&'static str> {
    JobStatus::ACTIVE.iter().map(|s| s.as_str()).collect()
}
