//! At the default `info` level the log tells a job's life: one line per state change with the
//! job, its kind and volume, from and to, the initiator and the reason; one per gluster refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::time::{Duration, Instant};

mod common;

use common::service::{Service, OPERATOR};

#[test]
fn state_changes_and_refusals_are_logged_at_info() {
    let svc = Service::start(1.0, &[("RUST_LOG", "info")]);
    let vol = svc.volume("dist");
    let start = format!("/api/v1/volumes/{}/rebalance", vol["id"].as_str().unwrap());
    let job = svc.request("POST", &start, Some(OPERATOR), "").json();
    let id = job["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while svc
        .get(&format!("/api/v1/jobs/{id}"), Some(OPERATOR))
        .json()["status"]
        != "succeeded"
    {
        assert!(Instant::now() < deadline, "the job never succeeded");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A stop where no rebalance ever ran: gluster refuses.
    let idle = svc.volume("distrep");
    let stop = format!(
        "/api/v1/volumes/{}/rebalance/stop",
        idle["id"].as_str().unwrap()
    );
    let refused = svc.request("POST", &stop, Some(OPERATOR), "");
    assert_eq!(refused.status, 409, "{:?}", refused.json());

    let log = svc.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(&format!("job {id} ")))
        .collect();
    let has = |what: &str| lines.iter().any(|l| l.contains(what));
    assert!(has("(rebalance on volume dist): created -> "), "{lines:#?}");
    assert!(has("-> succeeded; initiator ops"), "{lines:#?}");
    assert!(lines.iter().all(|l| l.contains(" INFO ")), "{lines:#?}");
    assert!(
        log.lines()
            .any(|l| l.contains("gluster refused the command")),
        "no refusal line: {log}"
    );
}
