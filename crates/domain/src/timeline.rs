//! A job's timeline: what happened to it, in order, and who did it. The audit trail an operator
//! reads after the fact; every entry is stored with the job and kept until retention.

use crate::JobStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who an entry's action came from, when not a token's name.
pub mod actors {
    /// A task someone started with the gluster CLI, found by the poller.
    pub const GLUSTER_CLI: &str = "gluster-cli";
    /// The service itself (the poller's decisions: auto-commit, stalls, state changes).
    pub const SERVICE: &str = "service";
}

/// What happened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// The job was written, before gluster was asked (actor: the token's name).
    Created,
    /// A task started outside this service was found and became this job.
    Adopted,
    /// Gluster accepted the start (message: its answer, the task id).
    Accepted,
    /// Gluster refused an operation on the job (message: its words).
    Refused,
    /// The job changed state (`from`, `to`; message: the reason, if any).
    StateChanged,
    /// A node stopped moving (`node`).
    StallStarted,
    /// A stalled node moved again (`node`).
    StallEnded,
    /// A stop was asked for (actor).
    StopRequested,
    /// A commit was asked for (actor).
    CommitRequested,
    /// A cancel was asked for (actor).
    CancelRequested,
    /// Auto-commit waits (message: why: failures, nodes not done).
    AutoCommitWaiting,
    /// Auto-commit committed the removal, the migration being complete and clean (entered with
    /// the commit, right before its state change; a failed attempt is a `Refused`).
    AutoCommitted,
    /// Something the operator should know (message): failed or skipped files, a size unknown.
    Warning,
}

impl TimelineKind {
    /// Every kind.
    pub const ALL: [TimelineKind; 13] = [
        TimelineKind::Created,
        TimelineKind::Adopted,
        TimelineKind::Accepted,
        TimelineKind::Refused,
        TimelineKind::StateChanged,
        TimelineKind::StallStarted,
        TimelineKind::StallEnded,
        TimelineKind::StopRequested,
        TimelineKind::CommitRequested,
        TimelineKind::CancelRequested,
        TimelineKind::AutoCommitWaiting,
        TimelineKind::AutoCommitted,
        TimelineKind::Warning,
    ];

    /// Stable string form (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Created => "created",
            TimelineKind::Adopted => "adopted",
            TimelineKind::Accepted => "accepted",
            TimelineKind::Refused => "refused",
            TimelineKind::StateChanged => "state_changed",
            TimelineKind::StallStarted => "stall_started",
            TimelineKind::StallEnded => "stall_ended",
            TimelineKind::StopRequested => "stop_requested",
            TimelineKind::CommitRequested => "commit_requested",
            TimelineKind::CancelRequested => "cancel_requested",
            TimelineKind::AutoCommitWaiting => "auto_commit_waiting",
            TimelineKind::AutoCommitted => "auto_committed",
            TimelineKind::Warning => "warning",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of a job's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The job.
    pub job_id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: TimelineKind,
    /// Who: a token's name, [`actors::GLUSTER_CLI`], [`actors::SERVICE`]; `None` when the service
    /// runs without tokens.
    pub actor: Option<String>,
    /// State changes: the state before.
    pub from: Option<JobStatus>,
    /// State changes: the state after.
    pub to: Option<JobStatus>,
    /// The node it concerns (stalls), by peer host name.
    pub node: Option<String>,
    /// Gluster's words (accepted, refused), the reason of a state change, or a warning's text.
    pub message: Option<String>,
}

impl TimelineEntry {
    /// An entry of `kind` on `job_id` at `at`, with nothing else set.
    pub fn new(job_id: Uuid, at: DateTime<Utc>, kind: TimelineKind) -> Self {
        TimelineEntry {
            job_id,
            at,
            kind,
            actor: None,
            from: None,
            to: None,
            node: None,
            message: None,
        }
    }

    /// The same entry with `actor`.
    pub fn by(mut self, actor: Option<&str>) -> Self {
        self.actor = actor.map(str::to_owned);
        self
    }

    /// The same entry with `message`.
    pub fn saying(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// A state change from `from` to `to`.
    pub fn state_change(job_id: Uuid, at: DateTime<Utc>, from: JobStatus, to: JobStatus) -> Self {
        TimelineEntry {
            from: Some(from),
            to: Some(to),
            ..Self::new(job_id, at, TimelineKind::StateChanged)
        }
    }
}
