//! What one cycle asks gluster and writes: the inventory refresh, one status call per active
//! task, completion, unchanged progress, and a job changed by the API mid-cycle.

use crate::{job, listed, report, running_job, world};
use domain::{JobStatus, StepStatus, TaskStatus};
use persistence::repo::jobs;
use scheduler::Clock;
use uuid::Uuid;

#[test]
fn first_cycle_refreshes_the_inventory_then_lists_tasks_once() {
    let mut w = world();
    let r = w.poller.run_cycle().unwrap();
    assert!(r.inventory_refreshed);
    assert_eq!(
        w.fake.take_calls(),
        ["pool list", "volume info", "volume status all tasks"]
    );
    // Within the inventory interval the next cycle is one call.
    w.clock.advance(5);
    w.poller.run_cycle().unwrap();
    assert_eq!(w.fake.take_calls(), ["volume status all tasks"]);
    w.clock.advance(60);
    w.poller.run_cycle().unwrap();
    assert_eq!(
        w.fake.take_calls(),
        ["pool list", "volume info", "volume status all tasks"]
    );
}

#[test]
fn a_cycle_makes_one_status_call_per_active_task_never_one_per_volume() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    w.fake.take_calls();
    let task = Uuid::new_v4();
    let id = running_job(&w, Some(task), JobStatus::Running);
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::InProgress)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::InProgress, 10)));
    w.clock.advance(2);
    let r = w.poller.run_cycle().unwrap();
    // The first poll of a job not sized yet reads the bricks' usage once.
    assert_eq!(
        w.fake.take_calls(),
        [
            "volume status all tasks",
            "volume rebalance dist status",
            "volume status dist detail"
        ]
    );
    assert_eq!((r.followed, r.running), (1, 1));
    let rec = job(&w, id);
    assert_eq!(rec.nodes[0].files, 10);
    assert_eq!(rec.job.polled_at, Some(w.clock.now()));
    w.clock.advance(2);
    w.poller.run_cycle().unwrap();
    assert_eq!(
        w.fake.take_calls(),
        ["volume status all tasks", "volume rebalance dist status"]
    );
}

#[test]
fn completion_ends_the_job_with_the_final_counters_and_then_stops_asking() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let task = Uuid::new_v4();
    let id = running_job(&w, Some(task), JobStatus::Running);
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::Completed)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::Completed, 77)));
    w.clock.advance(2);
    let done_at = w.clock.now();
    w.poller.run_cycle().unwrap();
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Succeeded);
    assert_eq!(rec.job.ended_at, Some(done_at));
    assert_eq!(rec.job.task_status, Some(TaskStatus::Completed));
    assert_eq!(rec.nodes[0].files, 77);
    assert!(rec.steps.iter().all(|s| s.status == StepStatus::Succeeded));
    // gluster keeps listing the completed task; it is settled, so no more status calls.
    w.fake.take_calls();
    w.clock.advance(2);
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(w.fake.take_calls(), ["volume status all tasks"]);
    assert_eq!((r.followed, r.running), (0, 0));
}

#[test]
fn unchanged_progress_writes_nothing_but_the_poll_time() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let task = Uuid::new_v4();
    let id = running_job(&w, Some(task), JobStatus::Running);
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::InProgress)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::InProgress, 10)));
    w.clock.advance(2);
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(r.changed, 1);
    let first = job(&w, id);
    w.clock.advance(2);
    let r = w.poller.run_cycle().unwrap();
    assert_eq!(r.changed, 0);
    let second = job(&w, id);
    assert_eq!(second.job.updated_at, first.job.updated_at);
    assert_eq!(second.job.polled_at, Some(w.clock.now()));
}

#[test]
fn a_job_stopped_while_the_poller_asks_gluster_stays_stopped() {
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let task = Uuid::new_v4();
    let id = running_job(&w, Some(task), JobStatus::Running);
    w.fake
        .set_tasks(Ok(listed("dist", task, TaskStatus::InProgress)));
    w.fake
        .set_report("dist", Ok(report(task, TaskStatus::InProgress, 10)));
    // The API stops the job while this cycle waits for gluster's answer.
    let (store, at) = (w.store.clone(), w.clock.now());
    *w.fake.during_status.lock().unwrap() = Some(Box::new(move || {
        store
            .write(|c| {
                let mut rec = jobs::get(c, id)?.unwrap();
                rec.job.transition(JobStatus::Stopped, at).unwrap();
                rec.job.task_status = Some(TaskStatus::Stopped);
                jobs::update(c, &rec.job)
            })
            .unwrap();
    }));
    w.poller.run_cycle().unwrap();
    let rec = job(&w, id);
    assert_eq!(
        rec.job.status,
        JobStatus::Stopped,
        "the poller's stale copy must not win"
    );
    assert_eq!(rec.job.task_status, Some(TaskStatus::Stopped));
}
