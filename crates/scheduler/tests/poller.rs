//! One poll cycle at a time, with an injected clock and a recording fake driver, asserting on
//! the CLI calls made and on what the database holds afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::{
    BrickName, Job, JobOrigin, JobStatus, NodeProgress, Peer, StepStatus, TaskKind, TaskParams,
    TaskStatus, VolumeLayout, VolumeName, VolumeStatus, VolumeType,
};
use gluster::{
    BrickInfo, DriverError, Gluster, GlusterTask, HealInfo, RebalanceOptions, TaskReport,
    VolumeInfo, VolumeTasks,
};
use persistence::repo::{clusters, jobs};
use persistence::Store;
use scheduler::{Clock, ClusterContext, ClusterPoller, PollSettings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, secs: i64) {
        let mut t = self.0.lock().unwrap();
        *t += Span::seconds(secs);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A driver that answers from fields the test sets and records every call.
struct FakeGluster {
    calls: Mutex<Vec<String>>,
    volumes: Mutex<Vec<VolumeInfo>>,
    tasks: Mutex<Result<Vec<VolumeTasks>, DriverError>>,
    reports: Mutex<HashMap<String, Result<TaskReport, DriverError>>>,
    /// Runs once inside the next status call: something else changing the job meanwhile.
    during_status: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Default for FakeGluster {
    fn default() -> Self {
        Self {
            calls: Mutex::default(),
            volumes: Mutex::default(),
            tasks: Mutex::new(Ok(Vec::new())),
            reports: Mutex::default(),
            during_status: Mutex::default(),
        }
    }
}

impl FakeGluster {
    fn record(&self, call: &str) {
        self.calls.lock().unwrap().push(call.to_owned());
    }
    fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
    fn set_tasks(&self, t: Result<Vec<VolumeTasks>, DriverError>) {
        *self.tasks.lock().unwrap() = t;
    }
    fn set_report(&self, vol: &str, r: Result<TaskReport, DriverError>) {
        self.reports.lock().unwrap().insert(vol.to_owned(), r);
    }
}

impl Gluster for FakeGluster {
    fn pool_list(&self) -> Result<Vec<Peer>, DriverError> {
        self.record("pool list");
        Ok(vec![Peer {
            id: Uuid::from_u128(1),
            hostname: "localhost".into(),
            connected: true,
        }])
    }
    fn volume_info(&self, volume: Option<&VolumeName>) -> Result<Vec<VolumeInfo>, DriverError> {
        self.record(format!("volume info {}", volume.map(|v| v.as_str()).unwrap_or("")).trim());
        Ok(self.volumes.lock().unwrap().clone())
    }
    fn status_all_tasks(&self) -> Result<Vec<VolumeTasks>, DriverError> {
        self.record("volume status all tasks");
        self.tasks.lock().unwrap().clone()
    }
    fn rebalance_start(
        &self,
        v: &VolumeName,
        _: RebalanceOptions,
    ) -> Result<Option<Uuid>, DriverError> {
        self.record(&format!("volume rebalance {v} start"));
        Ok(Some(Uuid::new_v4()))
    }
    fn rebalance_status(&self, v: &VolumeName) -> Result<TaskReport, DriverError> {
        self.record(&format!("volume rebalance {v} status"));
        if let Some(f) = self.during_status.lock().unwrap().take() {
            f();
        }
        self.reports
            .lock()
            .unwrap()
            .get(v.as_str())
            .cloned()
            .unwrap_or(Err(DriverError::Gluster {
                errno: 0,
                message: format!("Rebalance not started for volume {v}."),
            }))
    }
    fn rebalance_stop(&self, v: &VolumeName) -> Result<TaskReport, DriverError> {
        self.record(&format!("volume rebalance {v} stop"));
        self.rebalance_status(v)
    }
    fn remove_brick_start(
        &self,
        v: &VolumeName,
        b: &[BrickName],
    ) -> Result<Option<Uuid>, DriverError> {
        self.record(&format!("volume remove-brick {v} {} start", names(b)));
        Ok(Some(Uuid::new_v4()))
    }
    fn remove_brick_status(
        &self,
        v: &VolumeName,
        b: &[BrickName],
    ) -> Result<TaskReport, DriverError> {
        self.record(&format!("volume remove-brick {v} {} status", names(b)));
        self.reports
            .lock()
            .unwrap()
            .get(&format!("rb {v}"))
            .cloned()
            .unwrap_or(Err(DriverError::Gluster {
                errno: 30800,
                message: format!("remove-brick not started for volume {v}."),
            }))
    }
    fn remove_brick_stop(
        &self,
        v: &VolumeName,
        b: &[BrickName],
    ) -> Result<TaskReport, DriverError> {
        self.record(&format!("volume remove-brick {v} {} stop", names(b)));
        self.remove_brick_status(v, b)
    }
    fn remove_brick_commit(&self, v: &VolumeName, b: &[BrickName]) -> Result<(), DriverError> {
        self.record(&format!("volume remove-brick {v} {} commit", names(b)));
        Ok(())
    }
    fn remove_brick_force(
        &self,
        v: &VolumeName,
        b: &[BrickName],
        r: Option<u32>,
    ) -> Result<(), DriverError> {
        self.record(&format!("volume remove-brick {v} {r:?} {} force", names(b)));
        Ok(())
    }
    fn heal_info(&self, v: &VolumeName) -> Result<HealInfo, DriverError> {
        self.record(&format!("volume heal {v} info"));
        Ok(HealInfo::default())
    }
}

fn names(b: &[BrickName]) -> String {
    b.iter()
        .map(BrickName::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn info(name: &str, n: u128, bricks: usize) -> VolumeInfo {
    VolumeInfo {
        id: Uuid::from_u128(1000 + n),
        name: name.into(),
        vol_type: VolumeType::Distribute,
        status: VolumeStatus::Started,
        layout: VolumeLayout {
            brick_count: bricks as i32,
            distribute_count: bricks as i32,
            replica_count: 1,
            ..Default::default()
        },
        bricks: (0..bricks)
            .map(|i| BrickInfo {
                name: format!("server1:/b/{name}{i}"),
                peer_id: Some(Uuid::from_u128(1)),
                is_arbiter: false,
            })
            .collect(),
    }
}

fn node(status: TaskStatus, files: i64) -> NodeProgress {
    NodeProgress {
        peer_id: Uuid::from_u128(1),
        name: "localhost".into(),
        files,
        size_bytes: files * 100,
        scanned: files * 3,
        failures: 0,
        skipped: 1,
        status,
        runtime_secs: 4.5,
    }
}

fn report(task: Uuid, status: TaskStatus, files: i64) -> TaskReport {
    TaskReport {
        task_id: Some(task),
        nodes: vec![node(status, files)],
        status,
    }
}

fn listed(vol: &str, task: Uuid, status: TaskStatus) -> Vec<VolumeTasks> {
    vec![VolumeTasks {
        volume: vol.into(),
        tasks: vec![GlusterTask {
            kind: TaskKind::Rebalance,
            id: task,
            status,
            bricks: vec![],
        }],
    }]
}

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    clock: Arc<TestClock>,
    fake: Arc<FakeGluster>,
    poller: ClusterPoller,
    cluster: Uuid,
}

fn world() -> World {
    world_with(PollSettings {
        pending_timeout: Duration::from_secs(60),
        ..PollSettings::default()
    })
}

fn world_with(settings: PollSettings) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display()), 4).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
    )));
    let fake = Arc::new(FakeGluster::default());
    *fake.volumes.lock().unwrap() = vec![
        info("dist", 1, 4),
        info("distrep", 2, 6),
        info("single", 3, 1),
    ];
    fake.set_tasks(Ok(vec![]));
    let cluster = ClusterContext::new("c1", fake.clone());
    let poller = ClusterPoller::new(cluster.clone(), store.clone(), clock.clone(), settings);
    World {
        _dir: dir,
        store,
        clock,
        fake,
        poller,
        cluster: cluster.id,
    }
}

