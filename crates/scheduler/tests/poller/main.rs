//! One poll cycle at a time, with an injected clock and a recording fake driver, asserting on
//! the CLI calls made and on what the database holds afterwards.
//!
//! This file holds the shared world (clock, fake driver, job helpers); the tests live in the
//! topic modules below.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::{
    BrickName, Job, JobOrigin, JobStatus, NodeProgress, Peer, TaskKind, TaskParams, TaskStatus,
    VolumeLayout, VolumeName, VolumeStatus, VolumeType,
};
use gluster::{
    BrickInfo, DriverError, Gluster, GlusterTask, HealInfo, RebalanceOptions, TaskReport,
    VolumeInfo, VolumeTasks,
};
use persistence::repo::jobs;
use persistence::Store;
use scheduler::{Clock, ClusterContext, ClusterPoller, PollSettings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

mod adoption;
mod cycle_calls;
mod failures;
mod removal;
mod retention;
mod runtime;
mod vanishing;

#[derive(Debug)]
pub(crate) struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub(crate) fn advance(&self, secs: i64) {
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
pub(crate) struct FakeGluster {
    calls: Mutex<Vec<String>>,
    pub(crate) volumes: Mutex<Vec<VolumeInfo>>,
    tasks: Mutex<Result<Vec<VolumeTasks>, DriverError>>,
    reports: Mutex<HashMap<String, Result<TaskReport, DriverError>>>,
    /// Runs once inside the next status call: something else changing the job meanwhile.
    pub(crate) during_status: Mutex<Option<Box<dyn FnOnce() + Send>>>,
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
    pub(crate) fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
    pub(crate) fn set_tasks(&self, t: Result<Vec<VolumeTasks>, DriverError>) {
        *self.tasks.lock().unwrap() = t;
    }
    pub(crate) fn set_report(&self, vol: &str, r: Result<TaskReport, DriverError>) {
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
    fn volume_usage(&self, v: &VolumeName) -> Result<Vec<domain::BrickUsage>, DriverError> {
        self.record(&format!("volume status {v} detail"));
        Ok(Vec::new())
    }
}

fn names(b: &[BrickName]) -> String {
    b.iter()
        .map(BrickName::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn info(name: &str, n: u128, bricks: usize) -> VolumeInfo {
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

pub(crate) fn node(status: TaskStatus, files: i64) -> NodeProgress {
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

pub(crate) fn report(task: Uuid, status: TaskStatus, files: i64) -> TaskReport {
    TaskReport {
        task_id: Some(task),
        nodes: vec![node(status, files)],
        status,
    }
}

pub(crate) fn listed(vol: &str, task: Uuid, status: TaskStatus) -> Vec<VolumeTasks> {
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

pub(crate) struct World {
    _dir: tempfile::TempDir,
    pub(crate) store: Store,
    pub(crate) clock: Arc<TestClock>,
    pub(crate) fake: Arc<FakeGluster>,
    pub(crate) poller: ClusterPoller,
    pub(crate) cluster: Uuid,
}

pub(crate) fn world() -> World {
    world_with(PollSettings {
        pending_timeout: Duration::from_secs(60),
        ..PollSettings::default()
    })
}

pub(crate) fn world_with(settings: PollSettings) -> World {
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
pub(crate) fn running_job_on_distrep(w: &World, task: Uuid) -> Uuid {
    rebalance_job(w, (1002, "distrep"), Some(task), JobStatus::Running)
}

/// Writes a running API job for `dist` tracking `task`.
pub(crate) fn running_job(w: &World, task: Option<Uuid>, status: JobStatus) -> Uuid {
    rebalance_job(w, (1001, "dist"), task, status)
}

/// Writes an API rebalance job on volume `(id, name)` tracking `task`, in `status`.
pub(crate) fn rebalance_job(
    w: &World,
    volume: (u128, &str),
    task: Option<Uuid>,
    status: JobStatus,
) -> Uuid {
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
pub(crate) fn refuse_status(w: &World, message: &str) {
    w.fake.set_report(
        "dist",
        Err(DriverError::Gluster {
            errno: 30800,
            message: message.into(),
        }),
    );
}

pub(crate) fn job(w: &World, id: Uuid) -> persistence::JobRecord {
    w.store.read(|c| jobs::get(c, id)).unwrap().unwrap()
}

pub(crate) fn removal_job(w: &World, brick: &str) -> Uuid {
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
