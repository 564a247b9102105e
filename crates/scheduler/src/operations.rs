//! Starting and stopping tasks on behalf of the API.

use crate::inventory::to_volume;
use crate::journal::{self, Asked};
use crate::poll::claim;
use crate::registry::{Registry, Wake};
use crate::{reconcile, Clock, ClusterContext, OpError};
use domain::{
    DomainError, Job, JobOrigin, JobStatus, TaskKind, TaskParams, TaskStatus, Volume, VolumeName,
};
use gluster::{DriverError, GlusterTask, RebalanceOptions, Refusal, TaskReport};
use persistence::repo::{jobs, timeline, volumes};
use persistence::{JobRecord, PersistenceError, Store};
use std::sync::Arc;
use uuid::Uuid;

/// Task operations. Every method blocks (database and CLI calls): call it off async workers.
#[derive(Debug, Clone)]
pub struct Operations {
    store: Store,
    registry: Registry,
    waker: Arc<dyn Wake>,
    clock: Arc<dyn Clock>,
}

/// Who asked for an operation, for the record of the job it creates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requester {
    /// The request's id (`X-Request-Id`).
    pub request_id: Option<String>,
    /// The name of the token the request came with.
    pub initiator: Option<String>,
}

impl Requester {
    /// Writes who asked onto `job`.
    pub fn stamp(self, job: &mut Job) {
        job.request_id = self.request_id;
        job.initiator = self.initiator;
    }
}

