//! Every kind of timeline entry on the real app and scheduler over the simulator: who started,
//! stopped, cancelled and committed (the token's name), what gluster answered, state changes,
//! what the service decided itself (auto-commit, warnings) and tasks found from the CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use gluster_tasks::auth::{hash_token, Role, TokenSettings};
use serde_json::{json, Value};

#[macro_use]
mod common;

use common::{env, env_custom, exe, Env};

const SECRET: &str = "timeline-operator-0123456789";

fn bearer() -> (&'static str, String) {
    ("Authorization", format!("Bearer {SECRET}"))
}

/// `(kind, actor, from, to)` of each entry of job `id`'s timeline, oldest first.
macro_rules! timeline {
    ($app:expr, $id:expr) => {{
        let (s, tl) = call!(
            $app,
            TestRequest::get()
                .uri(&format!("/api/v1/jobs/{}/timeline", $id))
                .insert_header(bearer())
        );
        assert_eq!(s, 200, "{tl}");
        tl["entries"].as_array().unwrap().clone()
    }};
}

/// An entry as `(kind, actor, from, to)`.
type Row = (String, Option<String>, Option<String>, Option<String>);

fn kinds(entries: &[Value]) -> Vec<Row> {
    let s = |v: &Value| v.as_str().map(str::to_owned);
    entries
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                s(&e["actor"]),
                s(&e["from"]),
                s(&e["to"]),
            )
        })
        .collect()
}

fn row(kind: &str, actor: Option<&str>, from: Option<&str>, to: Option<&str>) -> Row {
    (
        kind.into(),
        actor.map(Into::into),
        from.map(Into::into),
        to.map(Into::into),
    )
}

/// Polls the job (with the token) until its status is `$want` (20 s at most).
macro_rules! wait_for {
    ($app:expr, $id:expr, $want:expr) => {{
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let (_, j) = call!(
                $app,
                TestRequest::get()
                    .uri(&format!("/api/v1/jobs/{}", $id))
                    .insert_header(bearer())
            );
            if j["status"] == $want {
                break j;
            }
            assert!(std::time::Instant::now() < deadline, "never {}: {j}", $want);
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }};
}

/// The timeline of job `$id` once it has an entry of `$kind` (10 s at most).
macro_rules! wait_for_kind {
    ($app:expr, $id:expr, $kind:expr) => {{
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let entries = timeline!($app, $id);
            if entries.iter().any(|e| e["kind"] == $kind) {
                break entries;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {}: {entries:?}",
                $kind
            );
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }};
}

#[actix_web::test]
async fn starts_stops_cancels_and_commits_are_on_the_timeline_with_who_asked() {
    let env = env_custom(1.5, |s| {
        s.tokens = vec![TokenSettings {
            name: "orchestrator".into(),
            role: Role::Operator,
            sha256: hash_token(SECRET),
        }]
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let (_, vols) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/volumes")
            .insert_header(bearer())
    );
    let dist = vols["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "dist")
        .unwrap()
        .clone();
    let vol = dist["id"].as_str().unwrap();
    let me = Some("orchestrator");
    let svc = Some("service");

    // A REST start, then a REST stop.
    env.knob("dist", "start_delay_ms", 0);
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/v1/volumes/{vol}/rebalance"))
            .insert_header(bearer())
    );
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let (s, stop) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/v1/volumes/{vol}/rebalance/stop"))
            .insert_header(bearer())
    );
    assert_eq!(s, 200, "{stop}");
    let entries = timeline!(app, id);
    assert_eq!(
        kinds(&entries),
        [
            row("created", me, None, None),
            row("accepted", svc, None, None),
            row("state_changed", svc, Some("pending"), Some("running")),
            row("stop_requested", me, None, None),
            row("state_changed", svc, Some("running"), Some("stopped")),
        ],
        "{entries:?}"
    );
    let task = job["gluster_task_id"].as_str().unwrap();
    assert!(
        entries[1]["message"].as_str().unwrap().contains(task),
        "{entries:?}"
    );
    assert!(entries
        .windows(2)
        .all(|w| w[0]["at"].as_str() <= w[1]["at"].as_str()));

    // A removal: a commit before the migration is done is refused; then a cancel.
    let brick = dist["bricks"][3]["name"].clone();
    let remove = format!("/api/v1/volumes/{vol}/bricks/remove");
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove)
            .insert_header(bearer())
            .set_json(json!({"bricks": [brick]}))
    );
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    let (s, p) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{remove}/commit"))
            .insert_header(bearer())
    );
    assert_eq!(s, 409, "{p}");
    let (s, j) = call!(
        app,
        TestRequest::post()
            .uri(&format!("/api/v1/jobs/{id}/cancel"))
            .insert_header(bearer())
    );
    assert_eq!((s, j["status"].as_str()), (200, Some("stopped")), "{j}");
    let entries = timeline!(app, id);
    assert_eq!(
        kinds(&entries),
        [
            row("created", me, None, None),
            row("accepted", svc, None, None),
            row("state_changed", svc, Some("pending"), Some("running")),
            row("commit_requested", me, None, None),
            row("refused", me, None, None),
            row("cancel_requested", me, None, None),
            row("state_changed", svc, Some("running"), Some("stopped")),
        ],
        "{entries:?}"
    );
    assert!(
        entries[4]["message"]
            .as_str()
            .unwrap()
            .contains("not complete"),
        "{entries:?}"
    );

    // A removal committed through the API once its migration is done.
    let (_, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove)
            .insert_header(bearer())
            .set_json(json!({"bricks": [brick]}))
    );
    let id = job["id"].as_str().unwrap().to_owned();
    wait_for!(app, id, "awaiting_commit");
    let (s, _) = call!(
        app,
        TestRequest::post()
            .uri(&format!("{remove}/commit"))
            .insert_header(bearer())
    );
    assert_eq!(s, 200);
    let entries = timeline!(app, id);
    let got = kinds(&entries);
    assert_eq!(
        &got[got.len() - 3..],
        [
            row(
                "state_changed",
                svc,
                Some("running"),
                Some("awaiting_commit")
            ),
            row("commit_requested", me, None, None),
            row(
                "state_changed",
                svc,
                Some("awaiting_commit"),
                Some("succeeded")
            ),
        ],
        "{entries:?}"
    );
}

