//! Remove-brick over HTTP on the real app and the simulator: migrate, awaiting commit, commit,
//! auto-commit (and its refusal when files failed), stop, forced removal, replica reduction,
//! and the validation rules.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::{json, Value};
use std::time::Duration;

#[macro_use]
mod common;

use common::{env, Env};

/// Sets the simulator's knob: files that fail to migrate per node in the next remove-brick.
fn fail_migrations(env: &Env, volume: &str, files: i64) {
    env.knob(volume, "migration_failures", files);
}

fn remove(vol: &Value) -> String {
    format!(
        "/api/v1/volumes/{}/bricks/remove",
        vol["id"].as_str().unwrap()
    )
}

#[actix_web::test]
async fn migrate_then_commit_removes_the_brick_and_the_volume_says_a_commit_is_needed() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let brick = dist["bricks"][3]["name"].as_str().unwrap().to_owned();
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dist))
            .set_json(json!({"bricks": [brick]}))
    );
    assert_eq!(s, 202, "{job}");
    assert_eq!(
        (job["kind"].clone(), job["params"]["migrate_data"].clone()),
        (json!("remove_brick"), json!(true))
    );
    let kinds: Vec<_> = job["steps"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("removing_bricks"), json!("committing")]);
    // Committing before the migration completed is refused.
    let (s, p) = call!(
        app,
        TestRequest::post().uri(&format!("{}/commit", remove(&dist)))
    );
    assert_eq!(
        (s, p["code"].clone()),
        (409, json!("commit_refused")),
        "{p}"
    );
    // A rebalance cannot start meanwhile.
    let (s, p) = start_rebalance!(app, dist);
    assert_eq!((s, p["code"].clone()), (409, json!("task_active")));

    let waiting = wait_job!(app, job["id"].as_str().unwrap(), "awaiting_commit");
    assert!(waiting["reason"].as_str().unwrap().contains("commit"));
    let v = volume!(app, "dist");
    assert_eq!(v["activity"]["commit_needed"], true);
    let b = v["bricks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == brick)
        .unwrap();
    assert_eq!(
        (
            b["activity"]["commit_needed"].clone(),
            b["activity"]["job_id"].clone()
        ),
        (json!(true), job["id"].clone())
    );
    let (_, st) = call!(app, TestRequest::get().uri(&remove(&dist)));
    assert_eq!(
        (st["commit_allowed"].clone(), st["bricks"].clone()),
        (json!(true), json!([brick]))
    );
    assert_eq!(
        st["nodes"].as_array().unwrap().len(),
        1,
        "only the node holding the brick migrates"
    );

    // stop/commit must name the bricks that started the removal.
    let other = dist["bricks"][0]["name"].as_str().unwrap();
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{}/commit", remove(&dist)))
            .set_json(json!({"bricks": [other]}))
    );
    assert_eq!(s, 422);
    assert!(p["detail"].as_str().unwrap().contains(&brick), "{p}");
    let (s, done) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{}/commit", remove(&dist)))
            .set_json(json!({"bricks": [brick]}))
    );
    assert_eq!(
        (s, done["status"].clone()),
        (200, json!("succeeded")),
        "{done}"
    );
    assert!(done["steps"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "succeeded"));
    let v = volume!(app, "dist");
    assert_eq!(v["brick_count"], 3);
    assert!(v["bricks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["name"] != brick.as_str()));
    assert!(v["activity"].is_null());
}

#[actix_web::test]
async fn auto_commit_commits_only_a_clean_migration() {
    let env = env(0.6);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dr = volume!(app, "distrep");
    let set2: Vec<Value> = dr["bricks"].as_array().unwrap()[3..6]
        .iter()
        .map(|b| b["id"].clone())
        .collect();
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dr))
            .set_json(json!({"bricks": set2, "auto_commit": true}))
    );
    assert_eq!(s, 202, "{job}");
    wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    assert_eq!(volume!(app, "distrep")["brick_count"], 3);

    // Files that fail to migrate: no auto-commit, the job says why, and commit is refused.
    fail_migrations(&env, "dist", 3);
    let dist = volume!(app, "dist");
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dist))
            .set_json(json!({"bricks": [dist["bricks"][0]["name"]], "auto_commit": true}))
    );
    assert_eq!(s, 202);
    let j = wait_job!(app, job["id"].as_str().unwrap(), "awaiting_commit");
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    let (_, j2) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{}", j["id"].as_str().unwrap()))
    );
    assert_eq!(j2["status"], "awaiting_commit", "never committed");
    assert!(
        j2["reason"]
            .as_str()
            .unwrap()
            .contains("3 files failed to migrate; commit would lose them"),
        "{j2}"
    );
    let (_, st) = call!(app, TestRequest::get().uri(&remove(&dist)));
    assert_eq!(st["commit_allowed"], false);
    let (s, p) = call!(
        app,
        TestRequest::post().uri(&format!("{}/commit", remove(&dist)))
    );
    assert_eq!((s, p["code"].clone()), (409, json!("commit_refused")));
    assert_eq!(volume!(app, "dist")["brick_count"], 4);
}

