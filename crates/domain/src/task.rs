//! Gluster's asynchronous task kinds and their status codes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of asynchronous gluster task this service runs and tracks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// `gluster volume rebalance VOL start`.
    Rebalance,
    /// `gluster volume remove-brick VOL BRICK… start`.
    RemoveBrick,
}

impl TaskKind {
    /// Stable string form (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Rebalance => "rebalance",
            TaskKind::RemoveBrick => "remove_brick",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rebalance" => Some(TaskKind::Rebalance),
            "remove_brick" => Some(TaskKind::RemoveBrick),
            _ => None,
        }
    }

    /// Parses gluster's `<type>` text in `volume status … tasks` ("Rebalance", "Remove brick").
    pub fn from_gluster_type(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rebalance" => Some(TaskKind::Rebalance),
            "remove brick" | "remove-brick" => Some(TaskKind::RemoveBrick),
            _ => None,
        }
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Gluster's task status codes (`gf_defrag_status_t`), 0 to 10.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// 0: not started.
    NotStarted,
    /// 1: in progress.
    InProgress,
    /// 2: stopped.
    Stopped,
    /// 3: completed.
    Completed,
    /// 4: failed.
    Failed,
    /// 5: fix-layout in progress.
    FixLayoutInProgress,
    /// 6: fix-layout stopped.
    FixLayoutStopped,
    /// 7: fix-layout completed.
    FixLayoutCompleted,
    /// 8: fix-layout failed.
    FixLayoutFailed,
    /// 9: reset due to replace-brick.
    ResetDueToReplaceBrick,
    /// 10: reset due to reset-brick.
    ResetDueToResetBrick,
}

impl TaskStatus {
    /// All codes, in code order.
    pub const ALL: [TaskStatus; 11] = [
        TaskStatus::NotStarted,
        TaskStatus::InProgress,
        TaskStatus::Stopped,
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::FixLayoutInProgress,
        TaskStatus::FixLayoutStopped,
        TaskStatus::FixLayoutCompleted,
        TaskStatus::FixLayoutFailed,
        TaskStatus::ResetDueToReplaceBrick,
        TaskStatus::ResetDueToResetBrick,
    ];

    /// Maps gluster's numeric code; `None` for a code this version does not know.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// Gluster's numeric code.
    pub fn code(self) -> i64 {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) as i64
    }

    /// Stable string form (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Stopped => "stopped",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::FixLayoutInProgress => "fix_layout_in_progress",
            TaskStatus::FixLayoutStopped => "fix_layout_stopped",
            TaskStatus::FixLayoutCompleted => "fix_layout_completed",
            TaskStatus::FixLayoutFailed => "fix_layout_failed",
            TaskStatus::ResetDueToReplaceBrick => "reset_due_to_replace_brick",
            TaskStatus::ResetDueToResetBrick => "reset_due_to_reset_brick",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    /// Gluster's own words (`statusStr`), as the 10.3 CLI prints them.
    pub fn gluster_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not started",
            TaskStatus::InProgress => "in progress",
            TaskStatus::Stopped => "stopped",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::FixLayoutInProgress => "fix-layout in progress",
            TaskStatus::FixLayoutStopped => "fix-layout stopped",
            TaskStatus::FixLayoutCompleted => "fix-layout completed",
            TaskStatus::FixLayoutFailed => "fix-layout failed",
            TaskStatus::ResetDueToReplaceBrick => "reset due to replace-brick",
            TaskStatus::ResetDueToResetBrick => "reset due to reset-brick",
        }
    }

    /// The task is still working (in progress or fix-layout in progress).
    pub fn is_running(self) -> bool {
        matches!(
            self,
            TaskStatus::InProgress | TaskStatus::FixLayoutInProgress
        )
    }

    /// A fix-layout task (codes 5 to 8).
    pub fn is_fix_layout(self) -> bool {
        matches!(
            self,
            TaskStatus::FixLayoutInProgress
                | TaskStatus::FixLayoutStopped
                | TaskStatus::FixLayoutCompleted
                | TaskStatus::FixLayoutFailed
        )
    }

    /// The task has ended one way or another and will not change again by itself.
    pub fn is_terminal(self) -> bool {
        !self.is_running() && self != TaskStatus::NotStarted
    }

    /// The task ended by completing its work.
    pub fn is_completed(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::FixLayoutCompleted)
    }

    /// The task ended by failing.
    pub fn is_failed(self) -> bool {
        matches!(self, TaskStatus::Failed | TaskStatus::FixLayoutFailed)
    }

    /// The task was stopped by a user, or reset by a brick replacement.
    pub fn is_stopped(self) -> bool {
        matches!(
            self,
            TaskStatus::Stopped
                | TaskStatus::FixLayoutStopped
                | TaskStatus::ResetDueToReplaceBrick
                | TaskStatus::ResetDueToResetBrick
        )
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for (i, s) in TaskStatus::ALL.iter().enumerate() {
            assert_eq!(TaskStatus::from_code(i as i64), Some(*s));
            assert_eq!(s.code(), i as i64);
            assert_eq!(TaskStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(TaskStatus::from_code(11), None);
        assert_eq!(TaskStatus::from_code(-1), None);
    }

    #[test]
    fn each_code_is_exactly_one_of_running_completed_failed_stopped_or_not_started() {
        for s in TaskStatus::ALL {
            let classes = [
                s.is_running(),
                s.is_completed(),
                s.is_failed(),
                s.is_stopped(),
                s == TaskStatus::NotStarted,
            ];
            assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{s}");
            assert_eq!(
                s.is_terminal(),
                s.is_completed() || s.is_failed() || s.is_stopped()
            );
        }
    }

    #[test]
    fn gluster_task_types_parse() {
        assert_eq!(
            TaskKind::from_gluster_type("Rebalance"),
            Some(TaskKind::Rebalance)
        );
        assert_eq!(
            TaskKind::from_gluster_type("Remove brick"),
            Some(TaskKind::RemoveBrick)
        );
        assert_eq!(TaskKind::from_gluster_type("Replace brick"), None);
    }
}
