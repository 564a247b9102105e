//! The gluster commands the simulator answers, with gluster 10.3's rules and messages.

use crate::state::{self, now_secs, PeerFault, SimPeer, SimState, SimTask, SimVolume};
use crate::xml::{self, esc, Doc};
use crate::{Reply, SimOptions};
use uuid::Uuid;

/// Bytes per simulated file.
const FILE_SIZE: i64 = 65_536;

/// What glusterd prints when the CLI cannot reach it.
const CONNECTION_FAILED: &str =
    "Connection failed. Please check if gluster daemon is operational.\n";

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
fn start_refused(message: &str, op: i64) -> Reply {
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
fn refused_op(cli_op: &str, message: &str, code: u8) -> Reply {
    Reply {
        stdout: xml::error(EG_INTRNL, message, Some(cli_op)),
        stderr: String::new(),
        code,
    }
}

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
    let (mut st, _lock) = match state::load(&opts.state) {
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
        drop(_lock);
        std::thread::sleep(std::time::Duration::from_secs(3600));
        return connection_failed();
    }
    if fault == Some(PeerFault::Garbage) {
        return ok("\u{1}\u{7f} glusterfs: segfault at 0 ip 00007f\n".to_owned());
    }
    let before = st.clone();
    let mut reply = dispatch(&mut st, opts, &words);
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

fn dispatch(st: &mut SimState, opts: &SimOptions, w: &[&str]) -> Reply {
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
        ["volume", "status", name, "tasks"] => match find(st, name) {
            None => refused_op("volStatus", &format!("Volume {name} does not exist"), 0),
            Some(v) if v.status_str != "Started" => {
                refused_op("volStatus", &format!("Volume {name} is not started"), 0)
            }
            Some(_) => ok(status_tasks(st, Some(name))),
        },
        ["volume", "rebalance", name, rest @ ..] => rebalance(st, opts, name, rest),
        ["volume", "heal", name, "info"] => heal_info(st, name),
        ["volume", "remove-brick", name, rest @ ..] => {
            crate::remove_brick::execute(st, opts, name, rest)
        }
        _ => usage(&format!("unrecognized command: {}", w.join(" "))),
    }
}

fn find<'a>(st: &'a SimState, name: &str) -> Option<&'a SimVolume> {
    st.volumes.iter().find(|v| v.name == name)
}

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

fn peer_list(st: &SimState, local: usize, include_local: bool) -> String {
    let mut d = Doc::cli_output(0, 0, "");
    d.open("peerStatus");
    // `pool list` prints the other peers first and the local node last, as `localhost`.
    let order: Vec<usize> = (0..st.peers.len())
        .filter(|i| *i != local)
        .chain(include_local.then_some(local))
        .collect();
    for i in order {
        let p: &SimPeer = &st.peers[i];
        d.open("peer");
        d.leaf("uuid", &p.uuid.to_string());
        d.leaf("hostname", &peer_name(st, local, i));
        if i != local {
            d.open("hostnames");
            d.leaf("hostname", &p.hostname);
            d.close("hostnames");
        }
        d.leaf("connected", if p.up { "1" } else { "0" });
        if i != local {
            d.leaf("state", "3");
            d.leaf("stateStr", "Peer in Cluster");
        }
        d.close("peer");
    }
    d.close("peerStatus");
    d.finish()
}

