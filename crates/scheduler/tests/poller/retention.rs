//! Housekeeping: ended jobs purged after the retention, and their tasks never re-adopted.

use crate::{job, listed, report, running_job, running_job_on_distrep, world_with};
use domain::{JobStatus, TaskStatus};
use persistence::repo::jobs;
use scheduler::PollSettings;
use std::time::Duration;
use uuid::Uuid;

#[test]
fn jobs_that_ended_longer_ago_than_the_retention_are_purged_and_their_task_never_comes_back() {
    let w = world_with(PollSettings {
        job_retention: Duration::from_secs(3600),
        ..PollSettings::default()
    });
    let mut w = w;
    w.poller.run_cycle().unwrap();
    let old_task = Uuid::new_v4();
    let ended = running_job(&w, Some(old_task), JobStatus::Stopped);
    let task = Uuid::new_v4();
    let running = running_job_on_distrep(&w, task);
    let cluster = w.cluster;
    let keeper = scheduler::Housekeeping::new(
        w.store.clone(),
        w.clock.clone(),
        Duration::from_secs(3600),
        vec![cluster],
    );
    // Within the retention: kept.
    w.clock.advance(1800);
    assert_eq!(keeper.run_once().unwrap().jobs, 0);
    assert!(w.store.read(|c| jobs::get(c, ended)).unwrap().is_some());
    // Past it: the ended job goes, the running one (far older by now) stays.
    w.clock.advance(1801);
    assert_eq!(keeper.run_once().unwrap().jobs, 1);
    assert!(w.store.read(|c| jobs::get(c, ended)).unwrap().is_none());
    assert_eq!(job(&w, running).job.status, JobStatus::Running);
    // Gluster still lists the purged job's task (it lists a volume's last task for months):
    // its tombstone keeps it from coming back as a new `cli` job, cycle after cycle.
    let mut tasks = listed("distrep", task, TaskStatus::InProgress);
    tasks.extend(listed("dist", old_task, TaskStatus::Stopped));
    w.fake.set_tasks(Ok(tasks));
    w.fake
        .set_report("distrep", Ok(report(task, TaskStatus::InProgress, 1)));
    for _ in 0..3 {
        let r = w.poller.run_cycle().unwrap();
        assert_eq!(r.adopted, 0);
        w.clock.advance(10);
    }
    assert!(w
        .store
        .read(|c| jobs::by_task_id(c, old_task))
        .unwrap()
        .is_none());
}

#[test]
fn a_long_purge_runs_in_batches_until_every_expired_job_is_gone() {
    let mut w = world_with(PollSettings::default());
    w.poller.run_cycle().unwrap();
    let tasks: Vec<Uuid> = (0..7).map(|_| Uuid::new_v4()).collect();
    let ended: Vec<Uuid> = tasks
        .iter()
        .map(|t| running_job(&w, Some(*t), JobStatus::Succeeded))
        .collect();
    let running = running_job_on_distrep(&w, Uuid::new_v4());
    // Batches of 3: 3 + 3 + 1, each its own transaction.
    let keeper = scheduler::Housekeeping::new(
        w.store.clone(),
        w.clock.clone(),
        Duration::from_secs(60),
        vec![w.cluster],
    )
    .with_batches(3, Duration::ZERO);
    w.clock.advance(120);
    assert_eq!(keeper.run_once().unwrap().jobs, 7);
    for id in ended {
        assert!(w.store.read(|c| jobs::get(c, id)).unwrap().is_none());
    }
    let known = w.store.read(|c| jobs::known_task_ids(c, &tasks)).unwrap();
    assert_eq!(
        known.len(),
        tasks.len(),
        "each purged task left a tombstone"
    );
    assert_eq!(job(&w, running).job.status, JobStatus::Running);
}
