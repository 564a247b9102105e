//! Rates and time left: per node, the slope of its work done over the recent window of samples
//! (not since the start, so a node that slows down or speeds up is seen within a window); the
//! time left is the node's remaining work at that rate; the job ends with its slowest node.

use super::stall::Mark;
use super::{work, EstimateRules, JobProgress, NodeEstimate, ProgressNote, ProgressSample, Sizing};
use crate::{JobStatus, NodeProgress, TaskKind};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Percent shown for unfinished work, at most: 100 is for work gluster reports complete.
const UNFINISHED_MAX: f64 = 99.0;

/// What one poll knows about a followed task.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The job's state after this poll.
    pub status: JobStatus,
    /// How the task was sized (default: not sized).
    pub sizing: &'a Sizing,
    /// The per-node rows gluster reported now.
    pub nodes: &'a [NodeProgress],
    /// The task's kind (what a node's work done counts).
    pub kind: TaskKind,
    /// When each node last moved, and its stall.
    pub marks: &'a [Mark],
    /// Earlier samples of the job (any order; those outside the window are ignored).
    pub history: &'a [ProgressSample],
    /// The job's estimate before this poll (percent never goes back while it runs).
    pub previous: &'a JobProgress,
    /// The nodes' estimates before this poll.
    pub previous_nodes: &'a [NodeEstimate],
    /// Nodes that must still report hold the job back.
    pub held: bool,
    /// When the poll began.
    pub now: DateTime<Utc>,
    /// Window and thresholds.
    pub rules: EstimateRules,
}

/// What the estimator returns for one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The job's figures.
    pub job: JobProgress,
    /// Each reported node's figures, in the order of `nodes`.
    pub nodes: Vec<NodeEstimate>,
    /// This poll's samples, one per reported node, for the history.
    pub samples: Vec<ProgressSample>,
}

/// The least-squares slope of `points` (seconds, work): work units per second. `None` with
/// fewer than two points or no spread in time.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let (mt, mw) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (t, w)| (a + t / n, b + w / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (t, w)| {
        (num + (t - mt) * (w - mw), den + (t - mt) * (t - mt))
    });
    (den > 0.0).then(|| num / den)
}

/// The rate of one node from its samples within the window ending `now` (plus its work now).
fn node_rate(inp: &Inputs<'_>, peer: Uuid, done_now: i64) -> Option<f64> {
    let from = inp.now - chrono::Duration::from_std(inp.rules.window).unwrap_or_default();
    let mut points: Vec<(f64, f64)> = inp
        .history
        .iter()
        .filter(|s| s.peer_id == peer && s.at >= from && s.at < inp.now)
        .map(|s| {
            (
                (s.at - inp.now).num_milliseconds() as f64 / 1000.0,
                s.done as f64,
            )
        })
        .collect();
    points.push((0.0, done_now as f64));
    let span = -points.iter().map(|p| p.0).fold(0.0, f64::min);
    if span < inp.rules.min_span.as_secs_f64() {
        return None;
    }
    slope(&points).map(|r| r.max(0.0))
}

/// One node's figures, and whether its work outran its sizing.
fn node(inp: &Inputs<'_>, n: &NodeProgress) -> (NodeEstimate, bool) {
    let work = inp.sizing.nodes.iter().find(|w| w.peer_id == n.peer_id);
    let done = work.map_or(0, |_| work::done(inp.kind, n));
    let mark = inp.marks.iter().find(|m| m.peer_id == n.peer_id);
    let before = inp.previous_nodes.iter().find(|e| e.peer_id == n.peer_id);
    let total = work.map(|w| w.total);
    let beyond = total.is_some_and(|t| done >= t) && !n.status.is_completed();
    let percent = if n.status.is_completed() {
        Some(100.0)
    } else {
        total.map(|t| match t {
            0 => 0.0,
            t => (100.0 * done as f64 / t as f64).min(UNFINISHED_MAX),
        })
    };
    // A running node's percent never goes back (a client writing to a brick being emptied
    // raises its usage again).
    let percent = match (percent, before.and_then(|b| b.percent)) {
        (Some(p), Some(b)) if n.status.is_running() => Some(p.max(b)),
        (p, _) => p,
    };
    let running = n.status.is_running();
    let rate = running.then(|| node_rate(inp, n.peer_id, done)).flatten();
    let stalled = mark.and_then(|m| m.stalled_since);
    let eta = match (total, rate) {
        (Some(t), Some(r)) if running && stalled.is_none() && !beyond && r > 0.0 => {
            let secs = (t - done) as f64 / r;
            Some(inp.now + chrono::Duration::milliseconds((secs * 1000.0) as i64))
        }
        _ => None,
    };
    let estimate = NodeEstimate {
        peer_id: n.peer_id,
        total,
        done,
        percent,
        rate,
        estimated_end_at: eta,
        progressed_at: mark.map(|m| m.progressed_at),
        stalled_since: stalled,
    };
    (estimate, beyond)
}

