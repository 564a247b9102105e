//! How a task progresses on each node with wall time (each node works through its plan, see
//! `plan.rs`), and the knobs that make a node fail (`bricks_down`) or hang (`stuck_tasks`);
//! pauses (knobs `pause_secs`, `paused`) are in `pause.rs`.

use crate::pause::{active_secs, end_after_pauses};
use crate::plan::{Move, NodePlan};
use crate::state::{FrozenNode, SimState, SimTask, SimVolume};

/// How long after its start a task that meets a dead brick fails (at most; a task shorter than
/// twice this fails halfway).
const FAIL_AFTER_SECS: f64 = 1.0;

/// A node's view of a task at some instant.
pub(crate) struct NodeView {
    pub(crate) status: i64,
    pub(crate) files: i64,
    pub(crate) size: i64,
    pub(crate) lookups: i64,
    pub(crate) failures: i64,
    pub(crate) skipped: i64,
    pub(crate) runtime: f64,
    /// How much of its plan it has done (0 to 1).
    pub(crate) done: f64,
}

/// When a task started now on `v` with `duration` fails: `None` unless a brick of the volume
/// is down (knob `bricks_down`).
pub(crate) fn fails_at(v: &SimVolume, now: f64, duration: f64) -> Option<f64> {
    (!v.bricks_down.is_empty()).then(|| now + FAIL_AFTER_SECS.min(duration / 2.0))
}

/// The plan of node `peer` in `t`, if it has one.
pub(crate) fn plan_of(t: &SimTask, peer: usize) -> Option<&NodePlan> {
    t.plan.iter().find(|p| p.peer == peer)
}

/// The files moved (and their bytes) once `done` of move `m` is done.
pub(crate) fn moved(m: &Move, done: f64) -> (i64, i64) {
    let files = ((m.files as f64 * done) as i64).clamp(0, m.files);
    let bytes = if files == m.files {
        m.bytes
    } else if m.files > 0 {
        (i128::from(files) * i128::from(m.bytes) / i128::from(m.files)) as i64
    } else {
        0
    };
    (files, bytes)
}

/// Node `peer` of task `t` at `now`.
pub(crate) fn node_view(t: &SimTask, peer: usize, now: f64) -> NodeView {
    let plan = plan_of(t, peer);
    // A node works through its plan at its own constant rate; pauses push its end later.
    let secs = plan.map_or(t.duration, |p| p.secs).max(0.0);
    let (running, stopped, done, failed) = if t.fix_layout {
        (5, 6, 7, 8)
    } else {
        (1, 2, 3, 4)
    };
    // The process ends on its own when it completes, or when it fails (then it never
    // completes). A stop before that end stops it; a freeze before it leaves it "in progress".
    let finish = t
        .fails_at
        .unwrap_or_else(|| end_after_pauses(t, peer, secs))
        .max(t.started_at);
    let frozen = t.frozen.iter().find(|f| f.peer == peer).map(|f| f.at);
    let stuck = frozen.is_some_and(|z| z < finish);
    let running_at = |x: f64| stuck || x < finish;
    let status = match t.stopped_at {
        Some(s) if running_at(s) => stopped,
        _ if running_at(now) => running,
        _ if t.fails_at.is_some() => failed,
        _ => done,
    };
    let until = [Some(now), Some(finish), t.stopped_at, frozen]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    let runtime = active_secs(t, peer, until);
    if t.fails_at.is_some() {
        // The process meets the dead brick before it migrates anything.
        return NodeView {
            status,
            files: 0,
            size: 0,
            lookups: 0,
            failures: i64::from(status == failed),
            skipped: 0,
            runtime,
            done: 0.0,
        };
    }
    let frac = if secs > 0.0 {
        (runtime / secs).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let frac = if status == done { 1.0 } else { frac };
    let (mut files, mut size) = (0, 0);
    for m in plan.iter().flat_map(|p| &p.moves) {
        let (f, b) = moved(m, frac);
        files += f;
        size += b;
    }
    let scaled = |n: i64| ((n as f64 * frac) as i64).clamp(0, n);
    NodeView {
        status,
        files,
        size,
        lookups: scaled(plan.map_or(0, |p| p.lookups)),
        failures: if status == done { t.failures } else { 0 },
        skipped: scaled(plan.map_or(0, |p| p.skipped)),
        runtime,
        done: frac,
    }
}

/// gluster's `statusStr` of a status code.
pub(crate) fn status_str(code: i64) -> &'static str {
    match code {
        0 => "not started",
        1 => "in progress",
        2 => "stopped",
        3 => "completed",
        4 => "failed",
        5 => "fix-layout in progress",
        6 => "fix-layout stopped",
        7 => "fix-layout completed",
        8 => "fix-layout failed",
        9 => "reset due to replace-brick",
        10 => "reset due to reset-brick",
        _ => "unknown",
    }
}

