//! How much work a task has: sized at its start from the bricks' usage
//! (`volume status VOL detail`), and how much of it a node's counters say is done.
//!
//! Measured on GlusterFS 10.3 (docs/progress.md):
//!
//! - A **rebalance** node scans every file on its local bricks (its `lookups` end exactly at
//!   their file count, directories not counted); on a replicated volume each node of a set
//!   scans the whole set while they split the moves. Its work is the files on its bricks,
//!   counted from the inodes in use ([`files_from_inodes`]), and its progress the files
//!   scanned.
//! - A **remove-brick** moves every file off the bricks being removed; the nodes of a replica
//!   set split them. Its work is those files, its progress the files moved, failed or skipped.
//!   Files, not bytes: the rate follows the number of files whatever their size, and an
//!   empty filesystem's own usage (41 MB of a 1 GiB xfs) would keep a byte count from ever
//!   reaching the end.
//! - A **fix-layout** fixes directories; gluster counts none, so it is not sized.

use super::{Basis, NodeWork, ProgressNote, Sizing};
use crate::{BrickUsage, Job, NodeProgress, TaskKind, Volume, VolumeType};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Inodes a brick's filesystem uses before any file: its root, `.glusterfs` with the 256
/// `xx` directories gluster creates up front, and gluster's own entries (272 measured on 10.3,
/// 271 of them before the first migration).
pub const EMPTY_BRICK_INODES: i64 = 271;

/// The files a brick holds, from the inodes in use on its filesystem. Every file is one inode
/// (its gfid hard link under `.glusterfs/xx/yy/` shares it), but the `yy` directories are
/// inodes too: with `f` files spread over them by random gfids, about
/// `65536·(1−e^(−f/65536))` of them exist. This inverts `used = f + that + EMPTY_BRICK_INODES`
/// (exact on 10.3 bricks, docs/progress.md). Directories (two inodes each, the directory and
/// its gfid symlink) are not known and are counted as files, so the result is an upper bound.
pub fn files_from_inodes(used: i64) -> i64 {
    let inodes = |f: f64| f + 65536.0 * (1.0 - (-f / 65536.0).exp()) + EMPTY_BRICK_INODES as f64;
    let (mut lo, mut hi) = (0i64, used.max(0));
    if inodes(0.0) >= used as f64 {
        return 0;
    }
    // inodes() rises strictly with f: find the largest f whose inodes do not exceed `used`.
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if inodes(mid as f64) <= used as f64 {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// How many nodes share the moves of one brick's set: the data bricks of a replica set, the
/// bricks of a disperse set, else 1.
fn set_width(volume: &Volume) -> i64 {
    let l = volume.layout;
    let width = match volume.vol_type {
        VolumeType::Replicate | VolumeType::DistributedReplicate => {
            l.replica_count - l.arbiter_count
        }
        VolumeType::Disperse | VolumeType::DistributedDisperse => l.disperse_count,
        _ => 1,
    };
    i64::from(width.max(1))
}

/// Why the bricks `of` cannot be sized from `usage`, if they cannot: a brick gluster did not
/// report, or one that shares its filesystem (same node, same device) with another brick of
/// the volume.
fn unsizable(volume: &Volume, of: &[&str], usage: &[BrickUsage]) -> Option<ProgressNote> {
    let find = |name: &str| usage.iter().find(|u| u.brick == name);
    if usage.is_empty() || of.iter().any(|b| find(b).is_none()) {
        return Some(ProgressNote::NoUsage);
    }
    let shared = of.iter().filter_map(|b| find(b)).any(|u| {
        u.device.is_some()
            && volume.bricks.iter().any(|other| {
                other.name != u.brick
                    && find(&other.name)
                        .is_some_and(|o| o.peer_id == u.peer_id && o.device == u.device)
            })
    });
    shared.then_some(ProgressNote::SharedFilesystem)
}

/// Sums `per_brick` over each node's bricks `of`, divided by `width` (the nodes that share
/// each brick's work).
fn per_node(
    volume: &Volume,
    of: &[&str],
    usage: &[BrickUsage],
    width: i64,
    per_brick: impl Fn(&BrickUsage) -> i64,
) -> BTreeMap<Uuid, i64> {
    let mut sums = BTreeMap::new();
    for b in volume
        .bricks
        .iter()
        .filter(|b| of.contains(&b.name.as_str()))
    {
        if b.is_arbiter {
            continue;
        }
        if let Some(u) = usage.iter().find(|u| u.brick == b.name) {
            *sums.entry(u.peer_id).or_insert(0) += per_brick(u) / width;
        }
    }
    sums
}

/// The bricks whose data the task handles: the removed ones, or all of a rebalance's.
fn task_bricks<'a>(job: &'a Job, volume: &'a Volume) -> Vec<&'a str> {
    match job.kind {
        TaskKind::RemoveBrick => job.params.bricks.iter().map(String::as_str).collect(),
        TaskKind::Rebalance => volume.bricks.iter().map(|b| b.name.as_str()).collect(),
    }
}

/// Sizes `job`'s task on `volume` from the bricks' `usage`. `found` holds the per-node rows of
/// a task found already running (adopted), empty for one this service is starting: a removal
/// found running adds what its nodes already moved, and the sizing says it was sized late.
pub fn size(job: &Job, volume: &Volume, usage: &[BrickUsage], found: &[NodeProgress]) -> Sizing {
    let none = |note| Sizing {
        basis: None,
        nodes: Vec::new(),
        note: Some(note),
    };
    if job.kind == TaskKind::Rebalance && job.params.fix_layout {
        return none(ProgressNote::FixLayout);
    }
    let bricks = task_bricks(job, volume);
    if let Some(note) = unsizable(volume, &bricks, usage) {
        return none(note);
    }
    let with_inodes = |b: &&str| {
        usage
            .iter()
            .any(|u| u.brick == *b && u.used_inodes().is_some())
    };
    if !bricks.iter().all(with_inodes) {
        return none(ProgressNote::NoInodes);
    }
    let files = |u: &BrickUsage| files_from_inodes(u.used_inodes().unwrap_or(0));
    let basis = Basis::Files;
    let totals = match job.kind {
        // Every node of a set scans all of it.
        TaskKind::Rebalance => per_node(volume, &bricks, usage, 1, files),
        TaskKind::RemoveBrick => {
            let mut moving = per_node(volume, &bricks, usage, set_width(volume), files);
            for n in found {
                *moving.entry(n.peer_id).or_insert(0) += done(job.kind, n);
            }
            moving
        }
    };
    Sizing {
        basis: Some(basis),
        nodes: totals
            .into_iter()
            .map(|(peer_id, total)| NodeWork {
                peer_id,
                basis,
                total,
            })
            .collect(),
        note: (!found.is_empty()).then_some(ProgressNote::SizedWhenFound),
    }
}

/// The work a node has done: files scanned by a rebalance; files moved, failed or skipped by
/// a removal.
pub fn done(kind: TaskKind, node: &NodeProgress) -> i64 {
    match kind {
        TaskKind::Rebalance => node.scanned.max(0),
        TaskKind::RemoveBrick => node
            .files
            .saturating_add(node.failures)
            .saturating_add(node.skipped)
            .max(0),
    }
}

#[cfg(test)]
#[path = "work_tests.rs"]
mod tests;
