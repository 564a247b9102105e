//! `volume remove-brick VOL [replica N] BRICK… start|status|stop|commit|force` with gluster
//! 10.3's rules, messages and XML.

use crate::commands::{ok, usage, EG_INTRNL};
use crate::progress::{fails_at, task_status_code};
use crate::report::task_report;
use crate::state::{now_secs, SimState, SimTask};
use crate::usage::{settle, settle_rebalance};
use crate::xml::Doc;
use crate::{Reply, SimOptions};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A refusal: `opRet -1` and an empty `<volRemoveBrick/>`, exit 0.
fn refused(errno: i32, message: &str) -> Reply {
    let mut d = Doc::cli_output(-1, errno, message);
    d.empty("volRemoveBrick");
    Reply {
        stdout: d.finish(),
        stderr: String::new(),
        code: 0,
    }
}

/// Success: gluster fills `opErrstr` with a success message.
fn done(message: &str, task: Option<Uuid>) -> Reply {
    let mut d = Doc::cli_output(0, 0, message);
    match task {
        Some(id) => {
            d.open("volRemoveBrick");
            d.leaf("task-id", &id.to_string());
            d.close("volRemoveBrick");
        }
        None => {
            d.empty("volRemoveBrick");
        }
    }
    ok(d.finish())
}

fn not_started(volume: &str) -> Reply {
    refused(
        EG_INTRNL,
        &format!("remove-brick not started for volume {volume}."),
    )
}

/// Runs one remove-brick command.
pub fn execute(st: &mut SimState, opts: &SimOptions, name: &str, rest: &[&str]) -> Reply {
    let Some(idx) = st.volumes.iter().position(|v| v.name == name) else {
        return refused(EG_INTRNL, &format!("Volume {name} does not exist"));
    };
    let (replica, rest) = match rest {
        ["replica", n, tail @ ..] => match n.parse::<usize>() {
            Ok(n) => (Some(n), tail),
            Err(_) => return usage("replica takes a number"),
        },
        _ => (None, rest),
    };
    let Some((action, bricks)) = rest.split_last() else {
        return usage("Usage: volume remove-brick <VOLNAME> [replica <COUNT>] <BRICK> ... <start|stop|status|commit|force>");
    };
    let now = now_secs();
    let names = st.volumes[idx].brick_names(&st.peers);
    for b in bricks {
        if !names.iter().any(|n| n == b) {
            return refused(0, &format!("Incorrect brick {b} for volume {name}"));
        }
    }
    let positions: BTreeSet<usize> = bricks
        .iter()
        .filter_map(|b| names.iter().position(|n| n == b))
        .collect();
    let given: Vec<String> = bricks.iter().map(|b| (*b).to_owned()).collect();
    match *action {
        "start" | "force" => {
            if let Some(r) = checks(st, idx, &positions, replica) {
                return r;
            }
            if *action == "force" {
                let v = &mut st.volumes[idx];
                settle_rebalance(v, now);
                let mut i = 0;
                v.bricks.retain(|_| {
                    let keep = !positions.contains(&i);
                    i += 1;
                    keep
                });
                if let Some(r) = replica {
                    v.replica = r;
                }
                return done("Remove Brick commit force successful", None);
            }
            if let Some(r) = dead_brick(st, idx, opts.node, bricks) {
                return r;
            }
            // A previous rebalance's moves become the bricks' contents the removal starts from.
            settle_rebalance(&mut st.volumes[idx], now);
            let v = &st.volumes[idx];
            let mut nodes: Vec<usize> = positions.iter().map(|p| v.bricks[*p].peer).collect();
            nodes.sort_unstable();
            nodes.dedup();
            let paths: Vec<String> = positions
                .iter()
                .map(|p| v.bricks[*p].path.clone())
                .collect();
            let plan =
                crate::plan::remove_brick(v, &paths, &nodes, v.migration_failures, opts.task_secs);
            let task = SimTask {
                id: Uuid::new_v4(),
                fix_layout: false,
                started_at: now,
                duration: opts.task_secs,
                stopped_at: None,
                nodes,
                bricks: given,
                failures: v.migration_failures,
                fails_at: fails_at(v, now, opts.task_secs),
                frozen: Vec::new(),
                plan,
                pauses: Vec::new(),
                settled: false,
            };
            let id = task.id;
            st.volumes[idx].remove_brick = Some(task);
            done("Remove Brick start successful", Some(id))
        }
        "status" | "stop" | "commit" => {
            let Some(task) = st.volumes[idx].remove_brick.clone() else {
                return not_started(name);
            };
            match *action {
                "status" => ok(task_report(st, opts.node, &task, "volRemoveBrick", None)),
                "stop" => {
                    let mut stopped = task.clone();
                    stopped.stopped_at = Some(now);
                    let reply = task_report(st, opts.node, &stopped, "volRemoveBrick", None);
                    // gluster forgets a stopped remove-brick; the bricks stay, and the files
                    // it moved stay moved.
                    let v = &mut st.volumes[idx];
                    settle(v, &mut stopped, now);
                    v.remove_brick = None;
                    ok(reply)
                }
                _ => {
                    match task_status_code(&task, now) {
                        1 | 5 => {
                            return refused(
                                EG_INTRNL,
                                "use 'force' option as migration is in progress",
                            )
                        }
                        // gluster keeps a failed removal until it is stopped. The check fails on
                        // the node that ran the migration; another node names it.
                        4 | 8 => {
                            let why = "use 'force' option as migration has failed";
                            let remote = task.nodes.iter().find(|&&n| n != opts.node);
                            return match remote.and_then(|&n| st.peers.get(n)) {
                                Some(p) => refused(
                                    EG_INTRNL,
                                    &format!("Pre Validation failed on {}. {why}", p.hostname),
                                ),
                                None => refused(EG_INTRNL, why),
                            };
                        }
                        _ => {}
                    }
                    let gone: BTreeSet<usize> = task
                        .bricks
                        .iter()
                        .filter_map(|b| names.iter().position(|n| n == b))
                        .collect();
                    let v = &mut st.volumes[idx];
                    // The remaining bricks keep the files moved onto them.
                    let mut task = task;
                    settle(v, &mut task, now);
                    let mut i = 0;
                    v.bricks.retain(|_| {
                        let keep = !gone.contains(&i);
                        i += 1;
                        keep
                    });
                    v.remove_brick = None;
                    done("Remove Brick commit successful", Some(task.id))
                }
            }
        }
        _ => usage(&format!("unknown remove-brick action {action}")),
    }
}

