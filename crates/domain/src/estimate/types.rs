//! The values of the progress model, as stored and shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// What a task's percent counts. Files: a rebalance's files scanned against the files on
/// the node's bricks at start, a removal's files moved (failed, skipped) against the files on
/// the bricks being removed. (Bytes were tried and measured worse: docs/progress.md.)
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Files.
    Files,
}

impl Basis {
    /// Stable string form (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Files => "files",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "files" => Some(Basis::Files),
            _ => None,
        }
    }
}

/// Why the percent or the time left is not given, or what a reader must bear in mind.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressNote {
    /// A fix-layout: gluster reports no count of the directories it has to fix.
    FixLayout,
    /// Gluster did not report the bricks' usage when the task started.
    NoUsage,
    /// Bricks of the volume share a filesystem: their usage is not this volume's alone.
    SharedFilesystem,
    /// Gluster reports no inode counts (releases before 3.x detail): files cannot be sized.
    NoInodes,
    /// Too few recent samples for a rate yet.
    Measuring,
    /// A node has not moved for the stall threshold: no time left while it is stalled.
    Stalled,
    /// A node has done more than its bricks held at start: its percent is capped at 99 and its
    /// time left unknown.
    BeyondEstimate,
    /// Nodes that must still report hold the job back.
    WaitingForNodes,
    /// The task was found running (started with the gluster CLI): it was sized when found, so
    /// the work done before that is not in the percent.
    SizedWhenFound,
}

impl ProgressNote {
    /// Stable string form (database).
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressNote::FixLayout => "fix_layout",
            ProgressNote::NoUsage => "no_usage",
            ProgressNote::SharedFilesystem => "shared_filesystem",
            ProgressNote::NoInodes => "no_inodes",
            ProgressNote::Measuring => "measuring",
            ProgressNote::Stalled => "stalled",
            ProgressNote::BeyondEstimate => "beyond_estimate",
            ProgressNote::WaitingForNodes => "waiting_for_nodes",
            ProgressNote::SizedWhenFound => "sized_when_found",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ProgressNote::FixLayout,
            ProgressNote::NoUsage,
            ProgressNote::SharedFilesystem,
            ProgressNote::NoInodes,
            ProgressNote::Measuring,
            ProgressNote::Stalled,
            ProgressNote::BeyondEstimate,
            ProgressNote::WaitingForNodes,
            ProgressNote::SizedWhenFound,
        ]
        .into_iter()
        .find(|n| n.as_str() == s)
    }

    /// The note in words, for people.
    pub fn text(self) -> &'static str {
        match self {
            ProgressNote::FixLayout => "a fix-layout fixes directories, and gluster reports no count of them: no percent or time left",
            ProgressNote::NoUsage => "gluster did not report the bricks' usage when the task started: no percent or time left",
            ProgressNote::SharedFilesystem => "bricks of this volume share a filesystem, so its usage is not this volume's: no percent or time left (put each brick on its own filesystem)",
            ProgressNote::NoInodes => "gluster reports no inode counts for the bricks, so the files to scan are unknown: no percent or time left",
            ProgressNote::Measuring => "measuring the rate: the time left comes once a few samples are in",
            ProgressNote::Stalled => "a node has stopped moving: no time left while it is stalled",
            ProgressNote::BeyondEstimate => "a node has done more than its bricks held at the start: its percent stays at 99 and its time left is unknown until it ends",
            ProgressNote::WaitingForNodes => "waiting for nodes that have not reported: no time left until they do",
            ProgressNote::SizedWhenFound => "the task was found running (started outside this service) and sized then: work done before is not counted",
        }
    }
}

/// The amount of work one node has, measured when the task started (or was found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeWork {
    /// Gluster's peer UUID of the node.
    pub peer_id: Uuid,
    /// What `total` counts.
    pub basis: Basis,
    /// The work, in `basis` units: files to scan, or files to move off the bricks.
    pub total: i64,
}

/// How a task was sized at its start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sizing {
    /// What the percent counts; `None` when it cannot be counted (`note` says why).
    pub basis: Option<Basis>,
    /// The work of each node that will report.
    pub nodes: Vec<NodeWork>,
    /// Why there is no basis, or what to bear in mind.
    pub note: Option<ProgressNote>,
}

/// One node's progress estimate, kept with its per-node row.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeEstimate {
    /// Gluster's peer UUID of the node.
    pub peer_id: Uuid,
    /// The node's work (`None`: not sized).
    pub total: Option<i64>,
    /// The work done, in the job's basis units.
    pub done: i64,
    /// Percent done, 0 to 100 (100 only once the node completed).
    pub percent: Option<f64>,
    /// Work units per second over the recent window.
    pub rate: Option<f64>,
    /// When the node should end at that rate.
    pub estimated_end_at: Option<DateTime<Utc>>,
    /// The last poll at which the node's counters, run time or status moved.
    pub progressed_at: Option<DateTime<Utc>>,
    /// Set while the node runs and has not moved for the stall threshold: since when.
    pub stalled_since: Option<DateTime<Utc>>,
}

/// A job's progress estimate (its `stalled_since` is the job's tracking).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobProgress {
    /// Percent done, 0 to 100; `None` until it can be honest (`note` says why).
    pub percent: Option<f64>,
    /// When the task should end: its slowest node's estimate.
    pub estimated_end_at: Option<DateTime<Utc>>,
    /// Work units per second, summed over the nodes, over the recent window.
    pub rate: Option<f64>,
    /// What `percent` and `rate` count.
    pub basis: Option<Basis>,
    /// Why a figure is missing, or what to bear in mind.
    pub note: Option<ProgressNote>,
}

impl JobProgress {
    /// The figures of a job that has just reached `status`: a job that ended, or whose removal
    /// awaits its commit, has no rate or time left and no note about running; one that
    /// finished its work is at 100.
    pub fn settle(&mut self, status: crate::JobStatus) {
        use crate::JobStatus::{AwaitingCommit, Succeeded};
        if !(status.is_terminal() || status == AwaitingCommit) {
            return;
        }
        self.estimated_end_at = None;
        self.rate = None;
        if matches!(status, Succeeded | AwaitingCommit) {
            self.percent = Some(100.0);
        }
        if matches!(
            self.note,
            Some(
                ProgressNote::Measuring
                    | ProgressNote::Stalled
                    | ProgressNote::WaitingForNodes
                    | ProgressNote::BeyondEstimate
            )
        ) {
            self.note = None;
        }
    }
}

/// One node's counters at one poll: the history of a job, for plotting and for rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressSample {
    /// When the poll saw it.
    pub at: DateTime<Utc>,
    /// Gluster's peer UUID of the node.
    pub peer_id: Uuid,
    /// Work done, in the job's basis units (0 without a basis).
    pub done: i64,
    /// Files moved.
    pub files: i64,
    /// Bytes moved.
    pub size_bytes: i64,
    /// Files scanned.
    pub scanned: i64,
    /// Files that failed to move.
    pub failures: i64,
    /// The node's run time, seconds.
    pub runtime_secs: f64,
}

/// The thresholds of the estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EstimateRules {
    /// Samples older than this (before the newest) do not count toward the rate.
    pub window: Duration,
    /// The samples in the window must span at least this long for a rate.
    pub min_span: Duration,
    /// How long a running node may show no movement before it is stalled.
    pub stall_after: Duration,
}

impl Default for EstimateRules {
    fn default() -> Self {
        EstimateRules {
            window: Duration::from_secs(300),
            min_span: Duration::from_secs(10),
            stall_after: Duration::from_secs(15 * 60),
        }
    }
}
