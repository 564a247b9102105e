//! The TLS listener, end to end: the real binary (`serve --demo`) with a certificate made by
//! `openssl`, asked by `curl` — over HTTPS it answers, in plain HTTP it does not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[macro_use]
mod common;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(args)
        .output()
        .expect("curl is installed");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_service_answers_over_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .arg("/CN=localhost")
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(made.success());
    let port = common::free_port();
    let _server = Server(
        Command::new(common::exe())
            .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("GLUSTER_TASKS_DATA_DIR", dir.path().join("data"))
            .env("GLUSTER_TASKS_DEMO_TOKEN", "tls-test-token")
            .env("GLUSTER_TASKS_TLS_CERT", &cert)
            .env("GLUSTER_TASKS_TLS_KEY", &key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let https = format!("https://127.0.0.1:{port}");
    let cacert = cert.to_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !curl(&["-fsS", "--cacert", cacert, &format!("{https}/healthz")]).0 {
        assert!(Instant::now() < deadline, "no HTTPS answer within 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ok, body) = curl(&[
        "-fsS",
        "--cacert",
        cacert,
        "-H",
        "Authorization: Bearer tls-test-token",
        &format!("{https}/api/v1/clusters"),
    ]);
    assert!(ok && body.contains("\"name\":\"demo\""), "{body}");
    // Without the certificate's trust, or in plain HTTP, there is no answer.
    assert!(!curl(&["-fsS", &format!("{https}/healthz")]).0);
    assert!(!curl(&["-fsS", &format!("http://127.0.0.1:{port}/healthz")]).0);
}
