//! One command's run: the state file's lock, the node's knobs (down, faults, busy), the
//! dispatch to each command, and the replies several commands share.

use crate::inventory::{find, heal_info, peer_list, volume_info, volume_info_missing};
use crate::pause::apply_pauses;
use crate::progress::freeze_stuck_nodes;
use crate::report::status_tasks;
use crate::state::{self, now_secs, PeerFault, SimState};
use crate::usage::status_detail;
use crate::xml::{self, Doc};
use crate::{Reply, SimOptions};

/// What glusterd prints when the CLI cannot reach it.
const CONNECTION_FAILED: &str =
    "Connection failed. Please check if gluster daemon is operational.\n";

/// A successful answer (exit 0).
pub(crate) fn ok(stdout: String) -> Reply {
    Reply {
        stdout,
        stderr: String::new(),
        code: 0,
    }
}

/// gluster's generic error number (`EG_INTRNL`).
pub(crate) const EG_INTRNL: i32 = 30800;

/// A refused `volume rebalance … start`: the reply still names the operation (`<op>`).
pub(crate) fn start_refused(message: &str, op: i64) -> Reply {
    let mut d = Doc::cli_output(-1, EG_INTRNL, message);
    d.open("volRebalance");
    d.leaf("op", &op.to_string());
    d.close("volRebalance");
    Reply {
        stdout: d.finish(),
        stderr: String::new(),
        code: 0,
    }
}

/// A refusal as `volume rebalance … status|stop` print it: with `<cliOp>`/`<output>`.
pub(crate) fn refused_op(cli_op: &str, message: &str, code: u8) -> Reply {
    Reply {
        stdout: xml::error(EG_INTRNL, message, Some(cli_op)),
        stderr: String::new(),
        code,
    }
}

/// A command line gluster's CLI rejects: a message on stderr, exit 1.
pub(crate) fn usage(message: &str) -> Reply {
    Reply {
        stdout: String::new(),
        stderr: format!("{message}\n"),
        code: 1,
    }
}

/// Runs one command against the state file.
pub fn execute(opts: &SimOptions, args: &[String]) -> Reply {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--mode=script" && *a != "--xml")
        .collect();
    if !args.iter().any(|a| a == "--xml") {
        return usage("gluster-sim answers only in --xml mode");
    }
    let (mut st, mut lock) = match state::load(&opts.state) {
        Ok(loaded) => loaded,
        Err(e) => return usage(&format!("gluster-sim: state {}: {e}", opts.state.display())),
    };
    if let Some(path) = &opts.call_log {
        log_call(path, opts.node, &words);
    }
    let Some(peer) = st.peers.get_mut(opts.node) else {
        return connection_failed();
    };
    if !peer.up {
        return connection_failed();
    }
    let fault = peer.fault;
    if peer.busy_calls > 0 {
        peer.busy_calls -= 1;
        if let Err(e) = state::save(&opts.state, &st) {
            return usage(&format!("gluster-sim: cannot save state: {e}"));
        }
        return lock_contention(&words);
    }
    if fault == Some(PeerFault::Hang) {
        drop(lock);
        std::thread::sleep(std::time::Duration::from_secs(3600));
        return connection_failed();
    }
    if fault == Some(PeerFault::Garbage) {
        return ok("\u{1}\u{7f} glusterfs: segfault at 0 ip 00007f\n".to_owned());
    }
    match crate::slow_start::delay(&st, opts, &words) {
        // Knob `start_delay_ms`: wait unlocked, so that other commands answer meanwhile, then
        // start from the state as it is by then; or (`start_holds_lock`) wait locked.
        Some(d) if d.locked => std::thread::sleep(d.wait),
        Some(d) => {
            drop(lock);
            std::thread::sleep(d.wait);
            (st, lock) = match state::load(&opts.state) {
                Ok(loaded) => loaded,
                Err(e) => {
                    return usage(&format!("gluster-sim: state {}: {e}", opts.state.display()))
                }
            };
        }
        None => {}
    }
    let before = st.clone();
    freeze_stuck_nodes(&mut st, now_secs());
    apply_pauses(&mut st, now_secs());
    let mut reply = dispatch(&mut st, opts, &words);
    // A task this command started freezes (or pauses) at once on a stuck (or paused) node.
    freeze_stuck_nodes(&mut st, now_secs());
    apply_pauses(&mut st, now_secs());
    if fault == Some(PeerFault::Truncated) {
        let cut = reply.stdout.len() / 2;
        let cut = (0..=cut)
            .rev()
            .find(|i| reply.stdout.is_char_boundary(*i))
            .unwrap_or(0);
        reply.stdout.truncate(cut);
    }
    if st != before {
        if let Err(e) = state::save(&opts.state, &st) {
            return usage(&format!("gluster-sim: cannot save state: {e}"));
        }
    }
    drop(lock);
    reply
}

