//! Shared set-up of the HTTP tests: a fresh SQLite file, the simulator reached through the real
//! CLI driver (`gluster-tasks gluster-sim`), the inventory loaded, the scheduler threads running.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // tests may panic

use gluster_tasks::{config::Settings, server, state::AppState};
use scheduler::{ClusterPoller, SystemClock};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// A running test environment; the scheduler stops when it drops.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub state: AppState,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.state.scheduler.shutdown();
    }
}

impl Env {
    /// The simulator's state file.
    pub fn sim_state(&self) -> PathBuf {
        self.dir.path().join("sim.json")
    }

    /// Sets a knob of one simulated volume (`migration_failures`, `pending_heals`).
    pub fn knob(&self, volume: &str, key: &str, value: i64) {
        let path = self.sim_state();
        let mut s: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for v in s["volumes"].as_array_mut().unwrap() {
            if v["name"] == volume {
                v[key] = json!(value);
            }
        }
        std::fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
    }
}

/// The service binary, which also runs the simulator.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gluster-tasks"))
}

/// A fresh environment whose simulated tasks run `task_secs` seconds.
pub fn env(task_secs: f64) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings {
        database_url: format!("sqlite:{}", dir.path().join("t.db").display()),
        clusters: vec![server::demo_cluster(
            &exe(),
            &dir.path().join("sim.json"),
            task_secs,
        )],
        ..Settings::default()
    };
    settings.poll.active_interval_secs = 0.2;
    settings.poll.idle_interval_secs = 0.5;
    let state = server::state(&settings).unwrap();
    let clock = Arc::new(SystemClock);
    ClusterPoller::new(
        state.scheduler.clusters()[0].clone(),
        state.store.clone(),
        clock.clone(),
        settings.poll_settings(),
    )
    .run_cycle()
    .unwrap();
    state
        .scheduler
        .start(&state.store, clock, settings.poll_settings());
    Env { dir, state }
}
