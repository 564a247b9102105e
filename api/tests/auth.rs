//! Bearer tokens on the real app: 401 without a valid token, 403 for a viewer that writes, the
//! job's initiator taken from the token, and the endpoints that stay open.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use gluster_tasks::auth::{hash_token, Role, TokenSettings};
use serde_json::{json, Value};

#[macro_use]
mod common;

use common::env_custom;

const OPERATOR: &str = "op-token-0123456789";
const OTHER_OPERATOR: &str = "op-token-abcdefghij";
const VIEWER: &str = "view-token-0123456789";

fn token(name: &str, role: Role, secret: &str) -> TokenSettings {
    TokenSettings {
        name: name.into(),
        role,
        sha256: hash_token(secret),
    }
}

fn bearer(secret: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {secret}"))
}

#[actix_web::test]
async fn tokens_decide_who_may_read_and_who_may_act() {
    let env = env_custom(30.0, |s| {
        s.tokens = vec![
            token("orchestrator", Role::Operator, OPERATOR),
            token("nightly", Role::Operator, OTHER_OPERATOR),
            token("dashboard", Role::Viewer, VIEWER),
        ]
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;

    // No token, a wrong one, a malformed header: 401 with a challenge, as problem+json.
    for req in [
        TestRequest::get().uri("/api/v1/volumes"),
        TestRequest::get()
            .uri("/api/v1/volumes")
            .insert_header(bearer("guess")),
        TestRequest::get()
            .uri("/api/v1/volumes")
            .insert_header(("Authorization", OPERATOR)),
    ] {
        let resp = test::call_service(&app, req.to_request()).await;
        assert_eq!(resp.status().as_u16(), 401);
        assert_eq!(
            resp.headers().get("www-authenticate").unwrap(),
            "Bearer realm=\"gluster-tasks\""
        );
        let p: Value = test::read_body_json(resp).await;
        assert_eq!(p["code"], "unauthorized", "{p}");
        assert_eq!(p["instance"], "/api/v1/volumes");
    }

    // A viewer reads, and may not act.
    let (s, vols) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/volumes")
            .insert_header(bearer(VIEWER))
    );
    assert_eq!(s, 200, "{vols}");
    let dist = vols["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "dist")
        .unwrap()
        .clone();
    let start = format!("/api/v1/volumes/{}/rebalance", dist["id"].as_str().unwrap());
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&start)
            .insert_header(bearer(VIEWER))
    );
    assert_eq!((s, p["code"].clone()), (403, json!("forbidden")), "{p}");
    let (_, jobs) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/jobs")
            .insert_header(bearer(VIEWER))
    );
    assert!(jobs["items"].as_array().unwrap().is_empty(), "{jobs}");

    // The initiator comes from the token, never from the body.
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&start)
            .insert_header(bearer(OPERATOR))
            .set_json(json!({ "initiator": "someone-else" }))
    );
    assert!(s == 400 || s == 422, "an unknown field is refused: {s} {p}");
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&start)
            .insert_header(("Authorization", format!("bearer {OPERATOR}")))
            .insert_header(("Idempotency-Key", "k-1"))
    );
    assert_eq!(s, 202, "the scheme is case-insensitive: {job}");
    assert_eq!(job["initiator"], "orchestrator");

    // Another token's keys are its own: its k-1 neither replays nor blocks this one; another
    // request under it runs.
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{start}/stop"))
            .insert_header(bearer(OTHER_OPERATOR))
            .insert_header(("Idempotency-Key", "k-1"))
    );
    assert_eq!(
        s, 200,
        "another request under the other token's k-1 runs: {p}"
    );
    // And the first token's k-1 still replays its own answer.
    let resp = test::call_service(
        &app,
        TestRequest::post()
            .uri(&start)
            .insert_header(bearer(OPERATOR))
            .insert_header(("Idempotency-Key", "k-1"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(resp.headers().get("idempotent-replayed").unwrap(), "true");

    // Health, the spec and the docs stay open.
    for open in ["/healthz", "/api/v1/openapi.json"] {
        let resp = test::call_service(&app, TestRequest::get().uri(open).to_request()).await;
        assert_eq!(resp.status().as_u16(), 200, "{open}");
    }
}

#[actix_web::test]
async fn without_tokens_the_api_is_open() {
    let env = env_custom(30.0, |_| {});
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let (s, _) = call!(app, TestRequest::get().uri("/api/v1/volumes"));
    assert_eq!(s, 200);
    let dist = volume!(app, "dist");
    let (s, job) = start_rebalance!(app, dist);
    assert_eq!(s, 202, "{job}");
    assert!(job["initiator"].is_null(), "{job}");
}
