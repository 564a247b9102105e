//! HTTP tests on the real application: real routes, a real SQLite file, the real scheduler
//! threads, and the real CLI driver running the simulator (`gluster-tasks gluster-sim`).
//! [`helpers`] holds this suite's environment and request macros; [`listing`] the read-only
//! listings (inventory, job pages, health and the spec); the task flows are here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

#[path = "../common/mod.rs"]
mod common;
#[macro_use]
mod helpers;
mod listing;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[actix_web::test]
async fn a_rebalance_runs_to_success_with_per_node_progress() {
    let env = env();
    let app = app!(env);
    let vol = volume_id!(app, "dist");
    let (s, job, _, loc) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/v1/volumes/{vol}/rebalance"))
            .set_json(json!({}))
    );
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(loc.as_deref(), Some(format!("/api/v1/jobs/{id}").as_str()));
    assert_eq!(job["kind"], "rebalance");
    assert_eq!(job["origin"], "api");
    assert!(
        job["status"] == "running" || job["status"] == "pending",
        "{job}"
    );
    assert!(job["gluster_task_id"].is_string());

    // While it runs, the volume shows its activity.
    let (_, v, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/volumes/{vol}"))
    );
    assert_eq!(v["activity"]["job_id"], id.as_str());
    assert_eq!(v["activity"]["kind"], "rebalance");
    assert_eq!(v["activity"]["commit_needed"], false);

    let done = wait_job!(app, id, "succeeded");
    assert!(done["ended_at"].is_string());
    assert_eq!(done["task_status"], "completed");
    let root = &done["steps"][0];
    assert_eq!(
        (root["kind"].clone(), root["status"].clone()),
        (json!("executing"), json!("succeeded"))
    );
    let child = &root["steps"][0];
    assert_eq!(child["kind"], "rebalancing_volume");
    let nodes = child["progress"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "every node with bricks of dist");
    assert!(nodes
        .iter()
        .all(|n| n["status"] == "completed" && n["files"].as_i64().unwrap() > 0));

    let (s, st, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/volumes/{vol}/rebalance"))
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (st["job_id"].clone(), st["status"].clone()),
        (json!(id), json!("completed"))
    );
    assert!(st["completed_at"].is_string() && st["polled_at"].is_string());
    let sum: i64 = st["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["files"].as_i64().unwrap())
        .sum();
    assert_eq!(st["aggregate"]["files"], sum);

    // The volume is free again.
    let (_, v, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/volumes/{vol}"))
    );
    assert!(v["activity"].is_null());
}

#[actix_web::test]
async fn stop_while_running_stops_the_job_and_every_node() {
    let env = env();
    let app = app!(env);
    let vol = volume_id!(app, "distrep");
    let (s, job, _, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance"))
    );
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let (s, st, _, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance/stop"))
    );
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["job_id"], job["id"]);
    assert_eq!(st["job_status"], "stopped");
    assert_eq!(st["status"], "stopped");
    assert!(st["completed_at"].is_string());
    let nodes = st["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["status"] == "stopped"), "{st}");
    let j = wait_job!(app, job["id"].as_str().unwrap(), "stopped");
    assert_eq!(j["steps"][0]["status"], "stopped");
    // Nothing left to stop: gluster's refusal comes back as a conflict with its message.
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance/stop"))
    );
    assert_problem(s, &ct, &p, StatusCode::CONFLICT, "gluster_conflict");
    assert!(p["gluster_message"]
        .as_str()
        .unwrap()
        .contains("not started"));
}

#[actix_web::test]
async fn a_second_start_is_refused_naming_the_running_job() {
    let env = env();
    let app = app!(env);
    let vol = volume_id!(app, "dist");
    let (_, job, _, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance"))
    );
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/v1/volumes/{vol}/rebalance"))
            .set_json(json!({"fix_layout": true}))
    );
    assert_problem(s, &ct, &p, StatusCode::CONFLICT, "task_active");
    assert_eq!(p["job_id"], job["id"]);
    assert_eq!(
        p["job_href"],
        format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())
    );
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains(job["id"].as_str().unwrap()));
}

