//! Knobs `stuck_tasks` (a node's row stays "in progress" with frozen counters) and
//! `start_delay_ms`/`start_holds_lock` (a slow start, during which the previous task is still
//! listed).

use crate::knobs::{accepted, dist_task, edit, like, like_listing, refused, B4};
use crate::structure::{same_shape, Sim};
use domain::{TaskKind, TaskStatus};
use gluster::parse;
use std::time::{Duration, Instant};

fn node<'a>(r: &'a gluster::TaskReport, name: &str) -> &'a domain::NodeProgress {
    r.nodes.iter().find(|n| n.name == name).unwrap()
}

#[test]
fn a_stuck_node_stays_in_progress_at_zero_forever() {
    let s = Sim::new(0.3);
    edit(&s, |st| st["peers"][1]["stuck_tasks"] = true.into());
    let id = parse::rebalance_started(&s.run("volume rebalance dist start").stdout)
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let status = s.run("volume rebalance dist status");
    same_shape("rebalance-status-in-progress.xml", &status);
    let first = parse::rebalance_report(&status.stdout).unwrap();
    assert_eq!(first.status, TaskStatus::InProgress);
    let stuck = node(&first, "server2");
    assert_eq!(
        (stuck.status, stuck.files, stuck.scanned),
        (TaskStatus::InProgress, 0, 0)
    );
    assert!(status.stdout.contains("<runtime>0.00</runtime>"));
    assert_eq!(node(&first, "localhost").status, TaskStatus::Completed);
    assert_eq!(node(&first, "server3").status, TaskStatus::Completed);
    assert_eq!(
        dist_task(&s),
        Some((TaskKind::Rebalance, id, TaskStatus::InProgress))
    );
    refused(
        &s.run("volume rebalance dist start"),
        "Rebalance on dist is already started",
    );
    // Clearing the knob does not revive the row; a stop ends the task as usual.
    edit(&s, |st| st["peers"][1]["stuck_tasks"] = false.into());
    std::thread::sleep(Duration::from_millis(100));
    let later = parse::rebalance_report(&s.run("volume rebalance dist status").stdout).unwrap();
    assert_eq!(node(&later, "server2"), stuck);
    let stop = parse::rebalance_report(&s.run("volume rebalance dist stop").stdout).unwrap();
    assert_eq!(node(&stop, "server2").status, TaskStatus::Stopped);
    assert_eq!(dist_task(&s), None);
}

#[test]
fn a_node_that_gets_stuck_mid_task_keeps_the_counters_it_had() {
    let s = Sim::new(0.6);
    s.run(&format!("volume remove-brick dist {B4} start"));
    std::thread::sleep(Duration::from_millis(200));
    edit(&s, |st| st["peers"][0]["stuck_tasks"] = true.into());
    let status = format!("volume remove-brick dist {B4} status");
    let then = parse::remove_brick_report(&s.run(&status).stdout).unwrap();
    assert!(then.nodes[0].files > 0);
    std::thread::sleep(Duration::from_millis(600));
    let now = parse::remove_brick_report(&s.run(&status).stdout).unwrap();
    assert_eq!(now.nodes[0], then.nodes[0], "frozen");
    assert_eq!(now.status, TaskStatus::InProgress);
    assert!(now.nodes[0].runtime_secs >= 0.2 && now.nodes[0].runtime_secs < 0.6);
    refused(
        &s.run(&format!("volume remove-brick dist {B4} commit")),
        "use 'force' option as migration is in progress",
    );
}

#[test]
fn a_slow_start_answers_late_while_the_old_task_is_still_listed() {
    let s = Sim::new(0.2);
    let old = parse::rebalance_started(&s.run("volume rebalance dist start").stdout)
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // A completed rebalance stays listed.
    assert_eq!(
        dist_task(&s),
        Some((TaskKind::Rebalance, old, TaskStatus::Completed))
    );
    like_listing(
        "status-all-tasks-completed-rebalance.xml",
        &s.run("volume status all tasks"),
    );
    edit(&s, |st| st["volumes"][0]["start_delay_ms"] = 700.into());
    let opts = s.opts.clone();
    let began = Instant::now();
    let slow = std::thread::spawn(move || {
        let args: Vec<String> = [
            "--mode=script",
            "--xml",
            "volume",
            "rebalance",
            "dist",
            "start",
        ]
        .map(String::from)
        .to_vec();
        (simulator::run(&opts, &args), began.elapsed())
    });
    std::thread::sleep(Duration::from_millis(150));
    let asked = Instant::now();
    assert_eq!(
        dist_task(&s),
        Some((TaskKind::Rebalance, old, TaskStatus::Completed)),
        "meanwhile the old task is listed"
    );
    let report = parse::rebalance_report(&s.run("volume rebalance dist status").stdout).unwrap();
    assert_eq!(report.task_id, Some(old));
    assert!(asked.elapsed() < Duration::from_millis(400), "not blocked");
    let (reply, took) = slow.join().unwrap();
    accepted(&reply, "");
    like(
        "rebalance-start-after-completed.xml",
        "rebalance-start.xml",
        &reply,
    );
    assert!(took >= Duration::from_millis(700), "{took:?}");
    let new = parse::rebalance_started(&reply.stdout).unwrap().unwrap();
    assert_ne!(new, old);
    assert_eq!(dist_task(&s).map(|t| t.1), Some(new));
    like_listing(
        "status-all-tasks-rebalance-restarted.xml",
        &s.run("volume status all tasks"),
    );
    // A refusal answers at once.
    let asked = Instant::now();
    refused(
        &s.run("volume rebalance dist start"),
        "Rebalance on dist is already started",
    );
    assert!(asked.elapsed() < Duration::from_millis(400));
    // remove-brick start waits too.
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    accepted(
        &s.run(&format!("volume remove-brick dist {B4} start")),
        "Remove Brick start successful",
    );
    assert!(asked.elapsed() >= Duration::from_millis(700));
}

#[test]
fn a_slow_start_that_holds_the_lock_makes_the_other_commands_wait() {
    let s = Sim::new(30.0);
    edit(&s, |st| {
        st["volumes"][0]["start_delay_ms"] = 500.into();
        st["volumes"][0]["start_holds_lock"] = true.into();
    });
    let opts = s.opts.clone();
    let slow = std::thread::spawn(move || {
        let args: Vec<String> = [
            "--mode=script",
            "--xml",
            "volume",
            "rebalance",
            "dist",
            "start",
        ]
        .map(String::from)
        .to_vec();
        simulator::run(&opts, &args)
    });
    std::thread::sleep(Duration::from_millis(100));
    let asked = Instant::now();
    let listed = dist_task(&s);
    assert!(asked.elapsed() >= Duration::from_millis(300), "it waited");
    let started = slow.join().unwrap();
    let id = parse::rebalance_started(&started.stdout).unwrap().unwrap();
    assert_eq!(
        listed,
        Some((TaskKind::Rebalance, id, TaskStatus::InProgress)),
        "then it shows the new task"
    );
}
