//! `Idempotency-Key` on the real app and scheduler over the simulator: replays, reuse with
//! another request, a retry while the first request runs, 5xx answers that are not kept, and the
//! request id stored on the job a request created.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::{json, Value};

#[macro_use]
mod common;

use common::{env, env_custom};

fn start_uri(vol: &Value) -> String {
    format!("/api/v1/volumes/{}/rebalance", vol["id"].as_str().unwrap())
}

/// Calls the app and returns status, the named headers' values and the JSON body.
macro_rules! call_with_headers {
    ($app:expr, $req:expr, $names:expr) => {{
        let resp = test::call_service(&$app, $req.to_request()).await;
        let status = resp.status().as_u16();
        let headers: Vec<Option<String>> = $names
            .iter()
            .map(|n: &&str| {
                resp.headers()
                    .get(*n)
                    .map(|v| v.to_str().unwrap().to_owned())
            })
            .collect();
        let body: Value =
            serde_json::from_slice(&test::read_body(resp).await).unwrap_or(Value::Null);
        (status, headers, body)
    }};
}

#[actix_web::test]
async fn a_retried_start_with_the_same_key_gets_the_same_job_and_starts_nothing() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let names = ["location", "idempotent-replayed"];
    let first = || {
        TestRequest::post()
            .uri(&start_uri(&dist))
            .insert_header(("Idempotency-Key", "start-dist-1"))
            .set_json(json!({ "fix_layout": true }))
    };
    let (s1, h1, job) = call_with_headers!(app, first(), names);
    assert_eq!(s1, 202, "{job}");
    assert_eq!(h1[1], None, "the first answer is not a replay");
    let (s2, h2, again) = call_with_headers!(app, first(), names);
    assert_eq!(s2, 202, "{again}");
    assert_eq!(again["id"], job["id"], "the same job");
    assert_eq!(h2[0], h1[0], "the same Location");
    assert_eq!(h2[1].as_deref(), Some("true"));
    let (_, page) = call!(
        app,
        TestRequest::get().uri(&format!(
            "/api/v1/jobs?volume_id={}",
            dist["id"].as_str().unwrap()
        ))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    // The same key with another body, or on another endpoint: refused, nothing runs.
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&start_uri(&dist))
            .insert_header(("Idempotency-Key", "start-dist-1"))
            .set_json(json!({ "force": true }))
    );
    assert_eq!(
        (s, p["code"].clone()),
        (422, json!("idempotency_key_reused")),
        "{p}"
    );
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{}/stop", start_uri(&dist)))
            .insert_header(("Idempotency-Key", "start-dist-1"))
    );
    assert_eq!(
        (s, p["code"].clone()),
        (422, json!("idempotency_key_reused")),
        "{p}"
    );
    let (_, j) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()))
    );
    assert_eq!(j["status"], "running", "the refused stop did not run: {j}");

    // A refusal is an answer too: the same request with its key gets the same 409 again.
    let second = || {
        TestRequest::post()
            .uri(&start_uri(&dist))
            .insert_header(("Idempotency-Key", "start-dist-2"))
    };
    let (s, _, p) = call_with_headers!(app, second(), names);
    assert_eq!((s, p["code"].clone()), (409, json!("task_active")), "{p}");
    let (s, h, replayed) = call_with_headers!(app, second(), names);
    assert_eq!(s, 409);
    assert_eq!(h[1].as_deref(), Some("true"));
    assert_eq!(replayed["job_id"], p["job_id"]);
    assert_eq!(
        replayed["instance"], p["instance"],
        "a replayed problem still names its instance"
    );

    // Keys are validated.
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&start_uri(&dist))
            .insert_header(("Idempotency-Key", "x".repeat(256)))
    );
    assert_eq!((s, p["code"].clone()), (400, json!("bad_request")), "{p}");
}

#[actix_web::test]
async fn a_retry_while_the_first_request_runs_is_a_conflict_and_a_5xx_is_not_kept() {
    // Every peer hangs: the start waits for the CLI timeout, then answers 503.
    let env = env_custom(30.0, |s| s.poll.gluster_timeout_secs = 2.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    for n in 1..=3 {
        env.peer_knob(n, "fault", "hang");
    }
    let req = || {
        TestRequest::post()
            .uri(&start_uri(&dist))
            .insert_header(("Idempotency-Key", "slow-start"))
            .to_request()
    };
    let first = test::call_service(&app, req());
    let retry = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
        test::call_service(&app, req()).await
    };
    let (first, retry) = futures_util::future::join(first, retry).await;
    assert_eq!(first.status().as_u16(), 503);
    assert_eq!(retry.status().as_u16(), 409);
    assert_eq!(
        retry
            .headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap(),
        "1"
    );
    let p: Value = test::read_body_json(retry).await;
    assert_eq!(p["code"], "idempotency_in_progress", "{p}");

    // gluster answers again: the 503 was not kept, so the same key now runs the start.
    for n in 1..=3 {
        env.peer_knob(n, "fault", Value::Null);
    }
    let resp = test::call_service(&app, req()).await;
    assert_eq!(resp.status().as_u16(), 202);
    assert!(resp.headers().get("idempotent-replayed").is_none());
}

#[actix_web::test]
async fn a_job_records_the_request_id_of_the_request_that_created_it() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&start_uri(&dist))
            .insert_header(("X-Request-Id", "orchestrator-run-7"))
    );
    assert_eq!(s, 202, "{job}");
    assert_eq!(job["request_id"], "orchestrator-run-7");
    let (_, j) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()))
    );
    assert_eq!(j["request_id"], "orchestrator-run-7");
    // A removal records the generated id when the client sent none.
    let (_, _) = call!(
        app,
        TestRequest::post().uri(&format!("{}/stop", start_uri(&dist)))
    );
    let brick = dist["bricks"][0]["name"].as_str().unwrap();
    let resp = test::call_service(
        &app,
        TestRequest::post()
            .uri(&format!(
                "/api/v1/volumes/{}/bricks/remove",
                dist["id"].as_str().unwrap()
            ))
            .set_json(json!({ "bricks": [brick] }))
            .to_request(),
    )
    .await;
    let generated = resp
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let removal: Value = test::read_body_json(resp).await;
    assert_eq!(removal["request_id"], generated.as_str(), "{removal}");
}