impl Operations {
    /// Operations over `store` on the clusters of `registry`; `waker` asks a cluster's poller
    /// for a cycle after a change.
    pub fn new(
        store: Store,
        registry: Registry,
        waker: Arc<dyn Wake>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            registry,
            waker,
            clock,
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub(crate) fn wake(&self, cluster: Uuid) {
        self.waker.wake(cluster);
    }

    /// Writes a pending job with its steps; a volume that already has an active job answers
    /// 409 naming it (the database's unique index decides).
    pub(crate) fn insert_pending(&self, volume: &Volume, job: &Job) -> Result<(), OpError> {
        let steps = job.initial_steps();
        match self.store.write(|c| jobs::insert(c, job, &steps)) {
            Ok(_) => Ok(()),
            Err(PersistenceError::ActiveJobExists) => {
                match self.store.read(|c| jobs::active_for_volume(c, volume.id))? {
                    Some(active) => Err(self.conflict(volume, &active)),
                    None => Err(PersistenceError::ActiveJobExists.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A start that got no answer may or may not have reached gluster: the job stays pending
    /// with the reason; the poller attaches the task if gluster lists one, or fails the job.
    pub(crate) fn unanswered(
        &self,
        job: &Job,
        cluster: &ClusterContext,
        e: DriverError,
    ) -> Result<OpError, OpError> {
        let reason = format!("start sent, answer not received: {e}");
        self.store.write(|c| {
            let mut rec =
                jobs::get_for_update(c, job.id)?.ok_or(PersistenceError::NotFound("job"))?;
            rec.job.reason = Some(reason.clone());
            jobs::update(c, &rec.job)
        })?;
        self.waker.wake(cluster.id);
        Ok(OpError::GlusterUnavailable(format!(
            "{e}; job {} stays pending until gluster shows whether the task started",
            job.id
        )))
    }

    pub(crate) fn volume(&self, volume_id: Uuid) -> Result<(Volume, ClusterContext), OpError> {
        let volume = self
            .store
            .read(|c| volumes::get(c, volume_id))?
            .ok_or(OpError::VolumeNotFound(volume_id))?;
        let cluster = self
            .registry
            .get(volume.cluster_id)
            .ok_or(OpError::ClusterNotConfigured(volume.cluster_id))?;
        Ok((volume, cluster))
    }

    /// Re-reads the volume from gluster so eligibility is judged on fresh facts.
    pub(crate) fn refresh(
        &self,
        cluster: &ClusterContext,
        volume: &Volume,
    ) -> Result<Volume, OpError> {
        let name = VolumeName::parse(&volume.name)?;
        let read_at = self.clock.now();
        let infos = match cluster.driver.volume_info(Some(&name)) {
            Ok(infos) => infos,
            Err(e) if e.refusal() == Some(Refusal::VolumeMissing) => {
                return Err(OpError::VolumeNotFound(volume.id))
            }
            Err(e) => return Err(OpError::from_driver(e)),
        };
        let info = infos
            .iter()
            .find(|i| i.id == volume.id)
            .ok_or(OpError::VolumeNotFound(volume.id))?;
        let fresh = to_volume(cluster.id, info, read_at);
        self.store.write(|c| volumes::upsert(c, &fresh))?;
        Ok(fresh)
    }

    /// The job that holds the volume: its active job, or an ended one whose task gluster still
    /// holds (a failed removal that must be stopped first).
    pub fn holder(&self, volume_id: Uuid) -> Result<Option<JobRecord>, OpError> {
        Ok(self.store.read(|c| {
            Ok(match jobs::active_for_volume(c, volume_id)? {
                Some(active) => Some(active),
                None => jobs::held_for_volume(c, volume_id)?,
            })
        })?)
    }

    pub(crate) fn conflict(&self, volume: &Volume, active: &JobRecord) -> OpError {
        OpError::ActiveJob {
            volume: volume.name.clone(),
            job_id: active.job.id,
            kind: active.job.kind,
            status: active.job.status,
        }
    }

    /// Starts a rebalance: validates, writes a `pending` job, runs `rebalance … start`, records
    /// the task id and moves the job to `running`. `requester` is recorded on the job.
    pub fn start_rebalance(
        &self,
        volume_id: Uuid,
        options: RebalanceOptions,
        requester: Requester,
    ) -> Result<JobRecord, OpError> {
        if options.fix_layout && options.force {
            return Err(DomainError::NotEligible(
                "fix_layout and force cannot be combined: gluster has no 'fix-layout start force'"
                    .into(),
            )
            .into());
        }
        let (cached, cluster) = self.volume(volume_id)?;
        if let Some(active) = self.holder(volume_id)? {
            return Err(self.conflict(&cached, &active));
        }
        let volume = self.refresh(&cluster, &cached)?;
        volume.check_rebalance_eligible()?;
        let name = VolumeName::parse(&volume.name)?;

        let mut job = Job::new_pending(
            TaskKind::Rebalance,
            JobOrigin::Api,
            volume.id,
            &volume.name,
            cluster.id,
            TaskParams {
                fix_layout: options.fix_layout,
                force: options.force,
                ..TaskParams::default()
            },
            self.clock.now(),
        );
        requester.stamp(&mut job);
        let sizing = journal::size_at_start(&cluster, &volume, &job);
        self.insert_pending(&volume, &job)?;
        self.keep_sizing(job.id, sizing);

        match cluster.driver.rebalance_start(&name, options) {
            Ok(task_id) => {
                let rec = self.store.write(|c| {
                    let mut rec = jobs::get_for_update(c, job.id)?
                        .ok_or(PersistenceError::NotFound("job"))?;
                    timeline::append(c, &journal::accepted(job.id, self.clock.now(), task_id))?;
                    if rec.job.status != JobStatus::Pending {
                        // The poller found the task during the (long) start and has followed
                        // it since: what it recorded is newer than "just started".
                        return Ok(rec);
                    }
                    if task_id.is_some() {
                        rec.job.gluster_task_id = task_id;
                    }
                    let status = if options.fix_layout {
                        TaskStatus::FixLayoutInProgress
                    } else {
                        TaskStatus::InProgress
                    };
                    reconcile::apply(c, &mut rec, status, None, self.clock.now())?;
                    jobs::update(c, &rec.job)?;
                    Ok(rec)
                })?;
                self.waker.wake(cluster.id);
                Ok(rec)
            }
            Err(e @ DriverError::Gluster { .. }) => {
                // Gluster refused: nothing started, so nothing stays on record.
                self.store.write(|c| jobs::delete(c, job.id))?;
                Err(OpError::from_driver(e))
            }
            Err(e) => Err(self.unanswered(&job, &cluster, e)?),
        }
    }

    /// Stops the rebalance of a volume: runs `rebalance … stop` and records the counters of the
    /// reply on the job, which ends `stopped`. Returns the job (if one tracks the task) and
    /// gluster's reply.
    /// `asked` says who asked, and how (a stop or a job's cancel), for the job's timeline.
    pub fn stop_rebalance(
        &self,
        volume_id: Uuid,
        asked: &Asked,
    ) -> Result<(Option<JobRecord>, TaskReport), OpError> {
        let (volume, cluster) = self.volume(volume_id)?;
        let name = VolumeName::parse(&volume.name)?;
        let report = match cluster.driver.rebalance_stop(&name) {
            Ok(r) => r,
            Err(e) => {
                let words = e.to_string();
                if let Ok(Some(active)) = self.store.read(|c| jobs::active_for_volume(c, volume_id))
                {
                    if active.job.kind == TaskKind::Rebalance {
                        journal::note(
                            &self.store,
                            &journal::refused(asked, active.job.id, self.clock.now(), &words),
                        );
                    }
                }
                return Err(OpError::from_driver_as_conflict(e));
            }
        };
        let now = self.clock.now();
        let rec = self.store.write(|c| {
            let by_task = match report.task_id {
                Some(t) => jobs::by_task_id(c, t)?,
                None => None,
            };
            let found = match by_task {
                Some(r) => Some(r),
                None => jobs::active_for_volume(c, volume_id)?
                    .filter(|r| r.job.kind == TaskKind::Rebalance),
            };
            let mut rec = match (found, report.task_id) {
                // Locked and re-read (another replica's poller may write it meanwhile); a job
                // that has ended already stays as it ended.
                (Some(found), _) => match jobs::get_for_update(c, found.job.id)? {
                    Some(rec) if rec.job.status.is_terminal() => return Ok(Some(rec)),
                    Some(rec) => rec,
                    None => return Ok(None),
                },
                // A task started with the CLI and not adopted yet: put it on record now.
                (None, Some(task_id)) => {
                    let task = GlusterTask {
                        kind: TaskKind::Rebalance,
                        id: task_id,
                        status: report.status,
                        bricks: Vec::new(),
                    };
                    let job = claim::adopted(&task, &volume, now);
                    let mut steps = job.initial_steps();
                    job.sync_steps(&mut steps, now);
                    let change_seq = jobs::insert(c, &job, &steps)?;
                    JobRecord {
                        job,
                        steps,
                        nodes: Vec::new(),
                        estimates: Vec::new(),
                        change_seq,
                    }
                }
                (None, None) => return Ok(None),
            };
            timeline::append(c, &asked.entry(rec.job.id, now))?;
            // gluster accepts a stop of a task that already finished and reports it as it
            // ended; a task it actually stopped is reported stopped.
            let ended = if report.status.is_terminal() {
                report.status
            } else if rec.job.params.fix_layout {
                TaskStatus::FixLayoutStopped
            } else {
                TaskStatus::Stopped
            };
            if rec.job.gluster_task_id.is_none() {
                rec.job.gluster_task_id = report.task_id;
            }
            reconcile::apply(c, &mut rec, ended, Some(&report.nodes), now)?;
            rec.job.polled_at = Some(now);
            jobs::update(c, &rec.job)?;
            Ok(Some(rec))
        })?;
        self.waker.wake(cluster.id);
        Ok((rec, report))
    }

    /// Keeps how a job's task was sized at its start; a failure to write it leaves the sizing
    /// to the poller.
    pub(crate) fn keep_sizing(&self, job_id: Uuid, sizing: Option<domain::estimate::Sizing>) {
        let Some(s) = sizing else { return };
        let now = self.clock.now();
        if let Err(e) = self.store.write(|c| jobs::set_sizing(c, job_id, &s, now)) {
            log::warn!("job {job_id}: sizing not kept ({e}); the poller sizes it");
        }
    }

    /// The newest job of `kind` on a volume, for the status endpoints.
    pub fn latest(&self, volume_id: Uuid, kind: TaskKind) -> Result<JobRecord, OpError> {
        let volume = self
            .store
            .read(|c| volumes::get(c, volume_id))?
            .ok_or(OpError::VolumeNotFound(volume_id))?;
        self.store
            .read(|c| jobs::latest_for_volume(c, volume_id, kind))?
            .ok_or(OpError::NoTask {
                kind,
                volume: volume.name,
            })
    }
}