/// Runs the simulator as an operator would run the gluster CLI on node 1.
fn gluster_cli(env: &Env, args: &[&str]) {
    let out = std::process::Command::new(exe())
        .arg("gluster-sim")
        .arg("--state")
        .arg(env.sim_state())
        .args(["--task-secs", "1", "--node", "1", "--mode=script", "--xml"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[actix_web::test]
async fn what_the_service_decides_and_what_it_finds_are_on_the_timeline() {
    let env = env(0.8);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let svc = Some("service");

    // A task started with the gluster CLI is adopted.
    gluster_cli(&env, &["volume", "rebalance", "distrep", "start"]);
    let id = loop {
        let (_, jobs) = call!(app, TestRequest::get().uri("/api/v1/jobs?origin=cli"));
        if let Some(j) = jobs["items"].as_array().unwrap().first() {
            break j["id"].as_str().unwrap().to_owned();
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    wait_job!(app, id, "succeeded");
    let entries = timeline!(app, id);
    assert_eq!(
        kinds(&entries)[0],
        row("adopted", Some("gluster-cli"), None, None),
        "{entries:?}"
    );
    let changes: Vec<_> = kinds(&entries)
        .into_iter()
        .filter(|k| k.0 == "state_changed")
        .collect();
    assert_eq!(
        changes.last().unwrap().3.as_deref(),
        Some("succeeded"),
        "{entries:?}"
    );
    // The simulator skips a file per node: a warning says so.
    assert!(
        entries
            .iter()
            .any(|e| e["kind"] == "warning" && e["message"].as_str().unwrap().ends_with("skipped")),
        "{entries:?}"
    );

    // Files that fail to migrate: a warning, and auto-commit waits, saying why.
    env.knob("dist", "migration_failures", 2);
    let dist = volume!(app, "dist");
    let remove = format!(
        "/api/v1/volumes/{}/bricks/remove",
        dist["id"].as_str().unwrap()
    );
    let (_, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove)
            .set_json(json!({"bricks": [dist["bricks"][0]["name"]], "auto_commit": true}))
    );
    let id = job["id"].as_str().unwrap().to_owned();
    wait_job!(app, id, "awaiting_commit");
    let entries = wait_for_kind!(app, id, "auto_commit_waiting");
    let warning = entries
        .iter()
        .find(|e| e["kind"] == "warning")
        .expect("a warning");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("failed to migrate"),
        "{warning}"
    );
    let waiting = entries
        .iter()
        .find(|e| e["kind"] == "auto_commit_waiting")
        .unwrap();
    assert!(
        waiting["message"]
            .as_str()
            .unwrap()
            .contains("commit would lose them"),
        "{waiting}"
    );
    assert_eq!(waiting["actor"], "service");
    let (s, _) = call!(
        app,
        TestRequest::post().uri(&format!("/api/v1/jobs/{id}/cancel"))
    );
    assert_eq!(s, 200);

    // A clean migration is committed by the service itself.
    env.knob("dist", "migration_failures", 0);
    let dist = volume!(app, "dist");
    let (_, job) = call!(
        app,
        TestRequest::post()
            .uri(&remove)
            .set_json(json!({"bricks": [dist["bricks"][3]["name"]], "auto_commit": true}))
    );
    let id = job["id"].as_str().unwrap().to_owned();
    wait_job!(app, id, "succeeded");
    let got = kinds(&timeline!(app, id));
    assert_eq!(
        &got[got.len() - 3..],
        [
            row(
                "state_changed",
                svc,
                Some("running"),
                Some("awaiting_commit")
            ),
            row("auto_committed", svc, None, None),
            row(
                "state_changed",
                svc,
                Some("awaiting_commit"),
                Some("succeeded")
            ),
        ],
        "{got:?}"
    );
}
