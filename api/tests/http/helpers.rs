//! This suite's environment (a simulated cluster with short tasks), its request macros and
//! the problem-document check.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test::{self};
use serde_json::Value;

use crate::common::{env as env_with, exe, Env};

/// How long a simulated task runs in these tests.
pub const TASK_SECS: f64 = 3.0;

pub fn env() -> Env {
    env_with(TASK_SECS)
}

/// Runs the simulator as an operator would run the gluster CLI on node 1.
pub fn gluster_cli(env: &Env, args: &[&str]) -> std::process::Output {
    std::process::Command::new(exe())
        .arg("gluster-sim")
        .arg("--state")
        .arg(env.sim_state())
        .args([
            "--task-secs",
            &TASK_SECS.to_string(),
            "--node",
            "1",
            "--mode=script",
            "--xml",
        ])
        .args(args)
        .output()
        .unwrap()
}

pub async fn body<B: actix_web::body::MessageBody>(resp: ServiceResponse<B>) -> Value {
    let bytes = test::read_body(resp).await;
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

macro_rules! app {
    ($env:expr) => {
        test::init_service(app::build(Some($env.state.clone())).0).await
    };
}

macro_rules! call {
    ($app:expr, $req:expr) => {{
        let resp = test::call_service(&$app, $req.to_request()).await;
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        (status, body(resp).await, ctype, location)
    }};
}

macro_rules! volume_id {
    ($app:expr, $name:expr) => {{
        let (_, v, _, _) = call!($app, TestRequest::get().uri("/api/v1/volumes"));
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == $name)
            .unwrap_or_else(|| panic!("no volume {}", $name))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }};
}

macro_rules! wait_job {
    ($app:expr, $id:expr, $want:expr) => {{
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, j, _, _) = call!(
                $app,
                TestRequest::get().uri(&format!("/api/v1/jobs/{}", $id))
            );
            if j["status"] == $want {
                break j;
            }
            assert!(Instant::now() < deadline, "job never became {}: {j}", $want);
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

pub fn assert_problem(status: StatusCode, ctype: &str, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(ctype, "application/problem+json");
    assert_eq!(body["status"], want.as_u16());
    assert_eq!(body["code"], code, "{body}");
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
}
