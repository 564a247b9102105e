//! `GET /metrics` on the real app with the simulator behind the real CLI driver: a token is
//! needed (any role), the text is Prometheus's, and the counters move when gluster is called,
//! requests are answered and jobs change. Labels stay bounded: route patterns, never paths.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use gluster_tasks::auth::{hash_token, Role, TokenSettings};

#[macro_use]
mod common;

const OPERATOR: &str = "metrics-operator-token";
const VIEWER: &str = "metrics-viewer-token";

fn bearer(t: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {t}"))
}

/// The value of the sample `name` whose labels include every `labels` pair.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

macro_rules! scrape {
    ($app:expr) => {{
        let req = TestRequest::get()
            .uri("/metrics")
            .insert_header(bearer(VIEWER));
        let resp = test::call_service(&$app, req.to_request()).await;
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        String::from_utf8(test::read_body(resp).await.to_vec()).unwrap()
    }};
}

#[actix_web::test]
async fn the_counters_move_with_gluster_calls_requests_and_jobs() {
    let env = common::env_custom(3.0, |s| {
        s.tokens = vec![
            TokenSettings {
                name: "ops".into(),
                role: Role::Operator,
                sha256: hash_token(OPERATOR),
            },
            TokenSettings {
                name: "prom".into(),
                role: Role::Viewer,
                sha256: hash_token(VIEWER),
            },
        ]
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;

    // Without a token: 401, like the API.
    let resp = test::call_service(&app, TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(resp.status().as_u16(), 401);

    // The scheduler's first cycles: the poll cycle histogram fills.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let before = loop {
        let t = scrape!(app);
        let cycles = sample(
            &t,
            "gluster_tasks_poll_cycle_seconds_count",
            &[("cluster", "demo"), ("outcome", "ok")],
        );
        if cycles.unwrap_or(0.0) >= 1.0 {
            break t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no poll cycle counted:\n{t}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let calls = |t: &str, cmd: &str| {
        sample(
            t,
            "gluster_tasks_gluster_calls_total",
            &[("command", cmd), ("outcome", "ok")],
        )
        .unwrap_or(0.0)
    };
    assert!(
        calls(&before, "volume info") >= 1.0,
        "the inventory ran volume info:\n{before}"
    );
    assert_eq!(
        sample(
            &before,
            "gluster_tasks_cluster_reachable",
            &[("cluster", "demo")]
        ),
        Some(1.0)
    );
    assert!(sample(&before, "process_resident_memory_bytes", &[]).unwrap() > 0.0);
    assert_eq!(calls(&before, "volume rebalance start"), 0.0);

    // Start a rebalance: a gluster call, a request, a running job with per-node series.
    let (_, vols) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/volumes")
            .insert_header(bearer(OPERATOR))
    );
    let vol = vols["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "dist")
        .unwrap()
        .clone();
    let req = TestRequest::post()
        .uri(&format!(
            "/api/v1/volumes/{}/rebalance",
            vol["id"].as_str().unwrap()
        ))
        .insert_header(bearer(OPERATOR));
    let (status, job) = call!(app, req);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let get_job = TestRequest::get()
        .uri(&format!("/api/v1/jobs/{id}"))
        .insert_header(bearer(OPERATOR));
    let _ = call!(app, get_job);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let running = loop {
        let t = scrape!(app);
        if sample(&t, "gluster_tasks_job_node_scanned", &[("job_id", &id)]).is_some() {
            break t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no per-node series for the running job:\n{t}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(calls(&running, "volume rebalance start"), 1.0);
    assert!(
        calls(&running, "volume rebalance status") + calls(&running, "volume status tasks") >= 1.0
    );
    assert_eq!(
        sample(
            &running,
            "gluster_tasks_jobs",
            &[("kind", "rebalance"), ("status", "running")]
        ),
        Some(1.0)
    );
    let route = "/api/v1/volumes/{volume_id}/rebalance";
    assert_eq!(
        sample(
            &running,
            "gluster_tasks_http_requests_total",
            &[("method", "POST"), ("route", route), ("status", "202")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &running,
            "gluster_tasks_http_requests_total",
            &[("route", "/api/v1/jobs/{job_id}"), ("status", "200")]
        ),
        Some(1.0)
    );
    for node in ["server1", "server2", "server3"] {
        let labels = [
            ("job_id", id.as_str()),
            ("volume", "dist"),
            ("cluster", "demo"),
            ("node", node),
        ];
        assert!(
            sample(&running, "gluster_tasks_job_node_scanned", &labels).is_some(),
            "{node}:\n{running}"
        );
        assert!(sample(&running, "gluster_tasks_job_node_runtime_seconds", &labels).is_some());
    }
    let duration = sample(
        &running,
        "gluster_tasks_gluster_call_seconds_count",
        &[("command", "volume rebalance start")],
    );
    assert_eq!(duration, Some(1.0));

    // It ends: the running series go, the counts follow.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let req = TestRequest::get()
            .uri(&format!("/api/v1/jobs/{id}"))
            .insert_header(bearer(OPERATOR));
        let (_, j) = call!(app, req);
        if j["status"] == "succeeded" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job never succeeded: {j}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let after = loop {
        let t = scrape!(app);
        if sample(
            &t,
            "gluster_tasks_jobs",
            &[("kind", "rebalance"), ("status", "succeeded")],
        ) == Some(1.0)
        {
            break t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the count never followed:\n{t}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        sample(
            &after,
            "gluster_tasks_jobs",
            &[("kind", "rebalance"), ("status", "running")]
        ),
        None
    );
    assert!(
        !after.contains(&format!("job_id=\"{id}\"")),
        "an ended job keeps no series"
    );

    // Paths nobody routes share one label: no series per path.
    for path in ["/api/v1/nothing-here-1", "/nothing/here/2"] {
        let _ = test::call_service(
            &app,
            TestRequest::get()
                .uri(path)
                .insert_header(bearer(OPERATOR))
                .to_request(),
        )
        .await;
    }
    let t = scrape!(app);
    assert!(
        !t.contains("nothing-here") && !t.contains("nothing/here"),
        "a raw path became a label"
    );
    assert!(
        sample(
            &t,
            "gluster_tasks_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        )
        .unwrap()
            >= 1.0
    );
}
