//! Where a job came from, the states it moves through, and what its caller asked for.

use crate::{TaskKind, TaskStatus};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a job's task came from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOrigin {
    /// Started through this service's API.
    Api,
    /// Found running in gluster, started by someone with the gluster CLI.
    Cli,
}

impl JobOrigin {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobOrigin::Api => "api",
            JobOrigin::Cli => "cli",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "api" => Some(JobOrigin::Api),
            "cli" => Some(JobOrigin::Cli),
            _ => None,
        }
    }
}

/// The life cycle of a job.
///
/// ```text
/// pending ──► running ──► succeeded | failed | stopped
///    │           │  └──► awaiting_commit ──► succeeded | stopped   (remove-brick)
///    └───────────┴──► unknown ──► (back to what gluster reports, once it reports again)
/// ```
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Written before the gluster call; no task id yet.
    Pending,
    /// The task runs.
    Running,
    /// Remove-brick migration done; the bricks leave only on commit.
    AwaitingCommit,
    /// Finished its work (rebalance completed, remove-brick committed).
    Succeeded,
    /// Gluster reported a failure, or the start never reached gluster.
    Failed,
    /// Stopped by a user (API or CLI), or reset by gluster.
    Stopped,
    /// The service lost track of the task; the reason says why.
    Unknown,
}

impl JobStatus {
    /// Every state.
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::AwaitingCommit,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Stopped,
        JobStatus::Unknown,
    ];

    /// States in which the job holds its volume (one such job per volume).
    pub const ACTIVE: [JobStatus; 3] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::AwaitingCommit,
    ];

    /// Stable string form (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::AwaitingCommit => "awaiting_commit",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Stopped => "stopped",
            JobStatus::Unknown => "unknown",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    /// The job holds its volume: no other task may start there.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// The job is over for good.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Stopped
        )
    }

    /// Whether the state machine allows going from `self` to `next` (staying put is allowed).
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        if self == next {
            return true;
        }
        match self {
            Pending => true,
            Running => next != Pending,
            AwaitingCommit => matches!(next, Succeeded | Stopped | Failed | Unknown),
            Unknown => next != Pending,
            Succeeded | Failed | Stopped => false,
        }
    }

    /// The job state that a task of `kind` in gluster state `task` means.
    pub fn for_task(kind: TaskKind, task: TaskStatus) -> JobStatus {
        if task.is_running() || task == TaskStatus::NotStarted {
            JobStatus::Running
        } else if task.is_completed() {
            match kind {
                TaskKind::Rebalance => JobStatus::Succeeded,
                TaskKind::RemoveBrick => JobStatus::AwaitingCommit,
            }
        } else if task.is_failed() {
            JobStatus::Failed
        } else {
            JobStatus::Stopped
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the caller asked for when the task started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskParams {
    /// Rebalance: only fix the layout, move no data.
    #[serde(default)]
    pub fix_layout: bool,
    /// Rebalance: move files even when the target brick has less free space.
    #[serde(default)]
    pub force: bool,
    /// Remove-brick: the bricks being removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bricks: Vec<String>,
    /// Remove-brick: commit by itself once migration completed without failures.
    #[serde(default)]
    pub auto_commit: bool,
    /// Remove-brick: data is migrated first (false: forced removal).
    #[serde(default)]
    pub migrate_data: bool,
    /// Remove-brick: the new replica count, when the removal reduces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_count: Option<i32>,
}