/// Appends `SECONDS PPID NODE ARGS…` to the call log (under the state lock, so lines are in
/// the order the commands ran). A log that cannot be written is not the command's failure.
fn log_call(path: &std::path::Path, node: usize, words: &[&str]) {
    use std::io::Write;
    let line = format!(
        "{:.3} {} {} {}\n",
        now_secs(),
        std::os::unix::process::parent_id(),
        node + 1,
        words.join(" ")
    );
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
}

fn connection_failed() -> Reply {
    Reply {
        stdout: CONNECTION_FAILED.to_owned(),
        stderr: String::new(),
        code: 1,
    }
}

/// glusterd's refusal while another command holds its lock (`EG_ANOTRANS`).
fn lock_contention(words: &[&str]) -> Reply {
    let target = match words {
        ["volume", _, name, ..] if *name != "all" => *name,
        _ => "all",
    };
    Reply {
        stdout: xml::error(
            30802,
            &format!("Another transaction is in progress for {target}. Please try again after some time."),
            None,
        ),
        stderr: String::new(),
        code: 1,
    }
}

/// Runs the gluster command `w` (without the global options) on `st`.
pub(crate) fn dispatch(st: &mut SimState, opts: &SimOptions, w: &[&str]) -> Reply {
    match w {
        ["pool", "list"] => ok(peer_list(st, opts.node, true)),
        ["peer", "status"] => ok(peer_list(st, opts.node, false)),
        ["volume", "info"] | ["volume", "info", "all"] => ok(volume_info(st, None)),
        ["volume", "info", name] => match find(st, name) {
            Some(_) => ok(volume_info(st, Some(name))),
            None => Reply {
                stdout: volume_info_missing(),
                stderr: String::new(),
                code: 0,
            },
        },
        ["volume", "status", "all", "tasks"] => ok(status_tasks(st, None)),
        ["volume", "status", "all", "detail"] => status_detail(st, None, now_secs()),
        ["volume", "status", name, "detail"] => status_detail(st, Some(name), now_secs()),
        ["volume", "status", name, "tasks"] => match find(st, name) {
            None => refused_op("volStatus", &format!("Volume {name} does not exist"), 0),
            Some(v) if v.status_str != "Started" => {
                refused_op("volStatus", &format!("Volume {name} is not started"), 0)
            }
            Some(_) => ok(status_tasks(st, Some(name))),
        },
        ["volume", "rebalance", name, rest @ ..] => crate::rebalance::execute(st, opts, name, rest),
        ["volume", "heal", name, "info"] => heal_info(st, name),
        ["volume", "remove-brick", name, rest @ ..] => {
            crate::remove_brick::execute(st, opts, name, rest)
        }
        _ => usage(&format!("unrecognized command: {}", w.join(" "))),
    }
}

/// How node `local` names peer `idx`: `localhost` for itself, else the peer's host name.
pub(crate) fn peer_name(st: &SimState, local: usize, idx: usize) -> String {
    if idx == local {
        "localhost".to_owned()
    } else {
        st.peers
            .get(idx)
            .map(|p| p.hostname.clone())
            .unwrap_or_default()
    }
}
