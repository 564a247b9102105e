//! Failing cycles and unreadable replies: staleness, the cluster's error count, and backoff.

use crate::{job, listed, report, running_job, running_job_on_distrep, world};
use domain::{JobStatus, TaskStatus};
use gluster::DriverError;
use persistence::repo::clusters;
use scheduler::{Clock, PollSettings};
use std::time::Duration;
use uuid::Uuid;

#[test]
fn a_failing_cycle_keeps_every_job_as_it_was_marked_stale_and_counts_on_the_cluster() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let task = Uuid::new_v4();
    let id = running_job(&w, Some(task), JobStatus::Running);
    let before = job(&w, id);
    w.fake.set_tasks(Err(DriverError::Transport {
        host: "h".into(),
        message: "Connection failed".into(),
    }));
    let failed_at = w.clock.now();
    assert!(w.poller.run_cycle().is_err());
    w.clock.advance(10);
    assert!(w.poller.run_cycle().is_err());
    let c = &w.store.read(clusters::list).unwrap()[0];
    assert!(c
        .last_error
        .as_deref()
        .unwrap()
        .contains("Connection failed"));
    assert_eq!(c.failed_polls, 2);
    let during = job(&w, id);
    assert_eq!(
        during.job.stale_since,
        Some(failed_at),
        "stale since the first failure"
    );
    assert_eq!(
        (
            during.job.status,
            during.job.task_status,
            during.nodes.clone()
        ),
        (
            before.job.status,
            before.job.task_status,
            before.nodes.clone()
        )
    );
    // Recovery clears the error, the count and the staleness.
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::InProgress)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::InProgress, 3)));
    w.poller.run_cycle().unwrap();
    let c = &w.store.read(clusters::list).unwrap()[0];
    assert_eq!((c.last_error.as_deref(), c.failed_polls), (None, 0));
    assert_eq!(job(&w, id).job.stale_since, None);
}

#[test]
fn an_unreadable_status_reply_leaves_that_job_stale_and_the_others_followed() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let (t1, t2) = (Uuid::new_v4(), Uuid::new_v4());
    let broken = running_job(&w, Some(t1), JobStatus::Running);
    let fine = running_job_on_distrep(&w, t2);
    let mut tasks = listed("dist", t1, TaskStatus::InProgress);
    tasks.extend(listed("distrep", t2, TaskStatus::InProgress));
    w.fake.set_tasks(Ok(tasks));
    w.fake.set_report(
        "dist",
        Err(DriverError::Parse(gluster::ParseError::UnknownStatus(42))),
    );
    w.fake
        .set_report("distrep", Ok(report(t2, TaskStatus::Completed, 9)));
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(r.errors, 1);
    let b = job(&w, broken);
    assert_eq!(b.job.status, JobStatus::Running);
    assert!(b.job.stale_since.is_some());
    let f = job(&w, fine);
    assert_eq!(f.job.status, JobStatus::Succeeded);
    assert_eq!(f.nodes[0].files, 9);
    assert_eq!(f.job.stale_since, None);
}

#[test]
fn backoff_doubles_up_to_the_limit() {
    let s = PollSettings {
        active_interval: Duration::from_secs(2),
        max_backoff: Duration::from_secs(30),
        ..PollSettings::default()
    };
    let waits: Vec<u64> = (1..=6)
        .map(|n| scheduler::poll::backoff(s, n).as_secs())
        .collect();
    assert_eq!(waits, [4, 8, 16, 30, 30, 30]);
}
