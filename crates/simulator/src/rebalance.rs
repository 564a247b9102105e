//! `volume rebalance VOL {start [force] | fix-layout start | status | stop}` with gluster
//! 10.3's rules, messages and XML.

use crate::commands::{ok, refused_op, start_refused, usage};
use crate::progress::{fails_at, task_status_code};
use crate::report::task_report;
use crate::state::{now_secs, SimState, SimTask};
use crate::usage::settle_rebalance;
use crate::xml::Doc;
use crate::{Reply, SimOptions};
use uuid::Uuid;

fn rebalance_report(st: &SimState, local: usize, t: &SimTask, op: i64) -> String {
    task_report(st, local, t, "volRebalance", Some(op))
}

/// gluster's operation code of a start form: 1 start, 4 fix-layout start, 5 start force.
fn start_op(rest: &[&str]) -> i64 {
    match rest {
        ["fix-layout", ..] => 4,
        ["start", "force"] => 5,
        _ => 1,
    }
}

/// gluster's refusal of status and stop when no rebalance is known.
fn not_started(volume: &str) -> String {
    format!("Rebalance not started for volume {volume}.")
}

/// Runs one rebalance command on volume `name` (`rest`: the words after the name).
pub(crate) fn execute(st: &mut SimState, opts: &SimOptions, name: &str, rest: &[&str]) -> Reply {
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
            let fix_layout = rest[0] == "fix-layout";
            // The previous rebalance's moves become the bricks' contents, which the new
            // one's plan starts from.
            settle_rebalance(&mut st.volumes[idx], now);
            let v = &st.volumes[idx];
            let nodes = v.brick_peers();
            let task = SimTask {
                failures: 0,
                id: Uuid::new_v4(),
                fix_layout,
                started_at: now,
                duration: opts.task_secs,
                stopped_at: None,
                plan: crate::plan::rebalance(v, &nodes, fix_layout, opts.task_secs),
                nodes,
                bricks: Vec::new(),
                fails_at: fails_at(v, now, opts.task_secs),
                frozen: Vec::new(),
                pauses: Vec::new(),
                settled: false,
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
