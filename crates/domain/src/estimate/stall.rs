//! Stalls per node: a node that gluster reports running whose counters, run time and status
//! have not moved for the stall threshold is stalled, since the last poll at which it moved.

use super::NodeEstimate;
use crate::NodeProgress;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

/// When a node last moved, and since when it is stalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Gluster's peer UUID of the node.
    pub peer_id: Uuid,
    /// The last poll at which it moved.
    pub progressed_at: DateTime<Utc>,
    /// Set while it runs without moving for the threshold.
    pub stalled_since: Option<DateTime<Utc>>,
}

/// Whether `after` differs from `before` in any counter, the run time or the status.
fn moved(before: &NodeProgress, after: &NodeProgress) -> bool {
    before.status != after.status
        || before.files != after.files
        || before.size_bytes != after.size_bytes
        || before.scanned != after.scanned
        || before.failures != after.failures
        || before.skipped != after.skipped
        || (before.runtime_secs - after.runtime_secs).abs() >= f64::EPSILON
}

/// The marks of the nodes of a new report `after`, from the rows recorded `before` and their
/// estimates (which hold when each node last moved). A node without a recorded mark counts
/// from `fallback` (the job's last movement), else from now.
pub fn marks(
    before: &[NodeProgress],
    estimates: &[NodeEstimate],
    after: &[NodeProgress],
    fallback: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    stall_after: Duration,
) -> Vec<Mark> {
    after
        .iter()
        .map(|a| {
            let prior = before.iter().find(|b| b.peer_id == a.peer_id);
            let since = estimates
                .iter()
                .find(|e| e.peer_id == a.peer_id)
                .and_then(|e| e.progressed_at)
                .or(fallback);
            let progressed_at = match (prior, since) {
                (Some(b), Some(at)) if !moved(b, a) => at,
                _ => now,
            };
            let still = (now - progressed_at).to_std().unwrap_or_default();
            Mark {
                peer_id: a.peer_id,
                progressed_at,
                stalled_since: (a.status.is_running() && still >= stall_after)
                    .then_some(progressed_at),
            }
        })
        .collect()
}

/// The earliest stall among `marks`: since when some node of the task is stalled.
pub fn earliest(marks: &[Mark]) -> Option<DateTime<Utc>> {
    marks.iter().filter_map(|m| m.stalled_since).min()
}

/// The latest movement among `marks`.
pub fn latest_progress(marks: &[Mark]) -> Option<DateTime<Utc>> {
    marks.iter().map(|m| m.progressed_at).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskStatus;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn row(peer: u128, scanned: i64, runtime: f64, status: TaskStatus) -> NodeProgress {
        NodeProgress {
            peer_id: Uuid::from_u128(peer),
            name: format!("n{peer}"),
            files: 0,
            size_bytes: 0,
            scanned,
            failures: 0,
            skipped: 0,
            status,
            runtime_secs: runtime,
        }
    }

    fn moved_at(peer: u128, at: i64) -> NodeEstimate {
        NodeEstimate {
            peer_id: Uuid::from_u128(peer),
            progressed_at: Some(t(at)),
            ..NodeEstimate::default()
        }
    }

    #[test]
    fn a_node_is_stalled_once_it_has_not_moved_for_the_threshold() {
        use TaskStatus::*;
        let after = Duration::from_secs(600);
        // (before, recorded mark, after, fallback, now) -> (progressed_at, stalled_since)
        let rows = [
            (
                Some(row(1, 5, 1.0, InProgress)),
                Some(100),
                row(1, 6, 1.0, InProgress),
                None,
                900,
                (900, None),
            ),
            (
                Some(row(1, 5, 1.0, InProgress)),
                Some(100),
                row(1, 5, 2.0, InProgress),
                None,
                900,
                (900, None),
            ),
            (
                Some(row(1, 5, 1.0, InProgress)),
                Some(100),
                row(1, 5, 1.0, InProgress),
                None,
                600,
                (100, None),
            ),
            (
                Some(row(1, 5, 1.0, InProgress)),
                Some(100),
                row(1, 5, 1.0, InProgress),
                None,
                700,
                (100, Some(100)),
            ),
            (
                Some(row(1, 5, 1.0, Completed)),
                Some(100),
                row(1, 5, 1.0, Completed),
                None,
                900,
                (100, None),
            ),
            (
                Some(row(1, 5, 1.0, InProgress)),
                None,
                row(1, 5, 1.0, InProgress),
                Some(50),
                900,
                (50, Some(50)),
            ),
            (
                Some(row(1, 5, 1.0, InProgress)),
                None,
                row(1, 5, 1.0, InProgress),
                None,
                900,
                (900, None),
            ),
            (
                None,
                Some(100),
                row(1, 5, 1.0, InProgress),
                None,
                900,
                (900, None),
            ),
            (
                Some(row(1, 5, 1.0, InProgress)),
                Some(100),
                row(1, 5, 1.0, Failed),
                None,
                900,
                (900, None),
            ),
        ];
        for (i, (before, mark, now_row, fallback, now, (at, stalled))) in
            rows.into_iter().enumerate()
        {
            let before: Vec<NodeProgress> = before.into_iter().collect();
            let est: Vec<NodeEstimate> = mark.map(|m| moved_at(1, m)).into_iter().collect();
            let m = marks(&before, &est, &[now_row], fallback.map(t), t(now), after);
            assert_eq!(m[0].progressed_at, t(at), "row {i}");
            assert_eq!(m[0].stalled_since, stalled.map(t), "row {i}");
        }
    }

    #[test]
    fn the_job_is_stalled_since_its_earliest_stalled_node() {
        let m = |peer, at: i64, stalled: Option<i64>| Mark {
            peer_id: Uuid::from_u128(peer),
            progressed_at: t(at),
            stalled_since: stalled.map(t),
        };
        assert_eq!(earliest(&[m(1, 5, None), m(2, 3, None)]), None);
        assert_eq!(earliest(&[m(1, 5, Some(5)), m(2, 3, Some(3))]), Some(t(3)));
        assert_eq!(latest_progress(&[m(1, 5, None), m(2, 3, None)]), Some(t(5)));
        assert_eq!(latest_progress(&[]), None);
    }
}
