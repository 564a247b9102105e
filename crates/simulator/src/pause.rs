//! Knobs `pause_secs` and `paused`: a node's row of a running task stands still for a while,
//! counters and runtime both, gluster still reporting it "in progress"; then it resumes where
//! it was and ends later by the length of the pause.

use crate::progress::node_view;
use crate::state::{SimState, SimTask};
use serde::{Deserialize, Serialize};

/// A pause of one node's row of a task.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Pause {
    /// Index into `peers`.
    pub peer: usize,
    /// When it began (seconds since the epoch).
    pub from: f64,
    /// When it ends; `None` while knob `paused` is still set.
    pub until: Option<f64>,
}

/// The pauses of `peer` in `t`, in order (they never overlap: a row pauses only while it runs
/// unpaused).
fn pauses_of(t: &SimTask, peer: usize) -> Vec<Pause> {
    let mut v: Vec<Pause> = t
        .pauses
        .iter()
        .filter(|p| p.peer == peer)
        .copied()
        .collect();
    v.sort_by(|a, b| a.from.total_cmp(&b.from));
    v
}

/// Seconds node `peer` of `t` has run by `x`, not counting its pauses.
pub(crate) fn active_secs(t: &SimTask, peer: usize, x: f64) -> f64 {
    let paused: f64 = pauses_of(t, peer)
        .iter()
        .map(|p| (p.until.unwrap_or(f64::INFINITY).min(x) - p.from.max(t.started_at)).max(0.0))
        .sum();
    (x - t.started_at - paused).max(0.0)
}

/// When node `peer` of `t`, which needs `secs` of running, ends: later by each pause that
/// begins before it (never while a pause is open).
pub(crate) fn end_after_pauses(t: &SimTask, peer: usize, secs: f64) -> f64 {
    let mut end = t.started_at + secs;
    for p in pauses_of(t, peer) {
        if p.from < end {
            end += p.until.unwrap_or(f64::INFINITY) - p.from;
        }
    }
    end
}

/// Applies the pause knobs at `now`: a node with `pause_secs` pauses each row it is running
/// (and the knob is consumed once it paused something); a node with `paused` pauses each
/// running row until the knob is cleared, which ends its open pauses.
pub(crate) fn apply_pauses(st: &mut SimState, now: f64) {
    for peer in 0..st.peers.len() {
        let (secs, hold) = (st.peers[peer].pause_secs, st.peers[peer].paused);
        let mut paused_any = false;
        for v in &mut st.volumes {
            for t in [v.rebalance.as_mut(), v.remove_brick.as_mut()]
                .into_iter()
                .flatten()
            {
                if !t.nodes.contains(&peer) {
                    continue;
                }
                let open = t
                    .pauses
                    .iter()
                    .position(|p| p.peer == peer && p.until.is_none());
                match open {
                    Some(i) if !hold => t.pauses[i].until = Some(now),
                    Some(_) => continue,
                    None => {}
                }
                let running = t.stopped_at.is_none()
                    && matches!(node_view(t, peer, now).status, 1 | 5)
                    && !t
                        .pauses
                        .iter()
                        .any(|p| p.peer == peer && p.until.is_none_or(|u| u > now));
                if !running || !(hold || secs > 0.0) {
                    continue;
                }
                t.pauses.push(Pause {
                    peer,
                    from: now,
                    until: (!hold).then_some(now + secs),
                });
                paused_any = true;
            }
        }
        if paused_any && !hold {
            st.peers[peer].pause_secs = 0.0;
        }
    }
}
