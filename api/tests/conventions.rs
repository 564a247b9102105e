//! API conventions on the real app: request ids, problem `instance`, ETag / If-None-Match with
//! Retry-After on pollable resources, and cancelling a job.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::{json, Value};

#[macro_use]
mod common;

use common::env;

fn header(
    resp: &actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    name: &str,
) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[actix_web::test]
async fn request_ids_are_echoed_generated_or_replaced() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri("/api/v1/clusters")
            .insert_header(("X-Request-Id", "orchestrator-42.a"))
            .to_request(),
    )
    .await;
    assert_eq!(
        header(&resp, "x-request-id").as_deref(),
        Some("orchestrator-42.a")
    );
    let resp = test::call_service(
        &app,
        TestRequest::get().uri("/api/v1/clusters").to_request(),
    )
    .await;
    let generated = header(&resp, "x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri("/api/v1/clusters")
            .insert_header(("X-Request-Id", "two words;rm"))
            .to_request(),
    )
    .await;
    let replaced = header(&resp, "x-request-id").unwrap();
    assert!(
        uuid::Uuid::parse_str(&replaced).is_ok(),
        "an unsafe id is replaced: {replaced}"
    );
}

#[actix_web::test]
async fn every_problem_names_its_instance() {
    let env = env(1.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    for (uri, status) in [
        (
            "/api/v1/jobs/00000000-0000-0000-0000-000000000001".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/jobs/not-a-uuid".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/nowhere".to_owned(), StatusCode::NOT_FOUND),
    ] {
        let resp = test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(resp.status(), status);
        assert_eq!(
            header(&resp, "content-type").as_deref(),
            Some("application/problem+json")
        );
        let body: Value = test::read_body_json(resp).await;
        assert_eq!(body["instance"], uri.as_str(), "{body}");
        assert_eq!(body["status"], status.as_u16());
    }
}

#[actix_web::test]
async fn jobs_and_statuses_carry_etags_and_retry_after_until_they_end() {
    let env = env(1.5);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = start_rebalance!(app, dist);
    assert_eq!(s, 202);
    let uri = format!("/api/v1/jobs/{}", job["id"].as_str().unwrap());
    let status_uri = format!("/api/v1/volumes/{}/rebalance", dist["id"].as_str().unwrap());
    for u in [&uri, &status_uri] {
        let resp = test::call_service(&app, TestRequest::get().uri(u).to_request()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let tag = header(&resp, "etag").unwrap();
        assert!(
            header(&resp, "retry-after")
                .unwrap()
                .parse::<u64>()
                .unwrap()
                >= 1
        );
        let again = test::call_service(
            &app,
            TestRequest::get()
                .uri(u)
                .insert_header(("If-None-Match", tag.as_str()))
                .to_request(),
        )
        .await;
        // The job may have moved on between the two calls; then the tag differs and it is 200.
        if header(&again, "etag").as_deref() == Some(tag.as_str()) {
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
            assert!(test::read_body(again).await.is_empty());
        }
        let other = test::call_service(
            &app,
            TestRequest::get()
                .uri(u)
                .insert_header(("If-None-Match", "\"0000000000000000\""))
                .to_request(),
        )
        .await;
        assert_eq!(other.status(), StatusCode::OK);
    }
    let done = wait_job!(app, job["id"].as_str().unwrap(), "succeeded");
    let resp = test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(
        header(&resp, "retry-after"),
        None,
        "an ended job needs no more polling"
    );
    let tag = header(&resp, "etag").unwrap();
    let body: Value = test::read_body_json(resp).await;
    assert_eq!(body["status"], done["status"]);
    let cached = test::call_service(
        &app,
        TestRequest::get()
            .uri(&uri)
            .insert_header(("If-None-Match", tag.as_str()))
            .to_request(),
    )
    .await;
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn cancel_stops_the_task_of_a_job_once() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = start_rebalance!(app, dist);
    let cancel = format!("/api/v1/jobs/{}/cancel", job["id"].as_str().unwrap());
    let (s, stopped) = call!(app, TestRequest::post().uri(&cancel));
    assert_eq!(
        (s, stopped["status"].clone()),
        (200, json!("stopped")),
        "{stopped}"
    );
    let (s, p) = call!(app, TestRequest::post().uri(&cancel));
    assert_eq!(
        (s, p["code"].clone()),
        (409, json!("job_not_active")),
        "{p}"
    );

    // A removal: cancel stops the migration and keeps the bricks.
    let brick = dist["bricks"][0]["name"].as_str().unwrap().to_owned();
    let (s, removal) = call!(
        app,
        TestRequest::post()
            .uri(&format!(
                "/api/v1/volumes/{}/bricks/remove",
                dist["id"].as_str().unwrap()
            ))
            .set_json(json!({ "bricks": [brick] }))
    );
    assert_eq!(s, 202, "{removal}");
    let (s, stopped) = call!(
        app,
        TestRequest::post().uri(&format!(
            "/api/v1/jobs/{}/cancel",
            removal["id"].as_str().unwrap()
        ))
    );
    assert_eq!(
        (s, stopped["status"].clone()),
        (200, json!("stopped")),
        "{stopped}"
    );
    assert_eq!(volume!(app, "dist")["brick_count"], 4);

    let (s, p) = call!(
        app,
        TestRequest::post().uri("/api/v1/jobs/00000000-0000-0000-0000-000000000009/cancel")
    );
    assert_eq!((s, p["code"].clone()), (404, json!("job_not_found")));
}

/// `GET {uri}?wait={secs}` with `If-None-Match: {tag}`: the raw response.
macro_rules! long_poll {
    ($app:expr, $uri:expr, $tag:expr, $secs:expr) => {
        test::call_service(
            &$app,
            TestRequest::get()
                .uri(&format!("{}?wait={}", $uri, $secs))
                .insert_header(("If-None-Match", $tag.as_str()))
                .to_request(),
        )
        .await
    };
}

#[actix_web::test]
async fn a_long_poll_waits_while_the_job_is_unchanged_and_answers_when_it_changes() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = start_rebalance!(app, dist);
    let uri = format!("/api/v1/jobs/{}", job["id"].as_str().unwrap());
    let (s, p) = call!(app, TestRequest::get().uri(&format!("{uri}?wait=61")));
    assert_eq!(
        (s, p["code"].clone()),
        (422, json!("invalid_request")),
        "{p}"
    );
    let (s, _) = call!(app, TestRequest::get().uri(&format!("{uri}?wiat=1")));
    assert_eq!(s, 400, "unknown query parameters are refused");

    // With no peer answering the job keeps its last state: nothing changes.
    for n in 1..=3 {
        env.peer_knob(n, "up", false);
    }
    wait_job_until!(app, job["id"].as_str().unwrap(), "stale", |j: &Value| j
        ["stale_since"]
        .is_string());
    let resp = test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
    let tag = header(&resp, "etag").unwrap();
    let asked = std::time::Instant::now();
    let unchanged = long_poll!(app, uri, tag, 2);
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert!(
        asked.elapsed() >= std::time::Duration::from_millis(1900),
        "answered before the wait was over although nothing changed"
    );

    // A peer answers again: the waiting request returns with the new version.
    env.peer_knob(2, "up", true);
    let changed = long_poll!(app, uri, tag, 60);
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, "etag").unwrap(), tag);
    let body: Value = test::read_body_json(changed).await;
    assert!(body["stale_since"].is_null(), "{body}");

    // An ended job never changes again: a long-poll on it answers at once.
    let (s, stopped) = call!(app, TestRequest::post().uri(&format!("{uri}/cancel")));
    assert_eq!(s, 200, "{stopped}");
    let resp = test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
    let tag = header(&resp, "etag").unwrap();
    let asked = std::time::Instant::now();
    let ended = long_poll!(app, uri, tag, 60);
    assert_eq!(ended.status(), StatusCode::NOT_MODIFIED);
    assert!(asked.elapsed() < std::time::Duration::from_secs(30));
}