fn volume_info(st: &SimState, only: Option<&str>) -> String {
    let vols: Vec<&SimVolume> = st
        .volumes
        .iter()
        .filter(|v| only.is_none_or(|n| v.name == n))
        .collect();
    let mut d = Doc::cli_output(0, 0, "");
    d.open("volInfo").open("volumes");
    for v in &vols {
        d.open("volume");
        d.leaf("name", &v.name);
        d.leaf("id", &v.id.to_string());
        let status = match v.status_str.as_str() {
            "Created" => 0,
            "Started" => 1,
            _ => 2,
        };
        d.leaf("status", &status.to_string());
        d.leaf("statusStr", &v.status_str);
        d.leaf("snapshotCount", "0");
        d.leaf("brickCount", &v.bricks.len().to_string());
        // Since gluster 8, distCount is the number of distribute subvolumes.
        d.leaf(
            "distCount",
            &(v.bricks.len() / v.replica.max(1)).to_string(),
        );
        d.leaf("replicaCount", &v.replica.to_string());
        d.leaf("arbiterCount", "0");
        d.leaf("disperseCount", "0");
        d.leaf("redundancyCount", "0");
        let type_code = match v.type_str.as_str() {
            "Distribute" => 0,
            "Replicate" => 2,
            "Disperse" => 4,
            "Distributed-Replicate" => 5,
            _ => 7,
        };
        d.leaf("type", &type_code.to_string());
        d.leaf("typeStr", &v.type_str);
        d.leaf("transport", "0");
        d.open("bricks");
        for (b, name) in v.bricks.iter().zip(v.brick_names(&st.peers)) {
            let host_uuid = st.peers.get(b.peer).map(|p| p.uuid).unwrap_or_default();
            d.raw(&format!(
                "<brick uuid=\"{host_uuid}\">{n}<name>{n}</name><hostUuid>{host_uuid}</hostUuid><isArbiter>0</isArbiter></brick>",
                n = esc(&name)
            ));
        }
        d.close("bricks");
        let options = [
            ("storage.fips-mode-rchecksum", "on"),
            ("transport.address-family", "inet"),
            ("nfs.disable", "on"),
        ];
        d.leaf("optCount", &options.len().to_string());
        d.open("options");
        for (name, value) in options {
            d.open("option");
            d.leaf("name", name);
            d.leaf("value", value);
            d.close("option");
        }
        d.close("options");
        d.close("volume");
    }
    d.leaf("count", &vols.len().to_string());
    d.close("volumes").close("volInfo");
    d.finish()
}

/// `volume heal VOL info`: `<healInfo>` comes before `opRet`; a volume without replicas is
/// refused with errno 22 and exit code 234, as gluster does.
fn heal_info(st: &SimState, name: &str) -> Reply {
    let Some(v) = find(st, name) else {
        return refused_op("volHeal", &format!("Volume {name} does not exist"), 234);
    };
    if v.replica <= 1 {
        let message = format!("This command is supported for only volumes of replicate/disperse type. Volume {name} is not of type replicate/disperse");
        return Reply {
            stdout: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n  <healInfo>\n    <bricks/>\n  </healInfo>\n  <opRet>-1</opRet>\n  <opErrno>22</opErrno>\n  <opErrstr>{}</opErrstr>\n</cliOutput>\n",
                crate::xml::esc(&message)
            ),
            stderr: String::new(),
            code: 234,
        };
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n  <healInfo>\n    <bricks>\n");
    for (b, n) in v.bricks.iter().zip(v.brick_names(&st.peers)) {
        let uuid = st.peers.get(b.peer).map(|p| p.uuid).unwrap_or_default();
        out.push_str(&format!(
            "      <brick hostUuid=\"{uuid}\">\n        <name>{}</name>\n        <status>Connected</status>\n        <numberOfEntries>{}</numberOfEntries>\n      </brick>\n",
            crate::xml::esc(&n),
            v.pending_heals
        ));
    }
    out.push_str("    </bricks>\n  </healInfo>\n  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>\n");
    ok(out)
}

/// `volume info VOL` of a volume that does not exist (errno 30806, no name in the message).
fn volume_info_missing() -> String {
    let mut d = Doc::cli_output(-1, 30806, "Volume does not exist");
    d.open("volInfo").open("volumes");
    d.leaf("count", "0");
    d.close("volumes").close("volInfo");
    d.finish()
}

/// A node's view of a task at `now`: (status code, files, size, lookups, failures, skipped,
/// runtime).
pub(crate) struct NodeView {
    pub(crate) status: i64,
    pub(crate) files: i64,
    pub(crate) size: i64,
    pub(crate) lookups: i64,
    pub(crate) failures: i64,
    pub(crate) skipped: i64,
    pub(crate) runtime: f64,
}

pub(crate) fn node_view(t: &SimTask, k: usize, peer: usize, now: f64) -> NodeView {
    let n = t.nodes.len().max(1);
    // Nodes finish one after the other; the last one at the task's full duration.
    let share = if n == 1 {
        1.0
    } else {
        0.7 + 0.3 * k as f64 / (n - 1) as f64
    };
    let end = t.started_at + t.duration * share;
    let until = t.stopped_at.map_or(now, |s| s.min(now)).min(end);
    let frac = ((until - t.started_at) / (end - t.started_at)).clamp(0.0, 1.0);
    let total_files = 120 + 40 * peer as i64;
    let scanned_total = total_files * 3;
    let (base_running, base_stopped, base_done) = if t.fix_layout { (5, 6, 7) } else { (1, 2, 3) };
    let status = match t.stopped_at {
        Some(s) if s < end => base_stopped,
        _ if now >= end => base_done,
        _ => base_running,
    };
    let files = if t.fix_layout {
        0
    } else {
        (total_files as f64 * frac) as i64
    };
    NodeView {
        status,
        files,
        size: files * FILE_SIZE,
        lookups: (scanned_total as f64 * frac) as i64,
        failures: if status == base_done { t.failures } else { 0 },
        skipped: if t.fix_layout {
            0
        } else {
            (peer as f64 * frac) as i64
        },
        runtime: (until - t.started_at).max(0.0),
    }
}

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

