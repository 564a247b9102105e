//! Remove-brick operations: start (migrate or force), stop, commit — and the commit step the
//! poller runs for auto-commit. Nothing is committed unless the data has left the bricks.

use crate::inventory::to_volume;
use crate::journal::{self, Asked};
use crate::{reconcile, Clock, ClusterContext, OpError, Operations};
use domain::{
    commit_blocker, BrickName, DomainError, Job, JobOrigin, JobStatus, RemovalMode, RemovalRequest,
    StepKind, StepStatus, TaskKind, TaskParams, TaskStatus, Volume, VolumeName,
};
use gluster::{DriverError, Refusal, TaskReport};
use persistence::repo::{jobs, timeline, volumes};
use persistence::{JobRecord, PersistenceError, Store};
use uuid::Uuid;

/// What a remove-brick request produced.
#[derive(Debug)]
pub enum RemovalOutcome {
    /// Migration started; the job follows it (HTTP 202).
    Started(JobRecord),
    /// Removed at once without migration; the job is already `succeeded` (HTTP 200).
    Removed(JobRecord),
}

/// Options of a remove-brick request.
#[derive(Debug, Clone, Default)]
pub struct RemoveBricks {
    /// The rules' input (bricks, migrate, replica count, data-loss acceptance).
    pub request: RemovalRequest,
    /// Commit by itself once migration completed without failures.
    pub auto_commit: bool,
}

fn brick_names(names: &[String]) -> Result<Vec<BrickName>, OpError> {
    Ok(names
        .iter()
        .map(|n| BrickName::parse(n))
        .collect::<Result<Vec<_>, _>>()?)
}

/// Commits the removal recorded on `rec`: the committing step is written first, then gluster
/// is asked, then the job ends `succeeded` and the volume is re-read. Used by the API's commit
/// and by the poller's auto-commit, which passes the timeline entry of its decision in `noted`:
/// it is entered only when gluster committed, in the transaction that ends the job, before its
/// state change.
pub(crate) fn commit(
    store: &Store,
    cluster: &ClusterContext,
    rec: &mut JobRecord,
    clock: &dyn Clock,
    noted: Option<&domain::TimelineEntry>,
) -> Result<(), OpError> {
    let now = clock.now();
    let name = VolumeName::parse(&rec.job.volume_name)?;
    let bricks = brick_names(&rec.job.params.bricks)?;
    // Record the commit before issuing it, and only once: the step moves from pending to
    // running in one conditional update, so of two committers (the API and the auto-commit of
    // another replica, say) exactly one goes on to call gluster.
    if let Some(step) = rec
        .steps
        .iter_mut()
        .find(|s| s.kind == StepKind::Committing)
    {
        let claimed = store
            .write(|c| jobs::claim_step(c, step, StepStatus::Pending, StepStatus::Running, now))?;
        if !claimed {
            return Err(OpError::CommitRefused(format!(
                "a commit of job {} is already in progress",
                rec.job.id
            )));
        }
        step.status = StepStatus::Running;
        step.started_at = Some(now);
    }
    if let Err(e) = cluster.driver.remove_brick_commit(&name, &bricks) {
        if let Some(step) = rec
            .steps
            .iter_mut()
            .find(|s| s.kind == StepKind::Committing)
        {
            step.status = StepStatus::Pending;
        }
        let steps = rec.steps.clone();
        store.write(|c| jobs::update_steps(c, &steps))?;
        return Err(OpError::from_driver_as_conflict(e));
    }
    // The brick list first: whoever sees the job succeed sees the volume without the bricks.
    refresh_volume(store, cluster, &name, rec.job.volume_id, clock);
    let now = clock.now();
    rec.job.reason = None;
    rec.job.transition(JobStatus::Succeeded, now)?;
    rec.job.sync_steps(&mut rec.steps, now);
    let (job, steps) = (rec.job.clone(), rec.steps.clone());
    store.write(|c| {
        if let Some(e) = noted {
            timeline::append(c, e)?;
        }
        jobs::update(c, &job)?;
        jobs::update_steps(c, &steps)
    })?;
    Ok(())
}

/// Re-reads one volume after its bricks changed; a failure only delays the update to the next
/// inventory refresh.
fn refresh_volume(
    store: &Store,
    cluster: &ClusterContext,
    name: &VolumeName,
    volume_id: Uuid,
    clock: &dyn Clock,
) {
    // Stamped before the read: an inventory read that began earlier never overwrites it.
    let now = clock.now();
    match cluster.driver.volume_info(Some(name)) {
        Ok(infos) => {
            if let Some(info) = infos.iter().find(|i| i.id == volume_id) {
                let v = to_volume(cluster.id, info, now);
                if let Err(e) = store.write(|c| volumes::upsert(c, &v)) {
                    log::warn!("volume {name}: cannot save the new brick list: {e}");
                }
            }
        }
        Err(e) => log::warn!("volume {name}: cannot re-read after removing bricks: {e}"),
    }
}