#[actix_web::test]
async fn refusals_are_problem_documents() {
    let env = env();
    let app = app!(env);
    let unknown = uuid::Uuid::new_v4();
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{unknown}/rebalance"))
    );
    assert_problem(s, &ct, &p, StatusCode::NOT_FOUND, "volume_not_found");
    let (s, p, ct, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{unknown}"))
    );
    assert_problem(s, &ct, &p, StatusCode::NOT_FOUND, "job_not_found");
    let (s, p, ct, _) = call!(app, TestRequest::get().uri("/api/v1/jobs/not-a-uuid"));
    assert_problem(s, &ct, &p, StatusCode::BAD_REQUEST, "bad_request");

    let single = volume_id!(app, "single");
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{single}/rebalance"))
    );
    assert_problem(s, &ct, &p, StatusCode::UNPROCESSABLE_ENTITY, "not_eligible");
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("not a distribute volume or contains only 1 brick"));
    let stopped = volume_id!(app, "archive");
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{stopped}/rebalance"))
    );
    assert_problem(s, &ct, &p, StatusCode::UNPROCESSABLE_ENTITY, "not_eligible");
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("needs to be started"));
    // No job was left behind by the refusals.
    let (_, jobs, _, _) = call!(app, TestRequest::get().uri("/api/v1/jobs"));
    assert_eq!(jobs["items"].as_array().unwrap().len(), 0);

    let dist = volume_id!(app, "dist");
    let uri = format!("/api/v1/volumes/{dist}/rebalance");
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post()
            .uri(&uri)
            .set_json(json!({"fix_layout": true, "force": true}))
    );
    assert_problem(s, &ct, &p, StatusCode::UNPROCESSABLE_ENTITY, "not_eligible");
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post()
            .uri(&uri)
            .set_json(json!({"fixlayout": true}))
    );
    assert_problem(
        s,
        &ct,
        &p,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    assert!(p["detail"].as_str().unwrap().contains("unknown field"));
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post()
            .uri(&uri)
            .insert_header(("content-type", "application/json"))
            .set_payload("{nope")
    );
    assert_problem(s, &ct, &p, StatusCode::BAD_REQUEST, "bad_request");
    let (s, p, ct, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/volumes/{dist}/rebalance"))
    );
    assert_problem(s, &ct, &p, StatusCode::NOT_FOUND, "no_task");
    let (s, p, ct, _) = call!(app, TestRequest::get().uri("/api/v1/nowhere"));
    assert_problem(s, &ct, &p, StatusCode::NOT_FOUND, "not_found");
    let (s, p, ct, _) = call!(app, TestRequest::get().uri("/api/v1/jobs?status=bogus"));
    assert_problem(s, &ct, &p, StatusCode::BAD_REQUEST, "bad_request");
    let (s, p, ct, _) = call!(app, TestRequest::get().uri("/api/v1/jobs?limit=0"));
    assert_problem(
        s,
        &ct,
        &p,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
}

#[actix_web::test]
async fn a_rebalance_started_with_the_cli_becomes_a_cli_job_and_blocks_an_api_start() {
    let env = env();
    let app = app!(env);
    let out = gluster_cli(&env, &["volume", "rebalance", "distrep", "start"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let vol = volume_id!(app, "distrep");
    // Before the poller adopts it, gluster's own refusal surfaces as a conflict.
    let deadline = Instant::now() + Duration::from_secs(20);
    let job = loop {
        let (_, list, _, _) = call!(app, TestRequest::get().uri("/api/v1/jobs?origin=cli"));
        if let Some(j) = list["items"].as_array().unwrap().first() {
            break j.clone();
        }
        assert!(Instant::now() < deadline, "the CLI task was never adopted");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (job["origin"].clone(), job["volume_id"].clone()),
        (json!("cli"), json!(vol))
    );
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance"))
    );
    assert_problem(s, &ct, &p, StatusCode::CONFLICT, "task_active");
    wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
}

#[actix_web::test]
async fn gluster_refusing_a_start_is_a_conflict_with_its_message() {
    let env = env();
    let app = app!(env);
    let vol = volume_id!(app, "dist");
    // Started behind the service's back and not yet seen by the poller: gluster refuses.
    env.state.scheduler.shutdown();
    let out = gluster_cli(&env, &["volume", "rebalance", "dist", "start"]);
    assert!(out.status.success());
    let (s, p, ct, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance"))
    );
    assert_problem(s, &ct, &p, StatusCode::CONFLICT, "gluster_conflict");
    assert_eq!(p["gluster_message"], "Rebalance on dist is already started");
    let (_, jobs, _, _) = call!(app, TestRequest::get().uri("/api/v1/jobs"));
    assert_eq!(
        jobs["items"].as_array().unwrap().len(),
        0,
        "a refused start leaves no job"
    );
}

#[actix_web::test]
async fn a_rebalance_stopped_with_the_cli_ends_stopped_and_keeps_its_origin() {
    let env = env();
    let app = app!(env);
    let vol = volume_id!(app, "dist");
    let (s, job, _, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/volumes/{vol}/rebalance"))
    );
    assert_eq!(s, StatusCode::ACCEPTED);
    let out = gluster_cli(&env, &["volume", "rebalance", "dist", "stop"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let j = wait_job!(app, job["id"].as_str().unwrap(), "stopped");
    assert_eq!(j["origin"], "api");
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .contains("stopped outside this service"),
        "{j}"
    );
}