/// The figures of a task after one poll.
pub fn estimate(inp: &Inputs<'_>) -> Estimate {
    let (nodes, beyond): (Vec<NodeEstimate>, Vec<bool>) =
        inp.nodes.iter().map(|n| node(inp, n)).unzip();
    let samples = inp
        .nodes
        .iter()
        .zip(&nodes)
        .map(|(n, e)| ProgressSample {
            at: inp.now,
            peer_id: n.peer_id,
            done: e.done,
            files: n.files,
            size_bytes: n.size_bytes,
            scanned: n.scanned,
            failures: n.failures,
            runtime_secs: n.runtime_secs,
        })
        .collect();
    let basis = inp.sizing.basis;
    let ended = inp.status.is_terminal() || inp.status == JobStatus::AwaitingCommit;
    let finished = matches!(inp.status, JobStatus::Succeeded | JobStatus::AwaitingCommit);
    // The job's percent: work done over the work of every sized node, reported or not yet.
    let sized_percent = basis.map(|_| {
        let (done, total) = inp.sizing.nodes.iter().fold((0i64, 0i64), |(d, t), w| {
            let node_done = nodes
                .iter()
                .find(|e| e.peer_id == w.peer_id)
                .map_or(0, |e| {
                    if e.percent == Some(100.0) {
                        w.total
                    } else {
                        e.done.min(w.total)
                    }
                });
            (d.saturating_add(node_done), t.saturating_add(w.total))
        });
        if total == 0 {
            0.0
        } else {
            (100.0 * done as f64 / total as f64).min(UNFINISHED_MAX)
        }
    });
    let percent = if finished {
        Some(100.0)
    } else {
        match (sized_percent, inp.previous.percent) {
            (Some(p), Some(b)) if !ended => Some(p.max(b)),
            (Some(p), _) => Some(p),
            // An ended job keeps the last percent it had.
            (None, b) if ended => b,
            (None, _) => None,
        }
    };
    let running: Vec<&NodeEstimate> = inp
        .nodes
        .iter()
        .zip(&nodes)
        .filter(|(n, _)| n.status.is_running())
        .map(|(_, e)| e)
        .collect();
    let stalled = nodes.iter().any(|e| e.stalled_since.is_some());
    let all_eta = !running.is_empty() && running.iter().all(|e| e.estimated_end_at.is_some());
    let estimated_end_at = (!ended && !inp.held && basis.is_some() && all_eta)
        .then(|| running.iter().filter_map(|e| e.estimated_end_at).max())
        .flatten();
    let rate = (!ended)
        .then(|| running.iter().filter_map(|e| e.rate).reduce(|a, b| a + b))
        .flatten();
    let note = if basis.is_none() {
        inp.sizing.note.or(Some(ProgressNote::NoUsage))
    } else if ended {
        inp.sizing.note
    } else if stalled {
        Some(ProgressNote::Stalled)
    } else if inp.held {
        Some(ProgressNote::WaitingForNodes)
    } else if beyond.iter().any(|b| *b) {
        Some(ProgressNote::BeyondEstimate)
    } else if estimated_end_at.is_none() {
        Some(ProgressNote::Measuring)
    } else {
        inp.sizing.note
    };
    Estimate {
        job: JobProgress {
            percent,
            estimated_end_at,
            rate,
            basis,
            note,
        },
        nodes,
        samples,
    }
}

#[cfg(test)]
#[path = "rate_tests.rs"]
mod tests;
