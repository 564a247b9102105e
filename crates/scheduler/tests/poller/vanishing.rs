//! Tasks that disappear from gluster's list: stopped elsewhere, forgotten, or unknown after
//! the miss count and grace period.

use crate::{job, refuse_status, report, running_job, world, world_with};
use domain::{JobOrigin, JobStatus, TaskStatus};
use gluster::DriverError;
use scheduler::PollSettings;
use std::time::Duration;
use uuid::Uuid;

#[test]
fn a_task_stopped_elsewhere_vanishes_from_the_list_and_its_status_says_stopped() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let task = Uuid::new_v4();
    let id = running_job(&w, Some(task), JobStatus::Running);
    w.fake.set_tasks(Ok(vec![]));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::Stopped, 12)));
    w.poller.run_cycle().unwrap();
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Stopped);
    assert_eq!(rec.nodes[0].files, 12);
}

#[test]
fn a_task_nobody_knows_any_more_becomes_unknown_only_after_several_misses_and_the_grace_period() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, Some(Uuid::new_v4()), JobStatus::Running);
    w.fake.set_tasks(Ok(vec![]));
    // An answer that is not gluster's "not started": nothing says how the task ended.
    refuse_status(&w, "Commit failed on 192.0.2.13");
    // Many misses within the grace period (10 minutes by default): still running.
    for _ in 0..5 {
        w.poller.run_cycle().unwrap();
        assert_eq!(job(&w, id).job.status, JobStatus::Running);
    }
    w.clock.advance(599);
    w.poller.run_cycle().unwrap();
    assert_eq!(job(&w, id).job.status, JobStatus::Running);
    // The task shows up again: the count starts over.
    let task = job(&w, id).job.gluster_task_id.unwrap();
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::InProgress, 4)));
    w.poller.run_cycle().unwrap();
    refuse_status(&w, "Commit failed on 192.0.2.13");
    w.poller.run_cycle().unwrap();
    w.clock.advance(300);
    w.poller.run_cycle().unwrap();
    assert_eq!(
        job(&w, id).job.status,
        JobStatus::Running,
        "grace restarted"
    );
    w.clock.advance(300);
    w.poller.run_cycle().unwrap();
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Unknown);
    let reason = rec.job.reason.unwrap();
    assert!(reason.contains("no longer reports"), "{reason}");
    assert!(reason.contains("Commit failed on 192.0.2.13"), "{reason}");
}

#[test]
fn the_miss_count_and_grace_period_are_settings() {
    let mut w = world_with(PollSettings {
        vanish_misses: 2,
        vanish_grace: Duration::from_secs(5),
        ..PollSettings::default()
    });
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, Some(Uuid::new_v4()), JobStatus::Running);
    w.fake.set_tasks(Ok(vec![]));
    refuse_status(&w, "Volume dist does not exist");
    w.poller.run_cycle().unwrap();
    w.clock.advance(5);
    assert_eq!(job(&w, id).job.status, JobStatus::Running);
    w.poller.run_cycle().unwrap();
    assert_eq!(job(&w, id).job.status, JobStatus::Unknown);
}

#[test]
fn a_rebalance_stopped_with_the_cli_ends_stopped_once_gluster_says_not_started() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, Some(Uuid::new_v4()), JobStatus::Running);
    // gluster 10.3 forgets a stopped rebalance: not listed, and "Rebalance not started".
    w.fake.set_tasks(Ok(vec![]));
    for _ in 0..2 {
        w.poller.run_cycle().unwrap();
        assert_eq!(
            job(&w, id).job.status,
            JobStatus::Running,
            "one answer is not enough"
        );
    }
    w.poller.run_cycle().unwrap();
    let rec = job(&w, id);
    assert_eq!(
        (rec.job.status, rec.job.origin),
        (JobStatus::Stopped, JobOrigin::Api)
    );
    assert!(rec
        .job
        .reason
        .unwrap()
        .contains("stopped outside this service"));
    assert!(rec.job.ended_at.is_some());
}

#[test]
fn a_failed_query_is_never_counted_as_a_miss() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, Some(Uuid::new_v4()), JobStatus::Running);
    w.fake.set_tasks(Ok(vec![]));
    w.fake.set_report(
        "dist",
        Err(DriverError::Timeout {
            host: "h".into(),
            after: Duration::from_secs(1),
        }),
    );
    for _ in 0..5 {
        assert_eq!(w.poller.run_cycle().unwrap().errors, 1);
        w.clock.advance(600);
    }
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Running);
    assert!(rec.job.stale_since.is_some());
}

#[test]
fn a_refusal_to_retry_is_a_failed_query_not_a_miss() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, Some(Uuid::new_v4()), JobStatus::Running);
    w.fake.set_tasks(Ok(vec![]));
    // glusterd's lock stayed taken through the driver's retries: the question went unanswered.
    w.fake.set_report(
        "dist",
        Err(DriverError::Gluster {
            errno: 30802,
            message:
                "Another transaction is in progress for dist. Please try again after some time."
                    .into(),
        }),
    );
    for _ in 0..5 {
        assert_eq!(w.poller.run_cycle().unwrap().errors, 1);
        w.clock.advance(600);
    }
    let rec = job(&w, id);
    assert_eq!(
        (rec.job.status, rec.job.tracking.misses),
        (JobStatus::Running, 0)
    );
    assert!(rec.job.stale_since.is_some());
}
