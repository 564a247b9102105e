//! Rendering tasks: the `volume status … tasks` listing and the per-node report of
//! rebalance and remove-brick status/stop.

use crate::commands::peer_name;
use crate::progress::{aggregate, node_view, status_str, task_status_code};
use crate::state::{now_secs, SimState, SimTask};
use crate::xml::Doc;

/// `volume status all|VOL tasks`: the started volumes (all, or the one named `only`) and
/// their current task.
pub(crate) fn status_tasks(st: &SimState, only: Option<&str>) -> String {
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
    let mut order: Vec<usize> = t
        .nodes
        .iter()
        .copied()
        .filter(|peer| st.peers.get(*peer).is_some_and(|p| p.up))
        .collect();
    order.sort_by_key(|peer| *peer == local);
    for peer in &order {
        let n = node_view(t, *peer, now);
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