/// Writes a running API rebalance job for `distrep` (volume 2) tracking `task`.
fn running_job_on_distrep(w: &World, task: Uuid) -> Uuid {
    rebalance_job(w, (1002, "distrep"), Some(task), JobStatus::Running)
}

/// Writes a running API job for `dist` tracking `task`.
fn running_job(w: &World, task: Option<Uuid>, status: JobStatus) -> Uuid {
    rebalance_job(w, (1001, "dist"), task, status)
}

/// Writes an API rebalance job on volume `(id, name)` tracking `task`, in `status`.
fn rebalance_job(w: &World, volume: (u128, &str), task: Option<Uuid>, status: JobStatus) -> Uuid {
    let mut job = Job::new_pending(
        TaskKind::Rebalance,
        JobOrigin::Api,
        Uuid::from_u128(volume.0),
        volume.1,
        w.cluster,
        TaskParams::default(),
        w.clock.now(),
    );
    job.gluster_task_id = task;
    if status != JobStatus::Pending {
        job.transition(status, w.clock.now()).unwrap();
    }
    let steps = job.initial_steps();
    w.store.write(|c| jobs::insert(c, &job, &steps)).unwrap();
    job.id
}

/// gluster answers the status query of `dist` with a refusal saying `message`.
fn refuse_status(w: &World, message: &str) {
    w.fake.set_report(
        "dist",
        Err(DriverError::Gluster {
            errno: 30800,
            message: message.into(),
        }),
    );
}

