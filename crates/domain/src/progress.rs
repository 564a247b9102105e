//! Per-node progress of a rebalance or remove-brick task, and its aggregate.

use crate::TaskStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What one node's rebalance process reports (`<node>` of `volume rebalance VOL status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeProgress {
    /// Gluster's peer UUID: the stable key (the local node is named `localhost`).
    pub peer_id: Uuid,
    /// The node's name as gluster printed it.
    pub name: String,
    /// Files moved.
    pub files: i64,
    /// Bytes moved.
    pub size_bytes: i64,
    /// Files scanned (`lookups`).
    pub scanned: i64,
    /// Files that failed to move.
    pub failures: i64,
    /// Files skipped.
    pub skipped: i64,
    /// The node's task status.
    pub status: TaskStatus,
    /// Seconds the node's process has run.
    pub runtime_secs: f64,
}

/// Sums over all nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressTotals {
    /// Files moved.
    pub files: i64,
    /// Bytes moved.
    pub size_bytes: i64,
    /// Files scanned.
    pub scanned: i64,
    /// Files that failed to move.
    pub failures: i64,
    /// Files skipped.
    pub skipped: i64,
    /// The longest run time of any node.
    pub runtime_secs: f64,
}

impl ProgressTotals {
    /// Adds up the counters of `nodes` (run time: the maximum).
    pub fn of(nodes: &[NodeProgress]) -> Self {
        nodes.iter().fold(Self::default(), |acc, n| Self {
            files: acc.files.saturating_add(n.files),
            size_bytes: acc.size_bytes.saturating_add(n.size_bytes),
            scanned: acc.scanned.saturating_add(n.scanned),
            failures: acc.failures.saturating_add(n.failures),
            skipped: acc.skipped.saturating_add(n.skipped),
            runtime_secs: acc.runtime_secs.max(n.runtime_secs),
        })
    }
}

/// Why a finished remove-brick migration must not be committed, or `None` when it may:
/// every node that reports must have completed, with no file failed to migrate.
pub fn commit_blocker(status: Option<TaskStatus>, nodes: &[NodeProgress]) -> Option<String> {
    if !status.is_some_and(TaskStatus::is_completed) || nodes.is_empty() {
        return Some("migration has not completed".to_owned());
    }
    if let Some(n) = nodes.iter().find(|n| !n.status.is_completed()) {
        return Some(format!(
            "migration has not completed on node {} ({})",
            n.name, n.status
        ));
    }
    let failed: i64 = nodes.iter().map(|n| n.failures).sum();
    if failed > 0 {
        let s = if failed == 1 { "" } else { "s" };
        return Some(format!(
            "{failed} file{s} failed to migrate; commit would lose them"
        ));
    }
    None
}

/// The status of a task as a whole, from its nodes, the way glusterd aggregates it:
/// any node still running → running; else any failed → failed; else any stopped → stopped;
/// else all completed → completed; no nodes (or none started) → not started.
pub fn aggregate_status(nodes: &[NodeProgress]) -> TaskStatus {
    let find = |pred: fn(TaskStatus) -> bool| nodes.iter().map(|n| n.status).find(|s| pred(*s));
    find(TaskStatus::is_running)
        .or_else(|| find(TaskStatus::is_failed))
        .or_else(|| find(TaskStatus::is_stopped))
        .or_else(|| find(TaskStatus::is_completed))
        .unwrap_or(TaskStatus::NotStarted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(status: TaskStatus, files: i64, runtime: f64) -> NodeProgress {
        NodeProgress {
            peer_id: Uuid::new_v4(),
            name: "n".into(),
            files,
            size_bytes: files * 10,
            scanned: files * 2,
            failures: 0,
            skipped: 1,
            status,
            runtime_secs: runtime,
        }
    }

    #[test]
    fn aggregate_prefers_running_then_failed_then_stopped() {
        use TaskStatus::*;
        assert_eq!(aggregate_status(&[]), NotStarted);
        assert_eq!(
            aggregate_status(&[node(Completed, 1, 1.0), node(InProgress, 1, 1.0)]),
            InProgress
        );
        assert_eq!(
            aggregate_status(&[node(Completed, 1, 1.0), node(Failed, 1, 1.0)]),
            Failed
        );
        assert_eq!(
            aggregate_status(&[node(Stopped, 1, 1.0), node(Completed, 1, 1.0)]),
            Stopped
        );
        assert_eq!(
            aggregate_status(&[
                node(FixLayoutCompleted, 0, 1.0),
                node(FixLayoutCompleted, 0, 2.0)
            ]),
            FixLayoutCompleted
        );
    }

    #[test]
    fn commit_is_allowed_only_after_a_complete_migration_without_failures() {
        use TaskStatus::*;
        assert_eq!(
            commit_blocker(Some(Completed), &[node(Completed, 3, 1.0)]),
            None
        );
        assert!(commit_blocker(Some(InProgress), &[node(InProgress, 3, 1.0)]).is_some());
        assert!(commit_blocker(Some(Completed), &[]).is_some());
        let mut bad = node(Completed, 3, 1.0);
        bad.failures = 3;
        assert_eq!(
            commit_blocker(Some(Completed), &[bad]).as_deref(),
            Some("3 files failed to migrate; commit would lose them")
        );
    }

    #[test]
    fn totals_sum_counters_and_take_the_longest_runtime() {
        let t = ProgressTotals::of(&[
            node(TaskStatus::Completed, 3, 2.5),
            node(TaskStatus::Completed, 4, 9.0),
        ]);
        assert_eq!(
            (t.files, t.size_bytes, t.scanned, t.skipped),
            (7, 70, 14, 2)
        );
        assert_eq!(t.runtime_secs, 9.0);
    }
}
