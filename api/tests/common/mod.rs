//! Shared set-up of the HTTP tests: a fresh SQLite file, the simulator reached through the real
//! CLI driver (`gluster-tasks gluster-sim`), the inventory loaded, the scheduler threads running.

#![allow(dead_code, unused_macros, clippy::unwrap_used, clippy::expect_used)] // tests may panic

pub mod pg;
pub mod service;

use gluster_tasks::{config::Settings, server, state::AppState};
use scheduler::{ClusterPoller, SystemClock};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// `(status, JSON body)` of one request to an app built with `test::init_service`.
macro_rules! call {
    ($app:expr, $req:expr) => {{
        let resp = actix_web::test::call_service(&$app, $req.to_request()).await;
        let status = resp.status().as_u16();
        let bytes = actix_web::test::read_body(resp).await;
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }};
}

/// The volume named `$name` as `GET /volumes` lists it.
macro_rules! volume {
    ($app:expr, $name:expr) => {{
        let (_, v) = call!(
            $app,
            actix_web::test::TestRequest::get().uri("/api/v1/volumes")
        );
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == $name)
            .unwrap()
            .clone()
    }};
}

/// `POST /volumes/{id}/rebalance` (no body) for `$vol` as `volume!` returns it: `(status, body)`.
macro_rules! start_rebalance {
    ($app:expr, $vol:expr) => {
        call!(
            $app,
            actix_web::test::TestRequest::post().uri(&format!(
                "/api/v1/volumes/{}/rebalance",
                $vol["id"].as_str().unwrap()
            ))
        )
    };
}

/// Polls `GET /jobs/{id}` until `$cond` holds for the job (20 s at most); `$what` names the
/// awaited state in the failure message.
macro_rules! wait_job_until {
    ($app:expr, $id:expr, $what:expr, $cond:expr) => {{
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let (_, j) = call!(
                $app,
                actix_web::test::TestRequest::get().uri(&format!("/api/v1/jobs/{}", $id))
            );
            if $cond(&j) {
                break j;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job never {}: {j}",
                $what
            );
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }};
}

/// Polls `GET /jobs/{id}` until the job's status is `$want` (20 s at most).
macro_rules! wait_job {
    ($app:expr, $id:expr, $want:expr) => {
        wait_job_until!(
            $app,
            $id,
            format!("became {}", $want),
            |j: &serde_json::Value| j["status"] == $want
        )
    };
}

/// A running test environment; the scheduler stops when it drops.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub settings: Settings,
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

    /// Changes the simulator's state file under its lock (the simulator takes the same lock
    /// for every command, so no command sees or overwrites half an edit).
    pub fn edit_sim(&self, edit: impl FnOnce(&mut Value)) {
        edit_sim_file(&self.sim_state(), edit);
    }

    /// Reads the simulator's state file.
    pub fn sim(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.sim_state()).unwrap()).unwrap()
    }

    /// Sets a knob of one simulated volume (`migration_failures`, `pending_heals`,
    /// `hide_tasks`).
    pub fn knob(&self, volume: &str, key: &str, value: impl Into<Value>) {
        let value = value.into();
        self.edit_sim(|s| {
            for v in s["volumes"].as_array_mut().unwrap() {
                if v["name"] == volume {
                    v[key] = value.clone();
                }
            }
        });
    }

    /// Sets a knob of simulated node `n` (1-based): `up`, `fault`, `busy_calls`,
    /// `stuck_tasks`, `pause_secs`, `paused`.
    pub fn peer_knob(&self, n: usize, key: &str, value: impl Into<Value>) {
        let value = value.into();
        self.edit_sim(|s| s["peers"][n - 1][key] = value);
    }

    /// Pauses simulated node `n`'s rows of running tasks (counters and run time stand still,
    /// gluster still says "in progress"): for `secs` seconds once (knob `pause_secs`), or with
    /// `None` until [`Env::resume_node`] (knob `paused`). The pause begins at the simulator's
    /// next command, or when a task starts on the node.
    pub fn pause_node(&self, n: usize, secs: Option<f64>) {
        match secs {
            Some(secs) => self.peer_knob(n, "pause_secs", secs),
            None => self.peer_knob(n, "paused", true),
        }
    }

    /// Ends a pause begun by `pause_node(n, None)`: node `n` resumes where it was.
    pub fn resume_node(&self, n: usize) {
        self.peer_knob(n, "paused", false);
    }

    /// Stops the scheduler and builds the service anew on the same database and simulator, as
    /// a restarted process would.
    pub fn restart(&mut self) {
        self.state.scheduler.shutdown();
        self.state = server::state(&self.settings).unwrap();
        self.state.scheduler.start(
            &self.state.store,
            Arc::new(SystemClock),
            self.settings.poll_settings(),
            &self.state.replica,
        );
    }
}

/// Changes the simulator state file `path` under the simulator's lock (which it takes for
/// every command, so no command sees or overwrites half an edit).
pub fn edit_sim_file(path: &std::path::Path, edit: impl FnOnce(&mut Value)) {
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut s: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut s);
    std::fs::write(path, serde_json::to_vec(&s).unwrap()).unwrap();
}

/// The service binary, which also runs the simulator.
/// A TCP port on loopback that nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gluster-tasks"))
}

/// A fresh environment whose simulated tasks run `task_secs` seconds.
pub fn env(task_secs: f64) -> Env {
    env_custom(task_secs, |_| {})
}

/// Like [`env`], with settings changed by `adjust` first.
pub fn env_custom(task_secs: f64, adjust: impl FnOnce(&mut Settings)) -> Env {
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
    adjust(&mut settings);
    let state = server::state(&settings).unwrap();
    let clock = Arc::new(SystemClock);
    ClusterPoller::new(
        state.scheduler.registry().all()[0].clone(),
        state.store.clone(),
        clock.clone(),
        settings.poll_settings(),
    )
    .run_cycle()
    .unwrap();
    state.scheduler.start(
        &state.store,
        clock,
        settings.poll_settings(),
        &state.replica,
    );
    Env {
        dir,
        state,
        settings,
    }
}
