//! What each node of a task scans and migrates, worked out at the task's start from the
//! bricks' contents, and how long it takes.
//!
//! Bricks form distribute sets (a replica set, or one brick without replicas); the nodes that
//! host a set's bricks split its files. A rebalance scans every file (`lookups`) and moves the
//! files above the average of the sets to the sets below it; a remove-brick scans and moves
//! every file of the removed sets to the remaining sets, in equal shares (files that fail to
//! migrate, knob `migration_failures`, stay). Each node works at a constant files-per-second
//! rate, the nodes at different speeds (1, 0.85, 0.7 by peer); the rate is chosen so that the
//! slowest node ends at the task's duration.

use crate::state::SimVolume;
use serde::{Deserialize, Serialize};

/// Files moving from one set of bricks to another.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Move {
    /// Paths of the bricks they leave (every replica of the set).
    pub from: Vec<String>,
    /// Paths of the bricks they arrive on.
    pub to: Vec<String>,
    /// How many.
    pub files: i64,
    /// Their bytes.
    pub bytes: i64,
}

/// One node's work in a task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodePlan {
    /// Index into `peers`.
    pub peer: usize,
    /// Files it scans.
    pub lookups: i64,
    /// Files it leaves where they are although it might move them.
    pub skipped: i64,
    /// Seconds of running it needs.
    pub secs: f64,
    /// What it migrates.
    pub moves: Vec<Move>,
}

/// A distribute set: its bricks' paths, their peers, and what its first brick holds.
struct Set {
    paths: Vec<String>,
    peers: Vec<usize>,
    files: i64,
    bytes: i64,
}

fn sets(v: &SimVolume) -> Vec<Set> {
    v.bricks
        .chunks(v.replica.max(1))
        .map(|c| {
            let mut peers: Vec<usize> = c.iter().map(|b| b.peer).collect();
            peers.sort_unstable();
            peers.dedup();
            Set {
                paths: c.iter().map(|b| b.path.clone()).collect(),
                peers,
                files: c.first().map_or(0, |b| b.files.max(0)),
                bytes: c.first().map_or(0, |b| b.data_bytes.max(0)),
            }
        })
        .collect()
}

/// `total` in `n` shares, the first ones larger by the remainder.
fn split(total: i64, n: usize) -> Vec<i64> {
    let n = n.max(1) as i64;
    (0..n)
        .map(|i| total / n + i64::from(i < total % n))
        .collect()
}

/// The speed of a peer, relative to the fastest.
fn speed(peer: usize) -> f64 {
    1.0 - 0.15 * (peer % 3) as f64
}

/// Hands out a set's files in consecutive chunks, each with its exact share of the bytes (so
/// the chunks of all the set's files carry all its bytes).
struct Cursor {
    at: i64,
    files: i64,
    bytes: i64,
}

impl Cursor {
    fn new(s: &Set) -> Cursor {
        Cursor {
            at: 0,
            files: s.files,
            bytes: s.bytes,
        }
    }
    fn cum(&self, x: i64) -> i64 {
        if self.files == 0 {
            0
        } else {
            (i128::from(x) * i128::from(self.bytes) / i128::from(self.files)) as i64
        }
    }
    /// The bytes of the next `n` files.
    fn take(&mut self, n: i64) -> i64 {
        let b = self.cum(self.at + n) - self.cum(self.at);
        self.at += n;
        b
    }
}

fn plan_for(plans: &mut Vec<NodePlan>, peer: usize) -> &mut NodePlan {
    let i = match plans.iter().position(|p| p.peer == peer) {
        Some(i) => i,
        None => {
            plans.push(NodePlan {
                peer,
                lookups: 0,
                skipped: 0,
                secs: 0.0,
                moves: Vec::new(),
            });
            plans.len() - 1
        }
    };
    &mut plans[i]
}

/// Sets each node's running time: its lookups at its speed, scaled so the slowest takes
/// `duration` (every node takes `duration` when there is nothing to scan).
fn time(plans: &mut [NodePlan], duration: f64) {
    let work = |p: &NodePlan| p.lookups as f64 / speed(p.peer);
    let most = plans.iter().map(work).fold(0.0, f64::max);
    for p in plans.iter_mut() {
        p.secs = if most > 0.0 {
            duration * work(p) / most
        } else {
            duration
        };
    }
}