/// The status of a task as a whole: running beats failed beats stopped beats completed.
pub(crate) fn aggregate(codes: &[i64]) -> i64 {
    let rank = |c: i64| match c {
        1 | 5 => 4,
        4 | 8 => 3,
        2 | 6 | 9 | 10 => 2,
        3 | 7 => 1,
        _ => 0,
    };
    codes.iter().copied().max_by_key(|c| rank(*c)).unwrap_or(0)
}

/// The aggregate status of a task at `now`, over all its nodes.
pub(crate) fn task_status_code(t: &SimTask, now: f64) -> i64 {
    let codes: Vec<i64> = t
        .nodes
        .iter()
        .map(|p| node_view(t, *p, now).status)
        .collect();
    aggregate(&codes)
}

/// Knob `stuck_tasks`: freezes, at `now`, the row of each stuck node in every task it is still
/// running. Rows already frozen keep their first instant.
pub(crate) fn freeze_stuck_nodes(st: &mut SimState, now: f64) {
    let stuck: Vec<usize> = (0..st.peers.len())
        .filter(|i| st.peers[*i].stuck_tasks)
        .collect();
    if stuck.is_empty() {
        return;
    }
    for v in &mut st.volumes {
        for t in [v.rebalance.as_mut(), v.remove_brick.as_mut()]
            .into_iter()
            .flatten()
        {
            let newly: Vec<usize> = t
                .nodes
                .iter()
                .filter(|peer| {
                    stuck.contains(peer)
                        && !t.frozen.iter().any(|f| f.peer == **peer)
                        && matches!(node_view(t, **peer, now).status, 1 | 5)
                })
                .copied()
                .collect();
            t.frozen
                .extend(newly.into_iter().map(|peer| FrozenNode { peer, at: now }));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;
    use uuid::Uuid;

    fn task(nodes: Vec<usize>) -> SimTask {
        SimTask {
            id: Uuid::nil(),
            fix_layout: false,
            started_at: 100.0,
            duration: 10.0,
            stopped_at: None,
            nodes,
            bricks: Vec::new(),
            failures: 0,
            fails_at: None,
            frozen: Vec::new(),
            plan: Vec::new(),
            pauses: Vec::new(),
            settled: false,
        }
    }

    #[test]
    fn a_doomed_task_runs_with_zero_counters_then_fails_with_one_failure() {
        let mut t = task(vec![0, 1]);
        t.fails_at = Some(101.0);
        let early = node_view(&t, 0, 100.5);
        assert_eq!((early.status, early.files, early.failures), (1, 0, 0));
        let late = node_view(&t, 1, 500.0);
        assert_eq!(
            (late.status, late.files, late.lookups, late.failures),
            (4, 0, 0, 1)
        );
        assert!((late.runtime - 1.0).abs() < 1e-9);
        assert_eq!(task_status_code(&t, 500.0), 4);
        // A fix-layout fails with its own code.
        t.fix_layout = true;
        assert_eq!(task_status_code(&t, 500.0), 8);
    }

    #[test]
    fn stopping_after_the_failure_keeps_it_failed_and_before_it_stops_it() {
        let mut t = task(vec![0]);
        t.fails_at = Some(101.0);
        t.stopped_at = Some(102.0);
        assert_eq!(node_view(&t, 0, 103.0).status, 4);
        t.stopped_at = Some(100.5);
        assert_eq!(node_view(&t, 0, 103.0).status, 2);
    }

    #[test]
    fn a_frozen_row_stays_in_progress_with_its_counters_forever() {
        let mut t = task(vec![0, 2]);
        t.frozen.push(FrozenNode { peer: 2, at: 104.0 });
        let at_freeze = node_view(&t, 2, 104.0);
        let much_later = node_view(&t, 2, 10_000.0);
        assert_eq!(much_later.status, 1);
        assert_eq!(
            (much_later.files, much_later.lookups),
            (at_freeze.files, at_freeze.lookups)
        );
        assert!((much_later.runtime - 4.0).abs() < 1e-9);
        // The other node completes; the task as a whole stays in progress.
        assert_eq!(node_view(&t, 0, 10_000.0).status, 3);
        assert_eq!(task_status_code(&t, 10_000.0), 1);
        // A stop still stops it.
        t.stopped_at = Some(200.0);
        assert_eq!(node_view(&t, 2, 10_000.0).status, 2);
    }

    #[test]
    fn only_running_rows_of_stuck_nodes_freeze_and_only_once() {
        let mut st = SimState::default();
        st.peers[1].stuck_tasks = true;
        let mut running = task(vec![0, 1, 2]);
        running.started_at = 1000.0;
        let mut finished = task(vec![1]);
        finished.started_at = 0.0;
        st.volumes[0].rebalance = Some(running);
        st.volumes[1].rebalance = Some(finished);
        freeze_stuck_nodes(&mut st, 1002.0);
        freeze_stuck_nodes(&mut st, 1003.0);
        let frozen = |i: usize| st.volumes[i].rebalance.as_ref().unwrap().frozen.clone();
        assert_eq!(
            frozen(0),
            [FrozenNode {
                peer: 1,
                at: 1002.0
            }]
        );
        assert!(frozen(1).is_empty(), "a completed row does not go back");
    }
}
