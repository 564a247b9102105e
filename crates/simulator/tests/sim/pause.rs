//! Knobs `pause_secs` and `paused`: a node's row stands still (counters and runtime), still
//! "in progress", then resumes where it was and completes, later by the pause.

use crate::knobs::{edit, refused, B4};
use crate::structure::Sim;
use crate::usage::follow;
use domain::{NodeProgress, TaskStatus};
use gluster::parse;
use serde_json::Value;
use std::time::Duration;

fn state(s: &Sim) -> Value {
    serde_json::from_slice(&std::fs::read(&s.opts.state).unwrap()).unwrap()
}

fn row(s: &Sim, status: &str, name: &str) -> NodeProgress {
    let r = s.run(status);
    let report = if status.contains("remove-brick") {
        parse::remove_brick_report(&r.stdout)
    } else {
        parse::rebalance_report(&r.stdout)
    }
    .unwrap();
    report.nodes.into_iter().find(|n| n.name == name).unwrap()
}

/// Waits until node `name`'s row has scanned something.
fn wait_started(s: &Sim, status: &str, name: &str) {
    for _ in 0..500 {
        if row(s, status, name).scanned > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{name} never started");
}

#[test]
fn a_timed_pause_freezes_the_row_then_it_resumes_and_completes() {
    let s = Sim::new(1.0);
    let status = "volume rebalance dist status";
    s.run("volume rebalance dist start");
    wait_started(&s, status, "server2");
    edit(&s, |st| st["peers"][1]["pause_secs"] = 1.5.into());
    let at_pause = row(&s, status, "server2");
    assert_eq!(at_pause.status, TaskStatus::InProgress);
    assert_eq!(state(&s)["peers"][1]["pause_secs"], 0.0, "consumed");
    std::thread::sleep(Duration::from_millis(500));
    let paused = row(&s, status, "server2");
    assert_eq!(paused, at_pause, "counters and runtime stand still");
    // The other nodes go on.
    let local = row(&s, status, "localhost");
    assert!(local.runtime_secs > at_pause.runtime_secs);

    let done = follow(&s, status, |_| {});
    assert_eq!(done.status, TaskStatus::Completed);
    let node = done.nodes.iter().find(|n| n.name == "server2").unwrap();
    assert_eq!(
        (node.scanned, node.files),
        (1400, 250),
        "it finished its work"
    );
    let task = &state(&s)["volumes"][0]["rebalance"];
    let plan = task["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["peer"] == 1)
        .unwrap();
    let secs = plan["secs"].as_f64().unwrap();
    assert!(
        (node.runtime_secs - secs).abs() < 0.01,
        "its runtime leaves the pause out: {} vs {secs}",
        node.runtime_secs
    );
    let pause = &task["pauses"][0];
    let length = pause["until"].as_f64().unwrap() - pause["from"].as_f64().unwrap();
    assert!((length - 1.5).abs() < 1e-9);
    // Only that task paused; the next one runs at once.
    s.run("volume rebalance dist start");
    assert!(state(&s)["volumes"][0]["rebalance"]["pauses"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_pause_until_cleared_holds_the_row_and_the_task_in_progress() {
    let s = Sim::new(0.6);
    let status = format!("volume remove-brick dist {B4} status");
    s.run(&format!("volume remove-brick dist {B4} start"));
    wait_started(&s, &status, "localhost");
    edit(&s, |st| st["peers"][0]["paused"] = true.into());
    let at_pause = row(&s, &status, "localhost");
    std::thread::sleep(Duration::from_millis(700));
    let held = row(&s, &status, "localhost");
    assert_eq!(held, at_pause);
    assert_eq!(held.status, TaskStatus::InProgress);
    assert!(held.files < 400);
    refused(
        &s.run(&format!("volume remove-brick dist {B4} commit")),
        "use 'force' option as migration is in progress",
    );
    edit(&s, |st| st["peers"][0]["paused"] = false.into());
    let done = follow(&s, &status, |_| {});
    assert_eq!(done.status, TaskStatus::Completed);
    assert_eq!((done.nodes[0].files, done.nodes[0].scanned), (400, 400));
    assert!((done.nodes[0].runtime_secs - 0.6).abs() < 0.01);
    assert_eq!(
        s.run(&format!("volume remove-brick dist {B4} commit")).code,
        0
    );
}
