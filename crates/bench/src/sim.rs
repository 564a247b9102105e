//! The simulated cluster the service polls during the benchmark.

use crate::history::VolumeRef;
use simulator::{SimOptions, SimState};
use std::path::Path;

/// Writes a simulator state file at `path`: the default cluster plus `extra` volumes, then
/// starts a rebalance lasting `task_secs` on the first `running` extra volumes through the
/// simulator's own `volume rebalance VOL start`, as the gluster CLI would. Returns every
/// volume, in the state's order.
pub fn write_state(
    path: &Path,
    extra: usize,
    running: usize,
    task_secs: f64,
) -> Result<Vec<VolumeRef>, String> {
    let st = SimState::with_extra_volumes(extra);
    let bytes = serde_json::to_vec(&st).map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let opts = SimOptions {
        state: path.to_owned(),
        node: 0,
        task_secs,
        call_log: None,
    };
    for v in st
        .volumes
        .iter()
        .skip(st.volumes.len() - extra)
        .take(running)
    {
        let reply = call(&opts, &["volume", "rebalance", &v.name, "start"]);
        if reply.code != 0 {
            return Err(format!(
                "starting a rebalance on {}: {}{}",
                v.name, reply.stdout, reply.stderr
            ));
        }
    }
    Ok(st
        .volumes
        .iter()
        .map(|v| VolumeRef {
            id: v.id,
            name: v.name.clone(),
            peers: v
                .brick_peers()
                .into_iter()
                .filter_map(|p| st.peers.get(p))
                .map(|p| (p.uuid, p.hostname.clone()))
                .collect(),
        })
        .collect())
}

/// One gluster command line, as the service's driver sends it (`--mode=script --xml` first).
fn call(opts: &SimOptions, words: &[&str]) -> simulator::Reply {
    let args: Vec<String> = ["--mode=script", "--xml"]
        .iter()
        .chain(words)
        .map(|s| s.to_string())
        .collect();
    simulator::run(opts, &args)
}

/// The volumes of the state at `path` as the poller stores them: the simulator's `volume info`
/// read by the CLI driver's parser and converted by the scheduler's inventory, for
/// `volumes::replace_inventory`.
pub fn inventory(path: &Path, cluster_id: uuid::Uuid) -> Result<Vec<domain::Volume>, String> {
    let opts = SimOptions {
        state: path.to_owned(),
        node: 0,
        task_secs: 30.0,
        call_log: None,
    };
    let reply = call(&opts, &["volume", "info"]);
    if reply.code != 0 {
        return Err(format!("volume info: {}{}", reply.stdout, reply.stderr));
    }
    let infos = gluster::parse::volume_info(&reply.stdout).map_err(|e| e.to_string())?;
    let now = chrono::Utc::now();
    Ok(infos
        .iter()
        .map(|info| scheduler::inventory::to_volume(cluster_id, info, now))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;

    #[test]
    fn the_state_has_the_volumes_and_the_running_tasks_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim.json");
        let vols = write_state(&path, 5, 2, 3600.0).unwrap();
        assert_eq!(vols.len(), 4 + 5);
        assert!(vols.iter().all(|v| !v.peers.is_empty()));
        let opts = SimOptions {
            state: path,
            node: 0,
            task_secs: 30.0,
            call_log: None,
        };
        let tasks = call(&opts, &["volume", "status", "all", "tasks"]).stdout;
        let busy: Vec<String> = gluster::parse::status_tasks(&tasks)
            .unwrap()
            .into_iter()
            .filter(|v| !v.tasks.is_empty())
            .map(|v| v.volume)
            .collect();
        assert_eq!(busy, ["bench0001", "bench0002"], "{tasks}");

        let stored = inventory(&opts.state, uuid::Uuid::nil()).unwrap();
        assert_eq!(stored.len(), vols.len());
        assert!(stored
            .iter()
            .zip(&vols)
            .all(|(s, v)| s.id == v.id && s.name == v.name));
    }
}
