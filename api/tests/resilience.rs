//! Never losing track of a task (issue 5), on the real app, the real scheduler threads and the
//! real CLI driver running the simulator: restarts, a start cut off before its answer, CLI
//! tasks found already waiting for a commit, hung and dead peers, lock contention, garbage
//! output, a cluster with no reachable peer, and tasks that vanish.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use chrono::Utc;
use domain::{Job, JobOrigin, TaskKind, TaskParams};
use gluster_tasks::app;
use persistence::repo::jobs;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[macro_use]
mod common;

use common::{env, env_custom, exe, Env};

/// Runs the simulator as an operator would run the gluster CLI on node `node`.
fn gluster_cli(env: &Env, node: usize, args: &[&str]) -> Value {
    let out = std::process::Command::new(exe())
        .arg("gluster-sim")
        .arg("--state")
        .arg(env.sim_state())
        .args(["--task-secs", "1", "--node", &node.to_string()])
        .args(["--mode=script", "--xml"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    json!({ "code": out.status.code(), "xml": text })
}

/// The text of the first `<tag>` in `xml`.
fn xml_text(xml: &Value, tag: &str) -> String {
    let s = xml["xml"].as_str().unwrap();
    let open = format!("<{tag}>");
    let from = s.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {s}")) + open.len();
    let to = s[from..].find('<').unwrap() + from;
    s[from..to].to_owned()
}

fn rebalance(vol: &Value) -> String {
    format!("/api/v1/volumes/{}/rebalance", vol["id"].as_str().unwrap())
}

fn job_uri(job: &Value) -> String {
    format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())
}

/// Waits until `cond` holds for the cluster as `GET /clusters` shows it.
macro_rules! wait_cluster {
    ($app:expr, $what:expr, $cond:expr) => {{
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, c) = call!($app, TestRequest::get().uri("/api/v1/clusters"));
            let c = c["items"][0].clone();
            if $cond(&c) {
                break c;
            }
            assert!(Instant::now() < deadline, "cluster never {}: {c}", $what);
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

/// The jobs of a volume.
macro_rules! volume_jobs {
    ($app:expr, $vol:expr) => {{
        let (_, page) = call!(
            $app,
            TestRequest::get().uri(&format!(
                "/api/v1/jobs?volume_id={}",
                $vol["id"].as_str().unwrap()
            ))
        );
        page["items"].as_array().unwrap().clone()
    }};
}

#[actix_web::test]
async fn a_restarted_service_resumes_the_same_job_and_keeps_one_task_per_volume() {
    let mut env = env(3.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    assert_eq!(s, 202, "{job}");
    drop(app);

    env.restart();
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let (_, j) = call!(app, TestRequest::get().uri(&job_uri(&job)));
    assert_eq!(j["status"], "running", "a restart resets nothing: {j}");
    // The one-task-per-volume rule holds across the restart.
    let (s, p) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    assert_eq!((s, p["job_id"].clone()), (409, job["id"].clone()), "{p}");
    let done = wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    assert_eq!(done["gluster_task_id"], job["gluster_task_id"]);
    assert_eq!(done["origin"], "api");
    assert_eq!(volume_jobs!(app, dist).len(), 1, "no second job");
}

/// Writes a pending job the way a start does before it calls gluster.
fn pending_job(env: &Env, vol: &Value) -> Job {
    let cluster = env.state.scheduler.registry().all()[0].id;
    let job = Job::new_pending(
        TaskKind::Rebalance,
        JobOrigin::Api,
        vol["id"].as_str().unwrap().parse().unwrap(),
        vol["name"].as_str().unwrap(),
        cluster,
        TaskParams::default(),
        Utc::now(),
    );
    let steps = job.initial_steps();
    env.state
        .store
        .write(|c| jobs::insert(c, &job, &steps))
        .unwrap();
    job
}

#[actix_web::test]
async fn a_start_cut_off_after_the_job_write_gets_its_task_attached_or_fails_in_bounded_time() {
    let mut env = env_custom(1.0, |s| s.poll.pending_timeout_secs = 1.5);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let distrep = volume!(app, "distrep");
    // The process "dies" after writing the job: no scheduler, and then the gluster call that
    // it had sent lands anyway.
    env.state.scheduler.shutdown();
    let reached = pending_job(&env, &dist);
    let lost = pending_job(&env, &distrep);
    let started = gluster_cli(&env, 2, &["volume", "rebalance", "dist", "start"]);
    let task = xml_text(&started, "task-id");

    env.restart();
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let done = wait_job!(app, reached.id, "succeeded");
    assert_eq!(done["gluster_task_id"], task.as_str());
    assert_eq!(done["origin"], "api", "attached, not adopted");
    assert_eq!(
        volume_jobs!(app, dist).len(),
        1,
        "no second job for the task"
    );
    // The other start never reached gluster: it fails once the pending timeout passed.
    let failed = wait_job!(app, lost.id, "failed");
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("never reached gluster"),
        "{failed}"
    );
}

#[actix_web::test]
async fn a_cli_remove_brick_found_complete_is_adopted_awaiting_commit_and_commits_via_rest() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let brick = dist["bricks"][3]["name"].as_str().unwrap().to_owned();
    // The service is down while an operator starts a removal and it completes.
    env.state.scheduler.shutdown();
    let started = gluster_cli(
        &env,
        3,
        &["volume", "remove-brick", "dist", &brick, "start"],
    );
    let task = xml_text(&started, "task-id");
    std::thread::sleep(Duration::from_millis(1300));
    env.state.scheduler.start(
        &env.state.store,
        std::sync::Arc::new(scheduler::SystemClock),
        env.settings.poll_settings(),
        &env.state.replica,
    );

    let adopted = {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = volume_jobs!(app, dist)
                .into_iter()
                .find(|j| j["gluster_task_id"] == task.as_str());
            if let Some(j) = found.filter(|j| j["status"] == "awaiting_commit") {
                break j;
            }
            assert!(Instant::now() < deadline, "the CLI removal was not adopted");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(adopted["origin"], "cli");
    assert_eq!(adopted["kind"], "remove_brick");
    assert_eq!(adopted["params"]["bricks"], json!([brick]));
    assert!(!adopted["steps"][0]["steps"][0]["progress"]["nodes"]
        .as_array()
        .unwrap()
        .is_empty());
    let v = volume!(app, "dist");
    assert_eq!(v["activity"]["commit_needed"], true, "{v}");

    let (s, done) = call!(
        app,
        TestRequest::post()
            .uri(&format!(
                "/api/v1/volumes/{}/bricks/remove/commit",
                dist["id"].as_str().unwrap()
            ))
            .set_json(json!({ "bricks": [brick] }))
    );
    assert_eq!(
        (s, done["status"].clone()),
        (200, json!("succeeded")),
        "{done}"
    );
    assert_eq!(done["id"], adopted["id"]);
    assert_eq!(volume!(app, "dist")["brick_count"], 3);
}

/// Processes still running the simulator for node `n` of this environment.
fn sim_processes(env: &Env, n: usize) -> usize {
    let state = env.sim_state().display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&state) && c.contains(&format!("--node {n} ")))
        .count()
}

#[actix_web::test]
async fn a_hung_peer_is_killed_at_the_timeout_and_another_peer_answers() {
    let env = env_custom(2.0, |s| s.poll.gluster_timeout_secs = 1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    env.peer_knob(1, "fault", "hang");
    let (s, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    assert_eq!(s, 202, "{job}");
    let done = wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    assert!(done["stale_since"].is_null());
    let c = wait_cluster!(app, "moved to server2", |c: &Value| c["active_host"]
        == "server2");
    assert_eq!(c["reachable"], true);
    assert_eq!(
        sim_processes(&env, 1),
        0,
        "a hung CLI call was left running"
    );
}

#[actix_web::test]
async fn a_peer_whose_glusterd_is_down_is_passed_over() {
    let env = env(2.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    assert_eq!(s, 202);
    env.peer_knob(1, "up", false);
    wait_cluster!(app, "on server2", |c: &Value| c["active_host"] == "server2"
        && c["reachable"] == true);
    // The live peers report "completed" without server1, whose process may still migrate: the
    // job is not called done while server1 is silent.
    let id = job["id"].as_str().unwrap();
    let held = wait_job_until!(
        app,
        job["id"].as_str().unwrap(),
        "held for server1",
        |j: &Value| {
            assert_eq!(j["status"], "running", "{j}");
            j["reason"].as_str().is_some_and(|r| r.contains("server1"))
        }
    );
    assert!(
        held["reason"].as_str().unwrap().contains("did not report"),
        "{held}"
    );
    actix_web::rt::time::sleep(Duration::from_millis(1000)).await;
    let (_, still) = call!(app, TestRequest::get().uri(&job_uri(&job)));
    assert_eq!(still["status"], "running", "{still}");

    env.peer_knob(1, "up", true);
    let done = wait_job!(app, id, "succeeded");
    assert_eq!(done["origin"], "api");
    assert!(done["reason"].is_null(), "{done}");
    let nodes = &done["steps"][0]["steps"][0]["progress"]["nodes"];
    assert_eq!(nodes.as_array().unwrap().len(), 3, "{done}");
}

#[actix_web::test]
async fn with_no_reachable_peer_the_cluster_says_so_and_jobs_keep_their_state_marked_stale() {
    let env = env(2.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    for n in 1..=3 {
        env.peer_knob(n, "up", false);
    }
    let c = wait_cluster!(app, "unreachable", |c: &Value| c["reachable"] == false);
    assert!(c["last_error"]
        .as_str()
        .unwrap()
        .contains("Connection failed"));
    assert!(c["failed_polls"].as_u64().unwrap() >= 1);
    // Long after the task has ended in gluster, the job still shows what was last known.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let (_, j) = call!(app, TestRequest::get().uri(&job_uri(&job)));
    assert_eq!(j["status"], "running", "{j}");
    assert!(j["stale_since"].is_string(), "{j}");
    let (_, st) = call!(app, TestRequest::get().uri(&rebalance(&dist)));
    assert!(st["stale_since"].is_string(), "{st}");

    // One peer back: gluster answers again (nothing is stale), but the other two are silent.
    env.peer_knob(2, "up", true);
    let c = wait_cluster!(app, "reachable again", |c: &Value| c["reachable"] == true);
    let held = wait_job_until!(
        app,
        job["id"].as_str().unwrap(),
        "fresh again",
        |j: &Value| j["stale_since"].is_null()
    );
    assert_eq!(held["status"], "running", "{held}");
    let why = held["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("server1") && why.contains("server3") && !why.contains("server2"),
        "{held}"
    );
    for n in [1, 3] {
        env.peer_knob(n, "up", true);
    }
    let done = wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    assert!(done["stale_since"].is_null(), "{done}");
    assert_eq!(
        (c["failed_polls"].clone(), c["active_host"].clone()),
        (json!(0), json!("server2"))
    );
}

#[actix_web::test]
async fn lock_contention_is_retried_until_glusterd_takes_the_command() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    env.peer_knob(1, "busy_calls", 3);
    let (s, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    assert_eq!(s, 202, "{job}");
    assert_eq!(
        env.sim()["peers"][0]["busy_calls"],
        0,
        "the refusals were seen"
    );
    wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
}

#[actix_web::test]
async fn garbage_from_one_peer_fails_over_and_garbage_from_all_keeps_the_last_state() {
    let env = env(2.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    env.peer_knob(1, "fault", "garbage");
    let (s, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    assert_eq!(s, 202, "{job}");
    wait_cluster!(app, "on server2", |c: &Value| c["active_host"] == "server2");
    env.peer_knob(2, "fault", "truncated");
    env.peer_knob(3, "fault", "garbage");
    let c = wait_cluster!(app, "failing", |c: &Value| c["reachable"] == false);
    let error = c["last_error"].as_str().unwrap();
    assert!(error.contains("no gluster host answered"), "{error}");
    for host in ["server1", "server2", "server3"] {
        assert!(
            error.contains(host),
            "every host's failure is named: {error}"
        );
    }
    assert!(error.contains("not XML"), "{error}");
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let (_, j) = call!(app, TestRequest::get().uri(&job_uri(&job)));
    assert_eq!(j["status"], "running", "{j}");
    assert!(j["stale_since"].is_string(), "{j}");
    env.peer_knob(3, "fault", Value::Null);
    let done = wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    assert!(done["stale_since"].is_null());
}

#[actix_web::test]
async fn a_task_missing_from_the_task_list_is_followed_through_its_own_status() {
    let env = env(1.5);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    env.knob("dist", "hide_tasks", true);
    let done = wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    assert_eq!(done["task_status"], "completed");
}

#[actix_web::test]
async fn a_task_that_vanishes_with_nothing_answering_for_it_becomes_unknown_after_the_grace() {
    let env = env_custom(30.0, |s| {
        s.poll.vanish_misses = 2;
        s.poll.vanish_grace_secs = 4.0;
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = call!(app, TestRequest::post().uri(&rebalance(&dist)));
    let started = Instant::now();
    // The volume disappears underneath the task (deleted with the CLI by force).
    env.edit_sim(|s| {
        s["volumes"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v["name"] != "dist");
    });
    let j = wait_job!(app, job["id"].as_str().unwrap(), "unknown");
    // Two misses alone take 0.4 s; the grace period holds the job for 4 s. A cycle stamps
    // its time when it begins, so the first miss can predate the edit by a whole cycle, which
    // on a loaded machine lasts well over the 0.2 s interval: half the grace is the bound.
    assert!(
        started.elapsed() >= Duration::from_millis(2000),
        "unknown before the grace period: {:?}",
        started.elapsed()
    );
    let reason = j["reason"].as_str().unwrap();
    assert!(reason.contains("no longer reports"), "{reason}");
    assert!(reason.contains("does not exist"), "{reason}");
    assert!(j["ended_at"].is_null(), "unknown is not an end: {j}");
}