pub(crate) fn task_status_code(t: &SimTask, now: f64) -> i64 {
    let codes: Vec<i64> = t
        .nodes
        .iter()
        .enumerate()
        .map(|(k, p)| node_view(t, k, *p, now).status)
        .collect();
    aggregate(&codes)
}

fn status_tasks(st: &SimState, only: Option<&str>) -> String {
    let now = now_secs();
    let mut d = Doc::cli_output(0, 0, "");
    d.open("volStatus").open("volumes");
    for v in st
        .volumes
        .iter()
        .filter(|v| v.status_str == "Started" && only.is_none_or(|n| v.name == n))
    {
        d.open("volume");
        d.leaf("volName", &v.name);
        if v.hide_tasks {
            d.empty("tasks");
            d.close("volume");
            continue;
        }
        if let Some(t) = &v.remove_brick {
            let code = task_status_code(t, now);
            d.open("tasks").open("task");
            d.leaf("type", "Remove brick");
            d.leaf("id", &t.id.to_string());
            d.leaf("status", &code.to_string());
            d.leaf("statusStr", status_str(code));
            d.open("params");
            for b in &t.bricks {
                d.leaf("brick", b);
            }
            d.close("params");
            d.close("task").close("tasks");
            d.close("volume");
            continue;
        }
        // A stopped task is no longer listed.
        let listed = v.rebalance.as_ref().filter(|t| t.stopped_at.is_none());
        match listed {
            None => {
                d.empty("tasks");
            }
            Some(t) => {
                // `volume status … tasks` reports a fix-layout as a plain rebalance (1/2/3/4).
                let code = match task_status_code(t, now) {
                    c @ 5..=8 => c - 4,
                    c => c,
                };
                d.open("tasks").open("task");
                d.leaf("type", "Rebalance");
                d.leaf("id", &t.id.to_string());
                d.leaf("status", &code.to_string());
                d.leaf("statusStr", status_str(code));
                d.close("task").close("tasks");
            }
        }
        d.close("volume");
    }
    d.close("volumes").close("volStatus");
    d.finish()
}

fn rebalance_report(st: &SimState, local: usize, t: &SimTask, op: i64) -> String {
    task_report(st, local, t, "volRebalance", Some(op))
}

/// The per-node report of a task, under `element` (`volRebalance`, `volRemoveBrick`).
pub(crate) fn task_report(
    st: &SimState,
    local: usize,
    t: &SimTask,
    element: &str,
    op: Option<i64>,
) -> String {
    let now = now_secs();
    let mut d = Doc::cli_output(0, 0, "");
    d.open(element);
    d.leaf("task-id", &t.id.to_string());
    if let Some(op) = op {
        d.leaf("op", &op.to_string());
    }
    d.leaf("nodeCount", &st.peers.len().to_string());
    let mut codes = Vec::new();
    let (mut files, mut size, mut lookups, mut failures, mut skipped, mut runtime) =
        (0, 0, 0, 0, 0, 0.0f64);
    // gluster lists the other nodes first and the answering node (`localhost`) last. Like
    // GlusterFS 10.3 it leaves out a node whose glusterd is down (its process runs on) and
    // aggregates the rest; `nodeCount` still counts every peer.
    let mut order: Vec<(usize, usize)> = t
        .nodes
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, peer)| st.peers.get(*peer).is_some_and(|p| p.up))
        .collect();
    order.sort_by_key(|(_, peer)| *peer == local);
    for (k, peer) in order.iter().map(|(k, p)| (*k, p)) {
        let n = node_view(t, k, *peer, now);
        d.open("node");
        d.leaf("nodeName", &peer_name(st, local, *peer));
        d.leaf(
            "id",
            &st.peers
                .get(*peer)
                .map(|p| p.uuid)
                .unwrap_or_default()
                .to_string(),
        );
        d.leaf("files", &n.files.to_string());
        d.leaf("size", &n.size.to_string());
        d.leaf("lookups", &n.lookups.to_string());
        d.leaf("failures", &n.failures.to_string());
        d.leaf("skipped", &n.skipped.to_string());
        d.leaf("status", &n.status.to_string());
        d.leaf("statusStr", status_str(n.status));
        d.leaf("runtime", &format!("{:.2}", n.runtime));
        d.close("node");
        codes.push(n.status);
        files += n.files;
        size += n.size;
        lookups += n.lookups;
        failures += n.failures;
        skipped += n.skipped;
        runtime = runtime.max(n.runtime);
    }
    let agg = aggregate(&codes);
    d.open("aggregate");
    d.leaf("files", &files.to_string());
    d.leaf("size", &size.to_string());
    d.leaf("lookups", &lookups.to_string());
    d.leaf("failures", &failures.to_string());
    d.leaf("skipped", &skipped.to_string());
    d.leaf("status", &agg.to_string());
    d.leaf("statusStr", status_str(agg));
    d.leaf("runtime", &format!("{runtime:.2}"));
    d.close("aggregate");
    d.close(element);
    d.finish()
}