/// The plan of a rebalance of `v` on `nodes` (a fix-layout scans but moves nothing).
pub(crate) fn rebalance(
    v: &SimVolume,
    nodes: &[usize],
    fix_layout: bool,
    duration: f64,
) -> Vec<NodePlan> {
    let sets = sets(v);
    let mut plans = Vec::new();
    for &peer in nodes {
        plan_for(&mut plans, peer);
    }
    for s in &sets {
        for (peer, share) in s.peers.iter().zip(split(s.files, s.peers.len())) {
            plan_for(&mut plans, *peer).lookups += share;
        }
    }
    if !fix_layout && !sets.is_empty() {
        let avg = sets.iter().map(|s| s.files).sum::<i64>() / sets.len() as i64;
        let mut deficits: Vec<(usize, i64)> = sets
            .iter()
            .enumerate()
            .filter(|(_, s)| s.files < avg)
            .map(|(j, s)| (j, avg - s.files))
            .collect();
        for s in sets.iter().filter(|s| s.files > avg) {
            let mut cursor = Cursor::new(s);
            let mut excess = s.files - avg;
            for (j, need) in deficits.iter_mut().filter(|(_, n)| *n > 0) {
                let n = excess.min(*need);
                *need -= n;
                excess -= n;
                for (peer, part) in s.peers.iter().zip(split(n, s.peers.len())) {
                    let bytes = cursor.take(part);
                    plan_for(&mut plans, *peer).moves.push(Move {
                        from: s.paths.clone(),
                        to: sets[*j].paths.clone(),
                        files: part,
                        bytes,
                    });
                }
                if excess == 0 {
                    break;
                }
            }
        }
        for p in &mut plans {
            p.skipped = p.peer as i64;
        }
    }
    time(&mut plans, duration);
    plans
}

/// The plan of removing the bricks at `paths` from `v` on `nodes`, each node failing to
/// migrate `failures` files of each set it empties.
pub(crate) fn remove_brick(
    v: &SimVolume,
    paths: &[String],
    nodes: &[usize],
    failures: i64,
    duration: f64,
) -> Vec<NodePlan> {
    let sets = sets(v);
    let removed = |s: &&Set| s.paths.iter().all(|p| paths.contains(p));
    let kept: Vec<&Set> = sets
        .iter()
        .filter(|s| !s.paths.iter().any(|p| paths.contains(p)))
        .collect();
    let mut plans = Vec::new();
    for &peer in nodes {
        plan_for(&mut plans, peer);
    }
    for s in sets.iter().filter(removed) {
        let mut cursor = Cursor::new(s);
        for (peer, share) in s.peers.iter().zip(split(s.files, s.peers.len())) {
            let plan = plan_for(&mut plans, *peer);
            plan.lookups += share;
            let failed = failures.clamp(0, share);
            let movable = if kept.is_empty() { 0 } else { share - failed };
            for (to, part) in kept.iter().zip(split(movable, kept.len())) {
                let bytes = cursor.take(part);
                plan.moves.push(Move {
                    from: s.paths.clone(),
                    to: to.paths.clone(),
                    files: part,
                    bytes,
                });
            }
            cursor.take(share - movable);
        }
    }
    time(&mut plans, duration);
    plans
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;
    use crate::state::SimState;

    fn moved(plans: &[NodePlan]) -> (i64, i64) {
        plans
            .iter()
            .flat_map(|p| &p.moves)
            .fold((0, 0), |(f, b), m| (f + m.files, b + m.bytes))
    }

    #[test]
    fn a_rebalance_of_dist_scans_every_file_and_evens_the_bricks_out() {
        let st = SimState::default();
        let dist = &st.volumes[0];
        let plans = rebalance(dist, &dist.brick_peers(), false, 10.0);
        let lookups: Vec<(usize, i64)> = plans.iter().map(|p| (p.peer, p.lookups)).collect();
        assert_eq!(lookups, [(0, 2000), (1, 1400), (2, 1200)]);
        // The average is 1150: b1 gives 450, b2 250, b3 50, all to b4.
        assert_eq!(moved(&plans), (750, 750 * 512 * 1024));
        assert!(plans.iter().all(|p| !p.moves.is_empty()));
        // Node 1 is the slowest for its work (2000 files at speed 1 vs 1400 at 0.85, 1200 at 0.7).
        assert_eq!(plans[0].secs, 10.0);
        assert!(plans[1].secs < 10.0 && plans[2].secs < 10.0);
    }

    #[test]
    fn a_removal_moves_every_file_of_the_set_off_but_the_failed_ones() {
        let st = SimState::default();
        let distrep = &st.volumes[1];
        let gone: Vec<String> = distrep.bricks[..3].iter().map(|b| b.path.clone()).collect();
        let plans = remove_brick(distrep, &gone, &[0, 1, 2], 0, 6.0);
        let lookups: Vec<i64> = plans.iter().map(|p| p.lookups).collect();
        assert_eq!(lookups, [667, 667, 666]);
        assert_eq!(moved(&plans), (2000, 2000 * 256 * 1024));
        assert!(plans
            .iter()
            .all(
                |p| (p.secs - 6.0 * p.lookups as f64 / speed(p.peer) / (666.0 / 0.7)).abs() < 1e-9
            ));
        let failing = remove_brick(distrep, &gone, &[0, 1, 2], 5, 6.0);
        assert_eq!(moved(&failing).0, 2000 - 15);
    }
}
