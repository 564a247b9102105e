//! What the bricks hold while tasks move files (their stored contents plus each task's moves
//! so far), writing finished moves into the bricks, and `volume status VOL|all detail`.

use crate::commands::refused_op;
use crate::contents::{figures, Contents, BLOCK_SIZE};
use crate::progress::{moved, node_view};
use crate::state::{SimState, SimTask, SimVolume};
use crate::xml::Doc;
use crate::Reply;
use std::collections::BTreeMap;

/// Files and bytes each brick (by path) has gained (negative: lost) through `t` by `now`.
fn deltas(t: &SimTask, now: f64) -> BTreeMap<String, (i64, i64)> {
    let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    if t.settled {
        return out;
    }
    for peer in &t.nodes {
        let done = node_view(t, *peer, now).done;
        let Some(plan) = t.plan.iter().find(|p| p.peer == *peer) else {
            continue;
        };
        for m in &plan.moves {
            let (files, bytes) = moved(m, done);
            for (paths, sign) in [(&m.from, -1), (&m.to, 1)] {
                for p in paths {
                    let e = out.entry(p.clone()).or_default();
                    e.0 += sign * files;
                    e.1 += sign * bytes;
                }
            }
        }
    }
    out
}

/// What each brick of `v` holds at `now`, in brick order.
pub(crate) fn live_contents(v: &SimVolume, now: f64) -> Vec<Contents> {
    let tasks: Vec<BTreeMap<String, (i64, i64)>> = [v.rebalance.as_ref(), v.remove_brick.as_ref()]
        .into_iter()
        .flatten()
        .map(|t| deltas(t, now))
        .collect();
    v.bricks
        .iter()
        .map(|b| {
            let (df, db) = tasks
                .iter()
                .filter_map(|d| d.get(&b.path))
                .fold((0, 0), |(f, y), (df, db)| (f + df, y + db));
            Contents {
                files: (b.files + df).max(0),
                dirs: b.dirs,
                data_bytes: (b.data_bytes + db).max(0),
            }
        })
        .collect()
}

/// Writes the moves `t` has made by `now` into the bricks of `v` (and marks it settled, so
/// they no longer count on top): before a task replaces it, at a remove-brick's stop and
/// commit.
pub(crate) fn settle(v: &mut SimVolume, t: &mut SimTask, now: f64) {
    let d = deltas(t, now);
    for b in &mut v.bricks {
        if let Some((files, bytes)) = d.get(&b.path) {
            b.files = (b.files + files).max(0);
            b.data_bytes = (b.data_bytes + bytes).max(0);
        }
    }
    t.settled = true;
}

/// Settles the volume's last rebalance, if any (before a new task starts on it).
pub(crate) fn settle_rebalance(v: &mut SimVolume, now: f64) {
    if let Some(mut t) = v.rebalance.take() {
        settle(v, &mut t, now);
        v.rebalance = Some(t);
    }
}

/// The simulated device of a brick: `/dev/mapper/sim-VOL-NAME` (NAME: the path's last part).
fn device(volume: &str, path: &str) -> String {
    let last = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("brick");
    format!("/dev/mapper/sim-{volume}-{last}")
}

fn render(st: &SimState, d: &mut Doc, vi: usize, v: &SimVolume, now: f64) {
    d.open("volume");
    d.leaf("volName", &v.name);
    d.leaf("nodeCount", &v.bricks.len().to_string());
    let names = v.brick_names(&st.peers);
    for (bi, (b, c)) in v.bricks.iter().zip(live_contents(v, now)).enumerate() {
        let online = !names.get(bi).is_some_and(|n| v.bricks_down.contains(n));
        let peer = st.peers.get(b.peer);
        let fs = figures(c, b.size_total, &b.fs_name);
        let port = (49152 + 16 * vi + bi).to_string();
        let port = if online { port.as_str() } else { "N/A" };
        d.open("node");
        d.leaf("hostname", peer.map_or("?", |p| p.hostname.as_str()));
        d.leaf("path", &b.path);
        d.leaf(
            "peerid",
            &peer.map(|p| p.uuid).unwrap_or_default().to_string(),
        );
        d.leaf("status", if online { "1" } else { "0" });
        d.leaf("port", port);
        d.open("ports");
        d.leaf("tcp", port);
        d.leaf("rdma", "N/A");
        d.close("ports");
        let pid = (4000 + 37 * vi + 3 * bi).to_string();
        d.leaf("pid", if online { &pid } else { "N/A" });
        d.leaf("sizeTotal", &fs.size_total.to_string());
        d.leaf("sizeFree", &fs.size_free.to_string());
        d.leaf("device", &device(&v.name, &b.path));
        d.leaf("blockSize", &BLOCK_SIZE.to_string());
        d.leaf("mntOptions", fs.mount_options);
        d.leaf("fsName", &b.fs_name);
        d.leaf("inodesTotal", &fs.inodes_total.to_string());
        d.leaf("inodesFree", &fs.inodes_free.to_string());
        d.close("node");
    }
    d.close("volume");
}

/// `volume status VOL detail` (`only`) or `volume status all detail`: one `<node>` per brick
/// of each started volume, as GlusterFS 10.3 prints it. A stopped or unknown volume is
/// refused as `volume status VOL tasks` refuses it.
pub(crate) fn status_detail(st: &SimState, only: Option<&str>, now: f64) -> Reply {
    if let Some(name) = only {
        match st.volumes.iter().find(|v| v.name == name) {
            None => return refused_op("volStatus", &format!("Volume {name} does not exist"), 0),
            Some(v) if v.status_str != "Started" => {
                return refused_op("volStatus", &format!("Volume {name} is not started"), 0)
            }
            Some(_) => {}
        }
    }
    let mut d = Doc::cli_output(0, 0, "");
    d.open("volStatus").open("volumes");
    for (vi, v) in st.volumes.iter().enumerate() {
        if v.status_str == "Started" && only.is_none_or(|n| v.name == n) {
            render(st, &mut d, vi, v, now);
        }
    }
    d.close("volumes").close("volStatus");
    crate::commands::ok(d.finish())
}