#[actix_web::test]
async fn stop_keeps_the_bricks() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dist))
            .set_json(json!({"bricks": [dist["bricks"][1]["name"]]}))
    );
    assert_eq!(s, 202);
    let (s, st) = call!(
        app,
        TestRequest::post().uri(&format!("{}/stop", remove(&dist)))
    );
    assert_eq!(
        (s, st["job_status"].clone(), st["commit_allowed"].clone()),
        (200, json!("stopped"), json!(false)),
        "{st}"
    );
    assert!(st["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["status"] == "stopped"));
    wait_job!(app, job["id"].as_str().unwrap(), "stopped");
    assert_eq!(volume!(app, "dist")["brick_count"], 4);
    let (s, _) = call!(
        app,
        TestRequest::post().uri(&format!("{}/stop", remove(&dist)))
    );
    assert_eq!(s, 404, "nothing left to stop");
}

#[actix_web::test]
async fn forced_removal_needs_explicit_acceptance_and_is_on_record() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let brick = dist["bricks"][2]["name"].clone();
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dist))
            .set_json(json!({"bricks": [brick], "migrate_data": false}))
    );
    assert_eq!((s, p["code"].clone()), (422, json!("not_eligible")));
    assert!(p["detail"].as_str().unwrap().contains("accept_data_loss"));
    assert_eq!(volume!(app, "dist")["brick_count"], 4);
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dist))
            .set_json(json!({"bricks": [brick], "migrate_data": false, "accept_data_loss": true}))
    );
    assert_eq!(
        (s, job["status"].clone()),
        (200, json!("succeeded")),
        "{job}"
    );
    assert_eq!(job["params"]["migrate_data"], false);
    assert_eq!(volume!(app, "dist")["brick_count"], 3);
}

#[actix_web::test]
async fn replica_reduction_takes_one_brick_per_set_without_migration() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dr = volume!(app, "distrep");
    let b = |i: usize| dr["bricks"][i]["name"].clone();
    // Pending heals: a brick being removed may hold the only good copy.
    env.knob("distrep", "pending_heals", 2);
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dr))
            .set_json(json!({"bricks": [b(2), b(5)], "replica_count": 2}))
    );
    assert_eq!(s, 422, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("12 entries are pending heal"),
        "{p}"
    );
    env.knob("distrep", "pending_heals", 0);
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dr))
            .set_json(json!({"bricks": [b(2)], "replica_count": 2}))
    );
    assert_eq!(s, 422);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("from each of the 2 replica sets"),
        "{p}"
    );
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dr))
            .set_json(json!({"bricks": [b(2), b(5)], "replica_count": 2}))
    );
    assert_eq!(
        (s, job["status"].clone()),
        (200, json!("succeeded")),
        "{job}"
    );
    let v = volume!(app, "distrep");
    assert_eq!(
        (v["replica_count"].clone(), v["brick_count"].clone()),
        (json!(2), json!(4))
    );
}

#[actix_web::test]
async fn validation_rules_answer_422_with_a_precise_message() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dr = volume!(app, "distrep");
    let b = |i: usize| dr["bricks"][i]["name"].clone();
    let cases = [
        (json!({"bricks": []}), "bricks is required"),
        (
            json!({"bricks": ["server9:/nowhere"]}),
            "is not a brick of volume distrep",
        ),
        (
            json!({"bricks": [b(3), b(4)]}),
            "Remove brick incorrect brick count of 2 for replica 3",
        ),
        (
            json!({"bricks": [b(0), b(1), b(5)]}),
            "Bricks not from same subvol for replica",
        ),
        (
            json!({"bricks": [b(0), b(1), b(2), b(3), b(4), b(5)]}),
            "Deleting all the bricks of the volume is not allowed",
        ),
        (
            json!({"bricks": ["--mode=x"]}),
            "is not a brick of volume distrep",
        ),
    ];
    for (body, want) in cases {
        let (s, p) = call!(app, TestRequest::post().uri(&remove(&dr)).set_json(&body));
        assert_eq!(s, 422, "{body}: {p}");
        assert!(p["detail"].as_str().unwrap().contains(want), "{body}: {p}");
    }
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&dr))
            .set_json(json!({"bricks": [b(0)], "bogus": 1}))
    );
    assert_eq!(s, 422);
    let (s, _) = call!(app, TestRequest::post().uri(&remove(&dr)));
    assert_eq!(s, 422);
    let archive = volume!(app, "archive");
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&remove(&archive))
            .set_json(json!({"bricks": [archive["bricks"][0]["name"]]}))
    );
    assert_eq!(s, 422);
    assert!(p["detail"].as_str().unwrap().contains("not started"));
    let (_, jobs) = call!(app, TestRequest::get().uri("/api/v1/jobs"));
    assert_eq!(
        jobs["items"].as_array().unwrap().len(),
        0,
        "no refused request left a job"
    );
}
