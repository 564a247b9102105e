//! The steps of a job and their states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kinds of step a job goes through.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The root step: the task as a whole.
    Executing,
    /// Rebalance data or layout movement.
    RebalancingVolume,
    /// Remove-brick data migration.
    RemovingBricks,
    /// Remove-brick commit.
    Committing,
}

impl StepKind {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Executing => "executing",
            StepKind::RebalancingVolume => "rebalancing_volume",
            StepKind::RemovingBricks => "removing_bricks",
            StepKind::Committing => "committing",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            StepKind::Executing,
            StepKind::RebalancingVolume,
            StepKind::RemovingBricks,
            StepKind::Committing,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A step's state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not reached yet.
    Pending,
    /// In progress.
    Running,
    /// Done.
    Succeeded,
    /// Failed.
    Failed,
    /// Stopped before it finished.
    Stopped,
    /// Lost track.
    Unknown,
}

impl StepStatus {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Stopped => "stopped",
            StepStatus::Unknown => "unknown",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Succeeded,
            StepStatus::Failed,
            StepStatus::Stopped,
            StepStatus::Unknown,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One step of a job. Steps nest: the `executing` root has the task's own step as child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Step id.
    pub id: Uuid,
    /// Owning job.
    pub job_id: Uuid,
    /// Parent step, `None` for the root.
    pub parent_id: Option<Uuid>,
    /// Order among siblings.
    pub position: i32,
    /// What the step does.
    pub kind: StepKind,
    /// Its state.
    pub status: StepStatus,
    /// Human-readable description.
    pub description: String,
    /// When it began running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}