/// gluster's operation code of a start form: 1 start, 4 fix-layout start, 5 start force.
fn start_op(rest: &[&str]) -> i64 {
    match rest {
        ["fix-layout", ..] => 4,
        ["start", "force"] => 5,
        _ => 1,
    }
}

fn not_started(volume: &str) -> String {
    format!("Rebalance not started for volume {volume}.")
}

fn rebalance(st: &mut SimState, opts: &SimOptions, name: &str, rest: &[&str]) -> Reply {
    let Some(idx) = st.volumes.iter().position(|v| v.name == name) else {
        let message = format!("Volume {name} does not exist");
        return match rest {
            ["status"] | ["stop"] => refused_op("volRebalance", &message, 1),
            _ => start_refused(&message, start_op(rest)),
        };
    };
    let now = now_secs();
    let local = opts.node;
    match rest {
        ["start"] | ["start", "force"] | ["fix-layout", "start"] => {
            let op = start_op(rest);
            let v = &st.volumes[idx];
            if v.status_str != "Started" {
                return start_refused(
                    &format!("Volume {name} needs to be started to perform rebalance"),
                    op,
                );
            }
            if v.bricks.len() / v.replica.max(1) <= 1 {
                return start_refused(&format!(
                    "Volume {name} is not a distribute volume or contains only 1 brick.\nNot performing rebalance"
                ), op);
            }
            if v.remove_brick.is_some() {
                return start_refused(
                    &format!("A remove-brick task on volume {name} is not yet committed. Either commit or stop the remove-brick task."),
                    op,
                );
            }
            if let Some(t) = &v.rebalance {
                if t.stopped_at.is_none() && matches!(task_status_code(t, now), 1 | 5) {
                    return start_refused(&format!("Rebalance on {name} is already started"), op);
                }
            }
            let task = SimTask {
                failures: 0,
                id: Uuid::new_v4(),
                fix_layout: rest[0] == "fix-layout",
                started_at: now,
                duration: opts.task_secs,
                stopped_at: None,
                nodes: v.brick_peers(),
                bricks: Vec::new(),
            };
            let mut d = Doc::cli_output(0, 0, "");
            d.open("volRebalance");
            d.leaf("task-id", &task.id.to_string());
            d.leaf("op", &op.to_string());
            d.close("volRebalance");
            st.volumes[idx].rebalance = Some(task);
            ok(d.finish())
        }
        // gluster 10.3 forgets a stopped rebalance: status and stop then say "not started".
        ["status"] => match &st.volumes[idx].rebalance {
            _ if st.volumes[idx].remove_brick.is_some() => {
                refused_op("volRebalance", &not_started(name), 1)
            }
            Some(t) if t.stopped_at.is_none() => ok(rebalance_report(st, local, t, 3)),
            _ => refused_op("volRebalance", &not_started(name), 1),
        },
        ["stop"] => {
            let Some(t) = st.volumes[idx]
                .rebalance
                .as_ref()
                .filter(|t| t.stopped_at.is_none())
            else {
                return refused_op("volRebalance", &not_started(name), 1);
            };
            if matches!(task_status_code(t, now), 1 | 5) {
                // Stopping a running task: the reply shows where each node stopped.
                let mut stopped = t.clone();
                stopped.stopped_at = Some(now);
                let reply = rebalance_report(st, local, &stopped, 2);
                st.volumes[idx].rebalance = Some(stopped);
                ok(reply)
            } else {
                // Stopping a finished task is accepted and changes nothing.
                ok(rebalance_report(st, local, t, 2))
            }
        }
        _ => usage(
            "Usage: volume rebalance <VOLNAME> {{fix-layout start} | {start [force]|stop|status}}",
        ),
    }
}