/// gluster's checks before a remove-brick start or force.
fn checks(
    st: &SimState,
    idx: usize,
    positions: &BTreeSet<usize>,
    replica: Option<usize>,
) -> Option<Reply> {
    let v = &st.volumes[idx];
    if v.remove_brick.is_some() {
        return Some(refused(
            EG_INTRNL,
            &format!(
                "An earlier remove-brick task exists for volume {}. Either commit it or stop it before starting a new task.",
                v.name
            ),
        ));
    }
    if positions.len() >= v.bricks.len() {
        return Some(refused(
            EG_INTRNL,
            "Deleting all the bricks of the volume is not allowed",
        ));
    }
    let set = v.replica.max(1);
    if replica.is_none() && set > 1 {
        if !positions.len().is_multiple_of(set) {
            return Some(refused(
                0,
                &format!(
                    "Remove brick incorrect brick count of {} for replica {set}",
                    positions.len()
                ),
            ));
        }
        let sets: BTreeSet<usize> = positions.iter().map(|p| p / set).collect();
        if sets.len() * set != positions.len() {
            return Some(refused(0, "Bricks not from same subvol for replica"));
        }
    }
    None
}

/// Knob `bricks_down`: glusterd refuses to start removing a brick whose process is dead. The
/// node that answers checks its own bricks first ("Found dead brick …"); a peer's refusal
/// comes back as "Staging failed on PEER. Error: …".
fn dead_brick(st: &SimState, idx: usize, local: usize, bricks: &[&str]) -> Option<Reply> {
    let v = &st.volumes[idx];
    let names = v.brick_names(&st.peers);
    let dead: Vec<(usize, &str)> = bricks
        .iter()
        .filter(|b| v.bricks_down.iter().any(|d| d == *b))
        .filter_map(|b| {
            let pos = names.iter().position(|n| n == b)?;
            Some((v.bricks.get(pos)?.peer, *b))
        })
        .collect();
    let (peer, brick) = dead
        .iter()
        .find(|(peer, _)| *peer == local)
        .or_else(|| dead.first())?;
    let found = format!("Found dead brick {brick}");
    if *peer == local {
        return Some(refused(EG_INTRNL, &found));
    }
    let host = st.peers.get(*peer).map_or("?", |p| p.hostname.as_str());
    Some(refused(
        EG_INTRNL,
        &format!("Staging failed on {host}. Error: {found}"),
    ))
}
