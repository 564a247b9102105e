//! The generated client against the real service: starts `gluster-tasks serve --demo` and
//! drives it only through the SDK.
//!
//! The binary is not built by this test (an artifact dependency would need unstable cargo).
//! Build it first with `cargo build -j 1 -p gluster-tasks`; the test finds it at
//! `$GLUSTER_TASKS_BIN`, else `$CARGO_TARGET_DIR/debug/gluster-tasks`, else
//! `<workspace>/target/debug/gluster-tasks`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gluster_tasks_client::{types, Error};

const TOKEN: &str = "client-sdk-test-token";

/// The running service; killed (and its data directory removed) when dropped.
struct Service {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let path = match std::env::var_os("GLUSTER_TASKS_BIN") {
        Some(p) => PathBuf::from(p),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
            target.join("debug/gluster-tasks")
        }
    };
    assert!(
        path.is_file(),
        "service binary not found at {}: build it with `cargo build -j 1 -p gluster-tasks` \
         (same CARGO_TARGET_DIR) or point GLUSTER_TASKS_BIN at it",
        path.display()
    );
    path
}

async fn start() -> Service {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(binary())
        .env("GLUSTER_TASKS_DEMO_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .args(["serve", "--demo", "--demo-task-secs", "3", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let service = Service {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _data: data,
    };
    // healthz is unauthenticated: poll it, through the SDK, until the server answers.
    let open = gluster_tasks_client::client(&service.base, None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(h) = open.healthz().send().await {
            assert_eq!(h.status(), 200);
            return service;
        }
        assert!(
            Instant::now() < deadline,
            "service did not answer /healthz within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn demo_through_the_generated_client() {
    let service = start().await;
    let api = gluster_tasks_client::client(&service.base, Some(TOKEN)).unwrap();

    let me = api.whoami().send().await.unwrap().into_inner();
    assert_eq!(me.role, types::CallerRole::Operator);

    let volumes = api.list_volumes().send().await.unwrap().into_inner();
    let by_name = |name: &str| {
        volumes
            .items
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("no volume {name}"))
    };
    let dist = by_name("dist");
    assert_eq!(dist.brick_count, 4);

    let started = api
        .start_rebalance()
        .volume_id(dist.id)
        .body(Some(types::RebalanceRequest {
            fix_layout: None,
            force: None,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let job = started.into_inner();
    assert_eq!(job.volume_id, dist.id);
    assert_eq!(job.kind, types::TaskKind::Rebalance);

    let fetched = api
        .get_job()
        .job_id(job.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.id, job.id);

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut status = fetched.status;
    while status != types::JobStatus::Succeeded {
        assert!(
            !matches!(status, types::JobStatus::Failed | types::JobStatus::Stopped),
            "job ended {status:?}"
        );
        assert!(Instant::now() < deadline, "job still {status:?} after 60 s");
        status = api
            .get_job()
            .job_id(job.id)
            .wait(5)
            .send()
            .await
            .unwrap()
            .into_inner()
            .status;
    }

    let listed = api
        .list_jobs()
        .volume_id(dist.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(listed.items.iter().any(|j| j.id == job.id));
    assert!(listed.items.iter().all(|j| j.volume_id == dist.id));

    // A single-brick volume has nothing to rebalance: a 422 problem, typed.
    let single = by_name("single");
    let refused = api
        .start_rebalance()
        .volume_id(single.id)
        .body(Some(types::RebalanceRequest {
            fix_layout: None,
            force: None,
        }))
        .send()
        .await
        .unwrap_err();
    match refused {
        Error::ErrorResponse(problem) => {
            assert_eq!(problem.status(), 422);
            assert_eq!(problem.status, 422);
            assert!(!problem.detail.is_empty(), "{problem:?}");
            assert!(!problem.code.is_empty(), "{problem:?}");
        }
        other => panic!("expected a 422 problem, got {other:?}"),
    }

    // Without a token: 401, also a typed problem.
    let anonymous = gluster_tasks_client::client(&service.base, None).unwrap();
    match anonymous.list_volumes().send().await.unwrap_err() {
        Error::ErrorResponse(problem) => {
            assert_eq!(problem.status(), 401);
            assert_eq!(problem.code, "unauthorized");
        }
        other => panic!("expected a 401 problem, got {other:?}"),
    }
}
