//! The six ways the old poller lost the truth on a real pool (issue 13), replayed on the real
//! app, scheduler threads and CLI driver against the simulator taught each situation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[macro_use]
mod common;

use common::{env, env_custom};

fn vol_uri(vol: &Value, rest: &str) -> String {
    format!("/api/v1/volumes/{}/{rest}", vol["id"].as_str().unwrap())
}

/// Every per-node row of a job.
fn node_rows(job: &Value) -> Vec<Value> {
    job["steps"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["progress"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[actix_web::test]
async fn a_failed_removal_gluster_keeps_says_so_blocks_the_volume_and_cancel_releases_it() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let dead = dist["bricks"][2]["name"].as_str().unwrap().to_owned();
    let removed = dist["bricks"][1]["name"].as_str().unwrap().to_owned();
    env.knob("dist", "bricks_down", json!([dead]));

    let (st, job) = call!(
        app,
        TestRequest::post()
            .uri(&vol_uri(&dist, "bricks/remove"))
            .set_json(json!({"bricks": [removed]}))
    );
    assert_eq!(st, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let failed = wait_job!(app, id, "failed");
    let reason = failed["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("failed on 1 of 1 nodes"), "{failed}");
    assert!(reason.contains("cancel this job"), "{failed}");
    assert_eq!(failed["needs_stop"], true, "{failed}");
    for row in node_rows(&failed) {
        assert_ne!(
            row["name"], "localhost",
            "the answering node goes by its host name: {row}"
        );
    }

    // Gluster still holds the task: the service says which job blocks the volume.
    let (st, body) = call!(app, TestRequest::post().uri(&vol_uri(&dist, "rebalance")));
    assert_eq!(st, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains(&id), "{body}");
    let (st, status) = call!(
        app,
        TestRequest::get().uri(&vol_uri(&dist, "bricks/remove"))
    );
    assert_eq!(st, 200, "{status}");
    // Commit is refused: the migration failed.
    let (st, body) = call!(
        app,
        TestRequest::post().uri(&vol_uri(&dist, "bricks/remove/commit"))
    );
    assert_eq!(st, 409, "{body}");

    // Cancel stops gluster's task: the job stays failed, the volume is free.
    let (st, cancelled) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/jobs/{id}/cancel"))
    );
    assert_eq!(st, 200, "{cancelled}");
    assert_eq!(
        (&cancelled["status"], &cancelled["needs_stop"]),
        (&json!("failed"), &json!(false))
    );
    assert!(
        cancelled["reason"]
            .as_str()
            .unwrap()
            .contains("stopped through the API"),
        "{cancelled}"
    );
    env.knob("dist", "bricks_down", json!([]));
    let (st, body) = call!(app, TestRequest::post().uri(&vol_uri(&dist, "rebalance")));
    assert_eq!(st, 202, "the volume is usable again: {body}");
}

#[actix_web::test]
async fn cancelling_a_held_removal_never_stops_the_task_of_the_job_that_now_holds_the_volume() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let dead = dist["bricks"][2]["name"].as_str().unwrap().to_owned();
    let removed = dist["bricks"][1]["name"].as_str().unwrap().to_owned();
    env.knob("dist", "bricks_down", json!([dead]));
    let (st, job) = call!(
        app,
        TestRequest::post()
            .uri(&vol_uri(&dist, "bricks/remove"))
            .set_json(json!({"bricks": [removed]}))
    );
    assert_eq!(st, 202, "{job}");
    let held = job["id"].as_str().unwrap().to_owned();
    wait_job_until!(app, held, "held", |j: &Value| j["needs_stop"] == true);
    // Before the poller notices anything, another job holds the volume (a newer task).
    env.state.scheduler.shutdown();
    let mut newer = domain::Job::new_pending(
        domain::TaskKind::Rebalance,
        domain::JobOrigin::Cli,
        dist["id"].as_str().unwrap().parse().unwrap(),
        "dist",
        env.state.scheduler.registry().all()[0].id,
        domain::TaskParams::default(),
        chrono::Utc::now(),
    );
    newer.gluster_task_id = Some(uuid::Uuid::new_v4());
    newer
        .transition(domain::JobStatus::Running, chrono::Utc::now())
        .unwrap();
    let steps = newer.initial_steps();
    env.state
        .store
        .write(|c| persistence::repo::jobs::insert(c, &newer, &steps))
        .unwrap();
    let (st, body) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/jobs/{held}/cancel"))
    );
    assert_eq!(st, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&newer.id.to_string()),
        "{body}"
    );
    let (_, still) = call!(app, TestRequest::get().uri(&format!("/api/v1/jobs/{held}")));
    assert_eq!(still["needs_stop"], true, "nothing was stopped: {still}");
    let (_, other) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{}", newer.id))
    );
    assert_eq!(other["status"], "running", "{other}");
}