impl Operations {
    fn removal_job(&self, volume_id: Uuid) -> Result<(Volume, ClusterContext, JobRecord), OpError> {
        let (volume, cluster) = self.volume(volume_id)?;
        let rec = self
            .holder(volume_id)?
            .filter(|r| r.job.kind == TaskKind::RemoveBrick)
            .ok_or(OpError::NoTask {
                kind: TaskKind::RemoveBrick,
                volume: volume.name.clone(),
            })?;
        Ok((volume, cluster, rec))
    }

    /// gluster's rule: stop and commit name exactly the bricks that started the task.
    fn same_bricks(
        &self,
        volume: &Volume,
        rec: &JobRecord,
        given: Option<&[String]>,
    ) -> Result<(), OpError> {
        let Some(given) = given else { return Ok(()) };
        let resolved = volume.resolve_bricks(given)?;
        let mut a: Vec<&str> = resolved.iter().map(|b| b.name.as_str()).collect();
        let mut b: Vec<&str> = rec.job.params.bricks.iter().map(String::as_str).collect();
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return Err(DomainError::NotEligible(format!(
                "the bricks must be those that started the removal: {}",
                rec.job.params.bricks.join(", ")
            ))
            .into());
        }
        Ok(())
    }

    /// Starts a removal: with migration a task (`remove-brick … start`), without it an
    /// immediate `remove-brick … force` whose job is on record as `succeeded`. `requester` is
    /// recorded on the job.
    pub fn start_remove_brick(
        &self,
        volume_id: Uuid,
        opts: RemoveBricks,
        requester: crate::Requester,
    ) -> Result<RemovalOutcome, OpError> {
        let (cached, cluster) = self.volume(volume_id)?;
        if let Some(active) = self.holder(volume_id)? {
            return Err(self.conflict(&cached, &active));
        }
        let volume = self.refresh(&cluster, &cached)?;
        let plan = volume.plan_removal(&opts.request)?;
        let name = VolumeName::parse(&volume.name)?;
        let bricks = brick_names(&plan.brick_names())?;
        if plan.replica_count.is_some() {
            self.check_no_pending_heals(&cluster, &name)?;
        }
        let params = TaskParams {
            bricks: plan.brick_names(),
            auto_commit: opts.auto_commit,
            migrate_data: plan.mode == RemovalMode::Migrate,
            replica_count: plan.replica_count,
            ..TaskParams::default()
        };
        let mut job = Job::new_pending(
            TaskKind::RemoveBrick,
            JobOrigin::Api,
            volume.id,
            &volume.name,
            cluster.id,
            params,
            self.now(),
        );
        requester.stamp(&mut job);
        let sizing = match plan.mode {
            RemovalMode::Migrate => journal::size_at_start(&cluster, &volume, &job),
            RemovalMode::Force => None,
        };
        self.insert_pending(&volume, &job)?;
        self.keep_sizing(job.id, sizing);
        let answer = match plan.mode {
            RemovalMode::Migrate => cluster.driver.remove_brick_start(&name, &bricks),
            RemovalMode::Force => {
                let replica = plan.replica_count.and_then(|r| u32::try_from(r).ok());
                cluster
                    .driver
                    .remove_brick_force(&name, &bricks, replica)
                    .map(|()| None)
            }
        };
        match answer {
            Ok(task_id) => {
                let now = self.now();
                let rec = self.store().write(|c| {
                    let mut rec = jobs::get_for_update(c, job.id)?
                        .ok_or(PersistenceError::NotFound("job"))?;
                    timeline::append(c, &journal::accepted(job.id, now, task_id))?;
                    match plan.mode {
                        // The poller found the task during the start and has followed it since.
                        RemovalMode::Migrate if rec.job.status != JobStatus::Pending => {
                            return Ok(rec);
                        }
                        RemovalMode::Migrate => {
                            if task_id.is_some() {
                                rec.job.gluster_task_id = task_id;
                            }
                            reconcile::apply(c, &mut rec, TaskStatus::InProgress, None, now)?;
                        }
                        RemovalMode::Force => {
                            rec.job.task_status = Some(TaskStatus::Completed);
                            rec.job
                                .transition(JobStatus::Succeeded, now)
                                .map_err(|e| PersistenceError::Corrupt(e.to_string()))?;
                            rec.job.sync_steps(&mut rec.steps, now);
                            jobs::update_steps(c, &rec.steps)?;
                        }
                    }
                    jobs::update(c, &rec.job)?;
                    Ok(rec)
                })?;
                self.wake(cluster.id);
                Ok(match plan.mode {
                    RemovalMode::Migrate => RemovalOutcome::Started(rec),
                    RemovalMode::Force => {
                        refresh_volume(self.store(), &cluster, &name, volume.id, self.clock());
                        RemovalOutcome::Removed(rec)
                    }
                })
            }
            Err(e @ DriverError::Gluster { .. }) => {
                self.store().write(|c| jobs::delete(c, job.id))?;
                Err(OpError::from_driver(e))
            }
            Err(e) => Err(self.unanswered(&job, &cluster, e)?),
        }
    }

    /// Refuses a replica reduction while heals are pending: the brick being removed may hold
    /// the only good copy of a file.
    fn check_no_pending_heals(
        &self,
        cluster: &ClusterContext,
        name: &VolumeName,
    ) -> Result<(), OpError> {
        let heal = cluster
            .driver
            .heal_info(name)
            .map_err(OpError::from_driver)?;
        let unknown = heal.unknown();
        if heal.pending() > 0 || !unknown.is_empty() {
            let why = if unknown.is_empty() {
                format!("{} entries are pending heal", heal.pending())
            } else {
                format!("bricks {} cannot report pending heals", unknown.join(", "))
            };
            return Err(DomainError::NotEligible(format!(
                "{why} on volume {name}; a brick being removed may hold the only good copy. Wait until 'gluster volume heal {name} info' shows no entries"
            ))
            .into());
        }
        Ok(())
    }

    /// Stops the migration; the bricks stay in the volume and the job ends `stopped`.
    /// `asked` says who asked, and how (a stop or a job's cancel), for the job's timeline.
    pub fn stop_remove_brick(
        &self,
        volume_id: Uuid,
        bricks: Option<&[String]>,
        asked: &Asked,
    ) -> Result<(JobRecord, TaskReport), OpError> {
        let (volume, cluster, rec) = self.removal_job(volume_id)?;
        self.same_bricks(&volume, &rec, bricks)?;
        let name = VolumeName::parse(&volume.name)?;
        let report = match cluster
            .driver
            .remove_brick_stop(&name, &brick_names(&rec.job.params.bricks)?)
        {
            Ok(report) => report,
            // A held removal that gluster has let go meanwhile (stopped with the CLI): the
            // stop's purpose is met, the volume is free.
            Err(e) if rec.job.tracking.needs_stop && e.refusal() == Some(Refusal::NotStarted) => {
                TaskReport {
                    task_id: rec.job.gluster_task_id,
                    nodes: rec.nodes.clone(),
                    status: rec.job.task_status.unwrap_or(TaskStatus::Failed),
                }
            }
            Err(e) => {
                let words = e.to_string();
                journal::note(
                    self.store(),
                    &journal::refused(asked, rec.job.id, self.now(), &words),
                );
                return Err(OpError::from_driver_as_conflict(e));
            }
        };
        let now = self.now();
        let id = rec.job.id;
        // Apply to the job as it is now: the poller may have ended or released it meanwhile.
        let rec = self.store().write(|c| {
            let mut rec = jobs::get_for_update(c, id)?.ok_or(PersistenceError::NotFound("job"))?;
            if !rec.job.status.is_terminal() || rec.job.tracking.needs_stop {
                timeline::append(c, &asked.entry(id, now))?;
            }
            if rec.job.tracking.needs_stop {
                // A failed removal gluster held: it stays failed, and the volume is free again.
                rec.job.tracking.needs_stop = false;
                rec.job.reason = Some(crate::poll::reasons::released(
                    &report.nodes,
                    "through the API",
                ));
                rec.job.updated_at = now;
                jobs::set_nodes(c, rec.job.id, &report.nodes, &rec.estimates, now)?;
                rec.nodes = report.nodes.clone();
            } else if rec.job.status.is_terminal() {
                // Ended meanwhile (the poller saw it fail or end): an ended job never changes.
                return Ok(rec);
            } else {
                reconcile::apply(c, &mut rec, TaskStatus::Stopped, Some(&report.nodes), now)?;
            }
            rec.job.polled_at = Some(now);
            jobs::update(c, &rec.job)?;
            Ok(rec)
        })?;
        self.wake(cluster.id);
        Ok((rec, report))
    }

    /// Commits a completed migration; refused unless every node completed with no failures.
    /// `asked` says who asked, for the job's timeline.
    pub fn commit_remove_brick(
        &self,
        volume_id: Uuid,
        bricks: Option<&[String]>,
        asked: &Asked,
    ) -> Result<JobRecord, OpError> {
        let (volume, cluster, mut rec) = self.removal_job(volume_id)?;
        self.same_bricks(&volume, &rec, bricks)?;
        let now = self.now();
        let refusal = if rec.job.status != JobStatus::AwaitingCommit {
            Some(format!(
                "migration off the bricks is not complete (job {} is {})",
                rec.job.id, rec.job.status
            ))
        } else {
            commit_blocker(rec.job.task_status, &rec.nodes)
        };
        if let Some(why) = refusal {
            journal::note(
                self.store(),
                &journal::refused(asked, rec.job.id, now, &why),
            );
            return Err(OpError::CommitRefused(why));
        }
        journal::note(self.store(), &[asked.entry(rec.job.id, now)]);
        if let Err(e) = commit(self.store(), &cluster, &mut rec, self.clock(), None) {
            let refused = asked.refusal(rec.job.id, self.now(), &e.to_string());
            journal::note(self.store(), &[refused]);
            return Err(e);
        }
        self.wake(cluster.id);
        Ok(rec)
    }
}