#[actix_web::test]
async fn jobs_are_filtered_by_creation_time() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (_, job) = start_rebalance!(app, dist);
    let created = job["created_at"].as_str().unwrap();
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let enc = |t: &str| t.replace('+', "%2B");
    let (s, page) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs?created_after={}", enc(created)))
    );
    assert_eq!(s, 200, "{page}");
    assert_eq!(ids(&page), vec![job["id"].as_str().unwrap().to_owned()]);
    let (_, page) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs?created_before={}", enc(created)))
    );
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = call!(
        app,
        TestRequest::get().uri("/api/v1/jobs?created_after=2999-01-01T00:00:00Z")
    );
    assert!(ids(&page).is_empty(), "{page}");
    let (s, p) = call!(
        app,
        TestRequest::get().uri("/api/v1/jobs?created_after=yesterday")
    );
    assert_eq!((s, p["code"].clone()), (400, json!("bad_request")), "{p}");
}

#[actix_web::test]
async fn oversized_bodies_and_shell_like_bricks_are_refused_as_problems() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let big = format!("{{\"bricks\": [\"{}\"]}}", "a".repeat(70 * 1024));
    let resp = test::call_service(
        &app,
        TestRequest::post()
            .uri(&format!(
                "/api/v1/volumes/{}/bricks/remove",
                dist["id"].as_str().unwrap()
            ))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(big)
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let p: Value = test::read_body_json(resp).await;
    assert_eq!(p["code"], "payload_too_large", "{p}");
    for brick in ["server1:/x;rm -rf /", "--mode=x", "server1:relative/path"] {
        let (s, p) = call!(
            app,
            TestRequest::post()
                .uri(&format!(
                    "/api/v1/volumes/{}/bricks/remove",
                    dist["id"].as_str().unwrap()
                ))
                .set_json(json!({ "bricks": [brick] }))
        );
        assert_eq!(s, 422, "{brick}: {p}");
    }
}