#[actix_web::test]
async fn a_rebalance_started_while_the_previous_one_is_listed_never_fails_a_cycle() {
    let env = env_custom(0.3, |s| {
        s.poll.active_interval_secs = 0.05;
        s.poll.idle_interval_secs = 0.05;
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, first) = start_rebalance!(app, dist);
    let first_id = first["id"].as_str().unwrap().to_owned();
    let first = wait_job!(app, first_id, "succeeded");
    // Gluster keeps listing the completed task while the next start takes its time.
    env.knob("dist", "start_delay_ms", 1500);
    let ops = env.state.ops.clone();
    let vid: uuid::Uuid = dist["id"].as_str().unwrap().parse().unwrap();
    let start = std::thread::spawn(move || {
        ops.start_rebalance(vid, Default::default(), Default::default())
    });
    while !start.is_finished() {
        let (_, c) = call!(app, TestRequest::get().uri("/api/v1/clusters"));
        let c = &c["items"][0];
        assert_eq!(
            (&c["failed_polls"], &c["last_error"]),
            (&json!(0), &Value::Null),
            "{c}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let second = start.join().unwrap().unwrap();
    assert_ne!(
        Some(second.job.gluster_task_id.unwrap().to_string()),
        first["gluster_task_id"].as_str().map(str::to_owned)
    );
    let second = wait_job!(app, second.job.id, "succeeded");
    let (_, old) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{first_id}"))
    );
    assert_eq!(
        old["gluster_task_id"], first["gluster_task_id"],
        "the old job keeps its task"
    );
    assert_ne!(second["gluster_task_id"], first["gluster_task_id"]);
}

#[actix_web::test]
async fn a_purged_job_leaves_a_tombstone_and_its_listed_task_is_never_adopted_again() {
    let env = env_custom(0.2, |s| {
        s.poll.job_retention_days = 1.0 / 86_400.0; // one second
        s.poll.inventory_interval_secs = 0.3; // housekeeping's pace too
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = start_rebalance!(app, dist);
    let id = job["id"].as_str().unwrap().to_owned();
    let done = wait_job!(app, id, "succeeded");
    let task = done["gluster_task_id"].clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, _) = call!(app, TestRequest::get().uri(&format!("/api/v1/jobs/{id}")));
        if st == 404 {
            break;
        }
        assert!(Instant::now() < deadline, "never purged");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // Gluster still lists the completed task; several cycles later nobody has adopted it.
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let (_, list) = call!(app, TestRequest::get().uri("/api/v1/jobs"));
    let back: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["gluster_task_id"] == task)
        .collect();
    assert!(back.is_empty(), "re-adopted: {back:?}");
}

#[actix_web::test]
async fn a_task_gluster_is_stuck_on_is_marked_stalled_and_stays_running_until_stopped() {
    let env = env_custom(1.0, |s| s.poll.stall_after_secs = 1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    env.peer_knob(2, "stuck_tasks", true);
    let dist = volume!(app, "dist");
    let (_, job) = start_rebalance!(app, dist);
    let id = job["id"].as_str().unwrap().to_owned();
    let stalled = wait_job_until!(app, id, "stalled", |j: &Value| !j["stalled_since"]
        .is_null());
    assert_eq!(
        stalled["status"], "running",
        "an operator decides: {stalled}"
    );
    assert!(
        stalled["reason"].as_str().unwrap().starts_with("stalled:"),
        "{stalled}"
    );
    let (st, stopped) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/jobs/{id}/cancel"))
    );
    assert_eq!(
        (st, &stopped["status"]),
        (200, &json!("stopped")),
        "{stopped}"
    );
}

#[actix_web::test]
async fn an_adopted_task_is_never_shown_pending() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let out = std::process::Command::new(common::exe())
        .arg("gluster-sim")
        .arg("--state")
        .arg(env.sim_state())
        .args(["--task-secs", "1", "--node", "1", "--mode=script", "--xml"])
        .args(["volume", "rebalance", "dist", "start"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let (_, list) = call!(app, TestRequest::get().uri("/api/v1/jobs?origin=cli"));
        if let Some(j) = list["items"].as_array().unwrap().first() {
            seen.push(j["status"].clone());
            if j["status"] == "succeeded" {
                break;
            }
        }
        assert!(Instant::now() < deadline, "not adopted: {seen:?}");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!seen.contains(&json!("pending")), "{seen:?}");
}

#[actix_web::test]
async fn a_poll_that_changes_nothing_neither_changes_the_etag_nor_ends_a_long_poll() {
    let env = env(0.3);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let brick = dist["bricks"][3]["name"].clone();
    let (st, job) = call!(
        app,
        TestRequest::post()
            .uri(&vol_uri(&dist, "bricks/remove"))
            .set_json(json!({"bricks": [brick]}))
    );
    assert_eq!(st, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let waiting = wait_job!(app, id, "awaiting_commit");
    let uri = format!("/api/v1/jobs/{id}");
    let resp = test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
    let tag = resp
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(tag.starts_with("W/"), "{tag}");
    // Polls go on every 0.5 s meanwhile, each stamping polled_at.
    let began = Instant::now();
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!("{uri}?wait=2"))
            .insert_header(("If-None-Match", tag.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 304, "{waiting}");
    assert!(
        began.elapsed() >= Duration::from_millis(1900),
        "woke early: {:?}",
        began.elapsed()
    );
    let (_, now) = call!(app, TestRequest::get().uri(&uri));
    assert_ne!(
        now["polled_at"], waiting["polled_at"],
        "polls did happen meanwhile"
    );
}

#[actix_web::test]
async fn the_clusters_list_shows_what_this_replicas_poller_is_doing() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let poller = loop {
        let (_, c) = call!(app, TestRequest::get().uri("/api/v1/clusters"));
        let p = c["items"][0]["poller"].clone();
        if p["cycles"].as_u64().unwrap_or(0) >= 1 {
            break p;
        }
        assert!(Instant::now() < deadline, "no cycle shown: {p}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        ["idle", "busy"].contains(&poller["state"].as_str().unwrap()),
        "{poller}"
    );
    assert!(
        poller["last_cycle_at"].is_string() && poller["last_cycle_ms"].is_u64(),
        "{poller}"
    );
    env.state.scheduler.shutdown();
    let (_, c) = call!(app, TestRequest::get().uri("/api/v1/clusters"));
    assert_eq!(c["items"][0]["poller"]["state"], "stopped");
}
