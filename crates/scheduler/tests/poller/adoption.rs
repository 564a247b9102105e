//! Tasks the service did not start (adopted as `cli` jobs) and pending jobs waiting for
//! their gluster task.

use crate::{job, listed, report, running_job, world};
use domain::{JobOrigin, JobStatus, TaskStatus};
use persistence::repo::jobs;
use uuid::Uuid;

#[test]
fn a_task_started_with_the_cli_is_adopted_as_a_cli_job() {
    let mut w = world();
    let task = Uuid::new_v4();
    w.fake
        .set_tasks(Ok(listed("distrep", task, TaskStatus::InProgress)));
    w.fake
        .set_report("distrep", Ok(report(task, TaskStatus::InProgress, 5)));
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(r.adopted, 1);
    let rec = w
        .store
        .read(|c| jobs::by_task_id(c, task))
        .unwrap()
        .unwrap();
    assert_eq!(
        (rec.job.origin, rec.job.status, rec.job.volume_name.as_str()),
        (JobOrigin::Cli, JobStatus::Running, "distrep")
    );
    assert_eq!(rec.nodes.len(), 1);
    // Adopted once only.
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(r.adopted, 0);
}

#[test]
fn a_pending_job_gets_the_task_gluster_lists_for_its_volume() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, None, JobStatus::Pending);
    let task = Uuid::new_v4();
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::InProgress)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::InProgress, 1)));
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(r.adopted, 0, "attached, not adopted twice");
    let rec = job(&w, id);
    assert_eq!(
        (rec.job.gluster_task_id, rec.job.status),
        (Some(task), JobStatus::Running)
    );
}

#[test]
fn a_pending_job_whose_task_never_appears_fails_after_the_timeout() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = running_job(&w, None, JobStatus::Pending);
    w.clock.advance(30);
    w.poller.run_cycle().unwrap();
    assert_eq!(job(&w, id).job.status, JobStatus::Pending);
    w.clock.advance(31);
    w.poller.run_cycle().unwrap();
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Failed);
    assert!(rec.job.reason.unwrap().contains("never reached gluster"));
}

#[test]
fn an_adopted_fix_layout_is_recognised_from_its_status_reply() {
    let mut w = world();
    let task = Uuid::new_v4();
    // The task list says "Rebalance, in progress"; only the status reply says fix-layout.
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::InProgress)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::FixLayoutInProgress, 0)));
    w.poller.run_cycle().unwrap();
    let rec = w
        .store
        .read(|c| jobs::by_task_id(c, task))
        .unwrap()
        .unwrap();
    assert!(rec.job.params.fix_layout);
    assert_eq!(
        (rec.job.status, rec.job.task_status),
        (JobStatus::Running, Some(TaskStatus::FixLayoutInProgress))
    );
}
