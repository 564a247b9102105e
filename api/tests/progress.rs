//! Progress on the real app and scheduler over the simulator (whose bricks each sit on their
//! own filesystem and whose nodes scan at a steady rate): percent rises to 100, the time left
//! lands near the real end, a paused node stalls and recovers, the history is there to plot.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use chrono::{DateTime, Utc};
use gluster_tasks::app;
use serde_json::{json, Value};
use std::time::Duration;

#[macro_use]
mod common;

use common::env_custom;

fn at(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| s.parse().unwrap())
}

/// Fast polls, and a rate once samples span half a second.
fn quick(s: &mut gluster_tasks::config::Settings) {
    s.poll.active_interval_secs = 0.1;
    s.poll.progress_min_span_secs = 0.5;
}

#[actix_web::test]
async fn percent_rises_to_100_and_the_time_left_lands_near_the_real_end() {
    const TASK_SECS: f64 = 6.0;
    let env = env_custom(TASK_SECS, quick);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = start_rebalance!(app, dist);
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    // (seconds since the request, the job) every 100 ms until it ends.
    let begun = Utc::now();
    let mut seen = Vec::new();
    let last = loop {
        let (_, j) = call!(app, TestRequest::get().uri(&format!("/api/v1/jobs/{id}")));
        seen.push((Utc::now(), j.clone()));
        if j["status"] == "succeeded" {
            break j;
        }
        assert!(
            Utc::now() - begun < chrono::Duration::seconds(30),
            "never ended: {j}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(last["progress"]["percent"], 100.0, "{last}");
    assert_eq!(last["progress"]["basis"], "files");
    assert_eq!(last["progress"]["estimated_end_at"], Value::Null);
    let percents: Vec<f64> = seen
        .iter()
        .filter_map(|(_, j)| j["progress"]["percent"].as_f64())
        .collect();
    assert!(
        percents.windows(2).all(|w| w[0] <= w[1]),
        "never back: {percents:?}"
    );
    assert!(
        percents.iter().any(|p| *p > 0.0 && *p < 100.0),
        "{percents:?}"
    );
    for n in last["steps"][0]["steps"][0]["progress"]["nodes"]
        .as_array()
        .unwrap()
    {
        assert_eq!(n["estimate"]["percent"], 100.0, "{n}");
        assert!(n["estimate"]["work_total"].as_i64().unwrap() > 0, "{n}");
    }

    // After a quarter of the run, the estimate in force is within 20% of the run of the
    // simulated end (its slowest node ends TASK_SECS after the start; the job's `ended_at` is
    // when a poll saw it, later on a busy machine).
    let started = at(&last["started_at"]).unwrap();
    let ended = started + chrono::Duration::milliseconds((TASK_SECS * 1000.0) as i64);
    let run = TASK_SECS * 1000.0;
    let quarter = started + chrono::Duration::milliseconds((run / 4.0) as i64);
    let (_, then) = seen
        .iter()
        .find(|(t, j)| *t >= quarter && !j["progress"]["estimated_end_at"].is_null())
        .expect("an estimate after a quarter of the run");
    let estimate = at(&then["progress"]["estimated_end_at"]).unwrap();
    let error = (estimate - ended).num_milliseconds().abs() as f64;
    assert!(
        error <= 0.2 * run,
        "estimate {estimate} for an end at {ended}: off by {error} ms of {run}"
    );
}

#[actix_web::test]
async fn a_paused_node_is_stalled_then_recovers_and_the_timeline_says_so() {
    let env = env_custom(5.0, |s| {
        quick(s);
        s.poll.stall_after_secs = 1.0;
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = start_rebalance!(app, dist);
    let id = job["id"].as_str().unwrap().to_owned();
    wait_job_until!(app, id, "reported its nodes", |j: &Value| {
        j["steps"][0]["steps"][0]["progress"]["nodes"]
            .as_array()
            .is_some_and(|n| n.len() == 3)
    });
    env.pause_node(2, Some(3.0));
    let stalled = wait_job_until!(app, id, "stalled", |j: &Value| {
        !j["progress"]["stalled_since"].is_null()
    });
    assert_eq!(stalled["status"], "running");
    assert_eq!(stalled["progress"]["note_code"], "stalled", "{stalled}");
    assert_eq!(stalled["progress"]["estimated_end_at"], Value::Null);
    let nodes = stalled["steps"][0]["steps"][0]["progress"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let still: Vec<&Value> = nodes
        .iter()
        .filter(|n| !n["estimate"]["stalled_since"].is_null())
        .collect();
    assert_eq!(still.len(), 1, "only the paused node: {nodes:?}");
    let name = still[0]["name"].as_str().unwrap().to_owned();
    let recovered = wait_job_until!(app, id, "recovered", |j: &Value| {
        j["progress"]["stalled_since"].is_null()
    });
    assert_ne!(recovered["progress"]["note_code"], "stalled", "{recovered}");
    wait_job!(app, id, "succeeded");
    let (_, tl) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{id}/timeline"))
    );
    let kinds: Vec<(&str, Option<&str>)> = tl["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "stall_started" || e["kind"] == "stall_ended")
        .map(|e| (e["kind"].as_str().unwrap(), e["node"].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("stall_started", Some(name.as_str())),
            ("stall_ended", Some(name.as_str()))
        ],
        "{tl}"
    );
}

#[actix_web::test]
async fn the_history_has_a_point_per_poll_that_moved_and_removals_end_at_100() {
    let env = env_custom(2.0, quick);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let brick = dist["bricks"][3]["name"].clone();
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&format!(
                "/api/v1/volumes/{}/bricks/remove",
                dist["id"].as_str().unwrap()
            ))
            .set_json(json!({"bricks": [brick]}))
    );
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap();
    let done = wait_job!(app, id, "awaiting_commit");
    assert_eq!(done["progress"]["percent"], 100.0, "{done}");
    let (s, h) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{id}/progress"))
    );
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["basis"], "files");
    let work = h["work"].as_array().unwrap();
    assert_eq!(work.len(), 1, "one node holds the brick: {h}");
    let points = h["points"].as_array().unwrap();
    assert!(points.len() >= 3, "{h}");
    let times: Vec<DateTime<Utc>> = points.iter().map(|p| at(&p["at"]).unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    let done: Vec<i64> = points
        .iter()
        .map(|p| p["work_done"].as_i64().unwrap())
        .collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    assert_eq!(
        *done.last().unwrap(),
        400,
        "the brick's 400 files moved: {h}"
    );
    let (s, p) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{}/progress", uuid::Uuid::new_v4()))
    );
    assert_eq!((s, p["code"].as_str()), (404, Some("job_not_found")));
}
