//! A store that fails safe: a write waits for another process's SQLite lock as long as
//! `busy_timeout` promises and is refused with 503 `store_unavailable` after it; a full disk is
//! a 503 and makes `/readyz` fail, and both recover; a second process on one SQLite file, a
//! corrupt or unopenable file are refused at start in one line naming the file; `/readyz`
//! fails while no cluster answers; a process restarted after SIGKILL polls again at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use gluster_tasks::app;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[macro_use]
mod common;

use common::env_custom;
use common::service::{Service, OPERATOR};

/// Holds SQLite's write lock on `db` (`BEGIN IMMEDIATE`, as another process would) for `secs`.
fn hold_write_lock(db: PathBuf, secs: f64) -> std::thread::JoinHandle<()> {
    let (held, wait) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let mut c = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        // The service's own writers may hold the lock a moment: wait for them, as they would.
        c.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
        c.batch_execute("BEGIN IMMEDIATE").unwrap();
        held.send(()).unwrap();
        std::thread::sleep(Duration::from_secs_f64(secs));
        c.batch_execute("COMMIT").unwrap();
    });
    wait.recv().unwrap();
    t
}

#[actix_web::test]
async fn writes_wait_for_the_lock_as_long_as_busy_timeout_then_answer_503() {
    let env = env_custom(600.0, |s| s.busy_timeout_secs = 2.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let db = env.dir.path().join("t.db");
    let dist = volume!(app, "dist");
    let distrep = volume!(app, "distrep");

    // Released within the timeout: the start waits for it and succeeds.
    let holder = hold_write_lock(db.clone(), 0.7);
    let (s, job) = start_rebalance!(app, dist);
    assert_eq!(s, 202, "{job}");
    holder.join().unwrap();

    // Held past it: refused as retryable, saying nothing of the cause.
    let holder = hold_write_lock(db.clone(), 6.0);
    let resp = test::call_service(
        &app,
        TestRequest::post()
            .uri(&format!(
                "/api/v1/volumes/{}/rebalance",
                distrep["id"].as_str().unwrap()
            ))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    let p: Value = test::read_body_json(resp).await;
    assert_eq!(p["code"], "store_unavailable", "{p}");
    assert!(
        !p.to_string().contains("locked"),
        "the cause stays in the log: {p}"
    );
    holder.join().unwrap();
    // Nothing of the refused start was kept: only the first job exists.
    let (_, jobs) = call!(app, TestRequest::get().uri("/api/v1/jobs"));
    assert_eq!(jobs["items"].as_array().unwrap().len(), 1, "{jobs}");
}

/// A small tmpfs, unmounted when dropped; `None` where mounting is not allowed (not root).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = writeln!(
                std::io::stderr(),
                "skipping the disk-full test: cannot mount a tmpfs here (it needs root, as in CI)"
            );
            return None;
        }
        Some(Tmpfs(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// Fills the file system of `dir` with one file until it is full; returns the file.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).is_ok() {}
    let _ = f.sync_all();
    path
}

#[actix_web::test]
async fn a_full_disk_is_503_and_not_ready_until_space_returns() {
    let Some(fs) = Tmpfs::mount("8m") else { return };
    let db = fs.path().join("t.db");
    let env = env_custom(600.0, |s| {
        s.database_url = format!("sqlite:{}", db.display());
        s.busy_timeout_secs = 1.0;
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let (s, _) = call!(app, TestRequest::get().uri("/readyz"));
    assert_eq!(s, 200);

    let filler = fill(fs.path());
    let mut refused = None;
    for name in ["dist", "distrep", "archive"] {
        let vol = volume!(app, name);
        let (s, p) = start_rebalance!(app, vol);
        if s == 503 {
            refused = Some(p);
            break;
        }
    }
    let p = refused.expect("no start was refused on a full disk");
    assert_eq!(p["code"], "store_unavailable", "{p}");
    let (s, r) = call!(app, TestRequest::get().uri("/readyz"));
    assert_eq!(s, 503, "{r}");
    assert_eq!(r["code"], "not_ready");
    assert!(
        r["reasons"][0]
            .as_str()
            .unwrap()
            .contains("cannot be written"),
        "{r}"
    );
    let (s, _) = call!(app, TestRequest::get().uri("/healthz"));
    assert_eq!(s, 200, "liveness does not depend on the disk");

    std::fs::remove_file(filler).unwrap();
    let (s, r) = call!(app, TestRequest::get().uri("/readyz"));
    assert_eq!(s, 200, "{r}");
    let vol = volume!(app, "single");
    let (s, job) = start_rebalance!(app, vol);
    assert!(
        s == 202 || s == 422,
        "a write goes through again: {s} {job}"
    );
    drop(app);
    drop(env);
}

#[actix_web::test]
async fn readiness_fails_while_no_cluster_answers() {
    let env = env_custom(600.0, |s| {
        s.poll.idle_interval_secs = 0.3;
        s.poll.gluster_timeout_secs = 1.0;
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let (s, r) = call!(app, TestRequest::get().uri("/readyz"));
    assert_eq!(s, 200, "{r}");
    for n in 1..=3 {
        env.peer_knob(n, "up", false);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let r = loop {
        let (s, r) = call!(app, TestRequest::get().uri("/readyz"));
        if s == 503 {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "still ready with every host down: {r}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(r["code"], "not_ready");
    assert!(
        r["reasons"][0].as_str().unwrap().contains("demo"),
        "the reason names the cluster: {r}"
    );
    for n in 1..=3 {
        env.peer_knob(n, "up", true);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, r) = call!(app, TestRequest::get().uri("/readyz"));
        if s == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never ready again: {r}");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `serve` on `db` and waits for it to exit (10 s at most): exit status, stderr, time.
fn serve_expecting_exit(db: &str) -> (std::process::ExitStatus, String, Duration) {
    let t = Instant::now();
    let mut child = Command::new(common::exe())
        .arg("serve")
        .env(
            "GLUSTER_TASKS_BIND",
            format!("127.0.0.1:{}", common::free_port()),
        )
        .env("GLUSTER_TASKS_DATABASE_URL", db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("serve on {db} still running after 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = t.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (status, err, took)
}

#[test]
fn a_store_that_cannot_be_opened_fails_at_start_in_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, "this is not a database\n".repeat(400)).unwrap();
    let truncated = dir.path().join("truncated.db");
    {
        let ok = dir.path().join("ok.db");
        let s = persistence::Store::open(&format!("sqlite:{}", ok.display()), 1).unwrap();
        drop(s);
        let bytes = std::fs::read(&ok).unwrap();
        std::fs::write(&truncated, &bytes[..bytes.len().min(100)]).unwrap();
    }
    let a_directory = dir.path().join("a-directory");
    std::fs::create_dir(&a_directory).unwrap();
    for path in [&corrupt, &truncated, &a_directory] {
        let (status, err, took) = serve_expecting_exit(&format!("sqlite:{}", path.display()));
        assert!(!status.success(), "{path:?}");
        assert!(
            took < Duration::from_secs(2),
            "{path:?}: exited after {took:?}"
        );
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&path.display().to_string())),
            "{path:?} not named: {err}"
        );
        assert!(lines.len() <= 3, "one line, not a stream of retries: {err}");
    }
}

#[test]
fn a_missing_directory_is_created_and_a_second_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("var/lib/gluster-tasks/t.db");
    let url = format!("sqlite:{}", db.display());
    let svc = Service::spawn(dir, 600.0, &[("GLUSTER_TASKS_DATABASE_URL", &url)]);
    svc.wait_until_up();
    assert!(
        db.exists(),
        "the database was not created in a new directory"
    );

    let (status, err, took) = serve_expecting_exit(&url);
    assert!(!status.success());
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        err.contains("in use by another gluster-tasks process"),
        "{err}"
    );
    assert!(err.contains(&db.display().to_string()), "{err}");
    // The first one is unharmed.
    assert_eq!(svc.get("/api/v1/volumes", Some(OPERATOR)).status, 200);
}

/// `polled_by` and `last_poll_at` of the one cluster.
fn poll_state(svc: &Service) -> (String, String) {
    let c = svc.get("/api/v1/clusters", Some(OPERATOR)).json();
    let c = &c["items"][0];
    (
        c["polled_by"].as_str().unwrap_or_default().to_owned(),
        c["last_poll_at"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn a_process_restarted_after_sigkill_polls_again_at_once() {
    // The default lease (15 s): waiting it out would fail this test.
    let mut svc = Service::start(600.0, &[]);
    let dist = svc.volume("dist");
    let started = svc.request(
        "POST",
        &format!("/api/v1/volumes/{}/rebalance", dist["id"].as_str().unwrap()),
        Some(OPERATOR),
        "",
    );
    assert_eq!(started.status, 202);
    let (before, _) = poll_state(&svc);
    svc.kill_and_restart();
    let up = Instant::now();
    let me = svc.get("/healthz", None).json()["replica"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(me, before, "a new process has a new id");
    loop {
        let (by, _) = poll_state(&svc);
        if by == me {
            break;
        }
        assert!(
            up.elapsed() < Duration::from_secs(3),
            "the restarted process did not poll within 3 s (held by {by}): {}",
            svc.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