fn job(w: &World, id: Uuid) -> persistence::JobRecord {
    w.store.read(|c| jobs::get(c, id)).unwrap().unwrap()
}

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
    assert_eq!(
        w.fake.take_calls(),
        ["volume status all tasks", "volume rebalance dist status"]
    );
    assert_eq!((r.followed, r.running), (1, 1));
    let rec = job(&w, id);
    assert_eq!(rec.nodes[0].files, 10);
    assert_eq!(rec.job.polled_at, Some(w.clock.now()));
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

fn removal_job(w: &World, brick: &str) -> Uuid {
    let mut job = Job::new_pending(
        TaskKind::RemoveBrick,
        JobOrigin::Api,
        Uuid::from_u128(1001),
        "dist",
        w.cluster,
        TaskParams {
            bricks: vec![brick.into()],
            migrate_data: true,
            ..TaskParams::default()
        },
        w.clock.now(),
    );
    job.gluster_task_id = Some(Uuid::new_v4());
    job.transition(JobStatus::AwaitingCommit, w.clock.now())
        .unwrap();
    let steps = job.initial_steps();
    w.store.write(|c| jobs::insert(c, &job, &steps)).unwrap();
    job.id
}

#[test]
fn a_removal_finished_with_the_cli_ends_as_the_volume_shows() {
    // Committed with the CLI: the brick left the volume → succeeded.
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = removal_job(&w, "server1:/b/dist3");
    w.fake.volumes.lock().unwrap()[0].bricks.pop();
    w.fake.set_tasks(Ok(vec![]));
    for _ in 0..3 {
        w.poller.run_cycle().unwrap();
    }
    let rec = job(&w, id);
    assert_eq!(rec.job.status, JobStatus::Succeeded, "{:?}", rec.job.reason);
    assert!(rec.job.reason.unwrap().contains("committed outside"));

    // Stopped with the CLI: the brick is still there → stopped.
    let mut w = world();
    w.poller.run_cycle().unwrap();
    let id = removal_job(&w, "server1:/b/dist3");
    w.fake.set_tasks(Ok(vec![]));
    for _ in 0..3 {
        w.poller.run_cycle().unwrap();
    }
    assert_eq!(job(&w, id).job.status, JobStatus::Stopped);
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
