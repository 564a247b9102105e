//! Several service processes on one PostgreSQL database and two simulated clusters: leases put
//! each cluster under exactly one replica (checked from the simulators' call logs, which name the
//! calling process), spread the clusters over the replicas, and pass a cluster on when its
//! replica is SIGKILLed mid-rebalance; concurrent starts on two replicas make one job.
//!
//! Needs the PostgreSQL server (`GLUSTER_TASKS_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`) and is skipped without one, unless
//! `GLUSTER_TASKS_REQUIRE_POSTGRES=1` (as in CI) makes that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use common::pg::PgDb;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

const LEASE_SECS: f64 = 2.0;

/// One blocking HTTP/1.1 request; returns the status and the JSON body.
fn http(port: u16, method: &str, path: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = if method == "POST" { "{}" } else { "" };
    write!(
        s,
        "{method} /api/v1{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let json = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, json)
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A service process; killed when dropped.
struct Replica {
    child: Child,
    port: u16,
    id: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cluster(dir: &Path, name: &str) -> Value {
    let exe = env!("CARGO_BIN_EXE_gluster-tasks");
    let hosts: Vec<Value> = (1..=3)
        .map(|n| {
            json!({
                "address": format!("server{n}"),
                "command": [exe, "gluster-sim",
                    "--state", dir.join(format!("{name}.json")),
                    "--call-log", dir.join(format!("{name}.calls")),
                    "--task-secs", "6", "--node", n.to_string()],
            })
        })
        .collect();
    json!({ "name": name, "hosts": hosts })
}

fn start_replica(db: &PgDb, clusters: &Value, log: &Path) -> Replica {
    let port = common::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_gluster-tasks"))
        .arg("serve")
        .env("GLUSTER_TASKS_BIND", format!("127.0.0.1:{port}"))
        .env("GLUSTER_TASKS_DATABASE_URL", &db.url)
        .env("GLUSTER_TASKS_CLUSTERS", clusters.to_string())
        .env("GLUSTER_TASKS_POOL_SIZE", "4")
        .env("GLUSTER_TASKS_POLL_LEASE_SECS", LEASE_SECS.to_string())
        .env("GLUSTER_TASKS_POLL_ACTIVE_INTERVAL_SECS", "0.2")
        .env("GLUSTER_TASKS_POLL_IDLE_INTERVAL_SECS", "0.3")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut r = Replica {
        child,
        port,
        id: String::new(),
    };
    r.id = wait_for("a replica to answer", 60, || {
        let ok = TcpStream::connect(("127.0.0.1", port)).is_ok();
        ok.then(|| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut raw = String::new();
            s.read_to_string(&mut raw).unwrap();
            let body: Value = serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
            body["replica"].as_str().unwrap().to_owned()
        })
    });
    r
}

/// `volume status all tasks` calls of one cluster: (time, calling pid).
fn task_polls(log: &Path) -> Vec<(f64, u32)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.ends_with(" volume status all tasks"))
        .map(|l| {
            let mut w = l.split(' ');
            (
                w.next().unwrap().parse().unwrap(),
                w.next().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The runs of consecutive polls by the same process. Two processes polling at the same time
/// interleave, so one process shows up in two runs.
fn assert_one_poller_at_a_time(name: &str, polls: &[(f64, u32)]) {
    let mut runs: Vec<u32> = Vec::new();
    for (_, pid) in polls {
        if runs.last() != Some(pid) {
            runs.push(*pid);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for pid in &runs {
        assert!(
            seen.insert(*pid),
            "cluster {name}: replicas took turns polling ({runs:?}): two polled at once"
        );
    }
}

fn holders(port: u16) -> HashMap<String, String> {
    let (_, c) = http(port, "GET", "/clusters");
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_owned(),
                c["polled_by"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

#[test]
fn replicas_share_clusters_one_poller_each_and_take_over_from_a_killed_one() {
    let Some(db) = PgDb::new("gt_replicas_") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let clusters = json!([cluster(dir.path(), "alpha"), cluster(dir.path(), "beta")]);
    let log = |i: usize| -> PathBuf { dir.path().join(format!("replica{i}.log")) };
    let mut replicas: Vec<Replica> = (0..3)
        .map(|i| start_replica(&db, &clusters, &log(i)))
        .collect();
    let ids: Vec<String> = replicas.iter().map(|r| r.id.clone()).collect();

    // Both clusters polled, each by a different replica (3 replicas, 2 clusters: one each).
    let held = wait_for("both clusters to be held by different replicas", 60, || {
        let h = holders(replicas[0].port);
        (h.len() == 2 && h["alpha"] != h["beta"] && h.values().all(|o| ids.contains(o)))
            .then_some(h)
    });

    // Concurrent starts on two replicas: one job, one 409.
    let (_, c) = http(replicas[1].port, "GET", "/clusters");
    let alpha_id = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "alpha")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let vol = wait_for("alpha's inventory", 30, || {
        let (_, v) = http(
            replicas[1].port,
            "GET",
            &format!("/volumes?cluster_id={alpha_id}"),
        );
        v["items"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == "dist")
            .map(|v| v["id"].as_str().unwrap().to_owned())
    });
    let path = format!("/volumes/{vol}/rebalance");
    let (p1, p2) = (replicas[1].port, replicas[2].port);
    let (a, b) = std::thread::scope(|s| {
        let t1 = s.spawn(|| http(p1, "POST", &path));
        let t2 = s.spawn(|| http(p2, "POST", &path));
        (t1.join().unwrap(), t2.join().unwrap())
    });
    let mut codes = [a.0, b.0];
    codes.sort_unstable();
    assert_eq!(codes, [202, 409], "{a:?} {b:?}");
    let job = if a.0 == 202 { a.1 } else { b.1 };
    let (_, page) = http(p1, "GET", &format!("/jobs?volume_id={vol}"));
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    // SIGKILL alpha's poller mid-rebalance: another replica takes over and the job succeeds.
    let holder = held["alpha"].clone();
    let victim = ids.iter().position(|i| *i == holder).unwrap();
    let killed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let victim_pid = replicas[victim].child.id();
    let _ = replicas[victim].child.kill(); // SIGKILL
    let _ = replicas[victim].child.wait();
    let survivor = replicas[(victim + 1) % 3].port;
    let (_, running) = http(
        survivor,
        "GET",
        &format!("/jobs/{}", job["id"].as_str().unwrap()),
    );
    assert_eq!(
        running["status"], "running",
        "killed mid-rebalance: {running}"
    );
    let new_holder = wait_for("another replica to take alpha over", 30, || {
        let h = holders(survivor);
        h.get("alpha").filter(|o| **o != holder).cloned()
    });
    assert!(ids.contains(&new_holder));
    let done = wait_for("the job to succeed", 60, || {
        let (_, j) = http(
            survivor,
            "GET",
            &format!("/jobs/{}", job["id"].as_str().unwrap()),
        );
        (j["status"] != "running").then_some(j)
    });
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["origin"], "api");

    for name in ["alpha", "beta"] {
        let polls = task_polls(&dir.path().join(format!("{name}.calls")));
        assert!(!polls.is_empty(), "{name} was never polled");
        // A call the killed replica launched before its death may log (under the simulator's
        // lock) after a survivor's first call: a survivor now takes the lease of a replica
        // whose process is gone at once. Such a late line is bounded below; it is no second
        // poller.
        let alive_polls: Vec<(f64, u32)> = polls
            .iter()
            .copied()
            .filter(|(t, pid)| *pid != victim_pid || *t <= killed_at)
            .collect();
        assert_one_poller_at_a_time(name, &alive_polls);
        assert!(
            polls
                .iter()
                .all(|(t, pid)| *pid != victim_pid || *t <= killed_at + 0.5),
            "{name}: the killed replica polled after its death"
        );
    }
    let alpha = task_polls(&dir.path().join("alpha.calls"));
    let last_by_victim = alpha
        .iter()
        .filter(|(_, p)| *p == victim_pid)
        .map(|(t, _)| *t)
        .fold(0.0, f64::max);
    let first_by_other = alpha
        .iter()
        .filter(|(t, p)| *p != victim_pid && *t > last_by_victim)
        .map(|(t, _)| *t)
        .fold(f64::MAX, f64::min);
    assert!(
        first_by_other - killed_at < LEASE_SECS + 3.0,
        "takeover took {:.1}s after the kill (lease {LEASE_SECS}s)",
        first_by_other - killed_at
    );
    // The survivors run on this host with the same store: they recognise the killed process
    // as gone and take its lease over at once instead of waiting for it to expire.
    assert!(
        first_by_other - killed_at < LEASE_SECS,
        "takeover waited {:.1}s, as long as the lease ({LEASE_SECS}s)",
        first_by_other - killed_at
    );
    replicas.clear();
}
