//! One poll cycle of one cluster: reads gluster and the store, asks the verdict, writes the
//! store. [`ClusterPoller::run_cycle`] is one complete cycle, for tests and for the runtime's
//! thread alike.

use super::claim::{self, Claim};
use crate::inventory::{name_peers, to_volume};
use crate::{Clock, ClusterContext, LeaseKeeper, PollError, PollSettings};
use chrono::{DateTime, Utc};
use domain::{JobStatus, Volume};
use persistence::repo::{clusters, jobs, volumes};
use persistence::{JobRecord, Store};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// The inventory was refreshed in this cycle.
    pub inventory_refreshed: bool,
    /// Jobs followed in this cycle.
    pub followed: usize,
    /// Tasks still running after this cycle (decides the next interval).
    pub running: usize,
    /// Jobs whose record changed.
    pub changed: usize,
    /// Jobs created for tasks started with the gluster CLI.
    pub adopted: usize,
    /// Jobs whose status query failed in this cycle (they keep their last state, marked stale).
    pub errors: usize,
}

/// Polls one cluster.
#[derive(Debug)]
pub struct ClusterPoller {
    pub(super) cluster: ClusterContext,
    pub(super) store: Store,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: PollSettings,
    last_inventory: Option<DateTime<Utc>>,
    lease: Option<LeaseKeeper>,
}

/// A followed job and what the task list said of its task.
pub(super) struct Followed {
    pub(super) rec: JobRecord,
    pub(super) listed: Option<domain::TaskStatus>,
}

impl ClusterPoller {
    /// A poller for `cluster`.
    pub fn new(
        cluster: ClusterContext,
        store: Store,
        clock: Arc<dyn Clock>,
        settings: PollSettings,
    ) -> Self {
        Self {
            cluster,
            store,
            clock,
            settings,
            last_inventory: None,
            lease: None,
        }
    }

    /// Makes every cycle renew `lease` before it starts and before each task it follows, and
    /// stop with [`PollError::LeaseLost`] once another replica holds it.
    pub fn with_lease(mut self, lease: LeaseKeeper) -> Self {
        self.lease = Some(lease);
        self
    }

    pub(super) fn keep_lease(&self) -> Result<(), PollError> {
        match &self.lease {
            Some(l) => l.renew(),
            None => Ok(()),
        }
    }

    fn inventory_due(&self, now: DateTime<Utc>) -> bool {
        match self.last_inventory {
            None => true,
            Some(at) => (now - at).to_std().unwrap_or_default() >= self.settings.inventory_interval,
        }
    }

    /// `pool list` + `volume info`: replaces the cluster's peers and volumes. The node gluster
    /// calls `localhost` is recorded under its peer host name.
    pub fn refresh_inventory(&mut self, now: DateTime<Utc>) -> Result<(), PollError> {
        let driver = &self.cluster.driver;
        let pool = driver.pool_list()?;
        let infos = driver.volume_info(None)?;
        let peers = name_peers(pool, &infos, driver.active_host().as_deref());
        let vols: Vec<Volume> = infos
            .iter()
            .map(|i| to_volume(self.cluster.id, i, now))
            .collect();
        let cid = self.cluster.id;
        self.store.write(|c| {
            clusters::replace_peers(c, cid, &peers, now)?;
            volumes::replace_inventory(c, cid, &vols)
        })?;
        self.last_inventory = Some(now);
        Ok(())
    }

    /// Runs one cycle: inventory when due, one `volume status all tasks`, one status call per
    /// followed task that needs it, then writes what changed. A failed cycle is recorded on the
    /// cluster and marks its jobs stale.
    pub fn run_cycle(&mut self) -> Result<CycleReport, PollError> {
        let result = self.cycle();
        if matches!(result, Err(PollError::LeaseLost)) {
            // Another replica polls the cluster now; what it sees is its to record.
            return result;
        }
        let now = self.clock.now();
        let cid = self.cluster.id;
        let error = result.as_ref().err().map(|e| e.to_string());
        let host = self.cluster.driver.active_host();
        let outcome = clusters::PollOutcome {
            error: error.as_deref(),
            active_host: host.as_deref(),
        };
        let recorded = self.store.write(|c| {
            clusters::record_poll(c, cid, now, outcome)?;
            if result.is_err() {
                // Nothing could be asked: every followed job keeps its last known state.
                let ids: Vec<Uuid> = jobs::tracked(c, cid)?.iter().map(|r| r.job.id).collect();
                jobs::mark_stale(c, &ids, now)?;
            }
            Ok(())
        });
        if let Err(e) = recorded {
            log::warn!("cluster {}: cannot record the poll: {e}", self.cluster.name);
        }
        result
    }

    fn cycle(&mut self) -> Result<CycleReport, PollError> {
        self.keep_lease()?;
        let now = self.clock.now();
        let mut report = CycleReport::default();
        let (cid, cname) = (self.cluster.id, self.cluster.name.clone());
        if self.last_inventory.is_none() {
            self.store
                .write(|c| clusters::ensure(c, cid, &cname, now))?;
        }
        if self.inventory_due(now) {
            self.refresh_inventory(now)?;
            report.inventory_refreshed = true;
        }
        let listed = self.cluster.driver.status_all_tasks()?;
        let mut by_name = self.volumes_by_name()?;
        if !report.inventory_refreshed && listed.iter().any(|v| !by_name.contains_key(&v.volume)) {
            // A task on a volume we have not seen yet: refresh first, never drop the task.
            self.refresh_inventory(now)?;
            report.inventory_refreshed = true;
            by_name = self.volumes_by_name()?;
        }
        let task_ids: Vec<Uuid> = listed
            .iter()
            .flat_map(|v| v.tasks.iter().map(|t| t.id))
            .collect();
        let (mut tracked, known) = self
            .store
            .read(|c| Ok((jobs::tracked(c, cid)?, jobs::known_task_ids(c, &task_ids)?)))?;
        if report.inventory_refreshed {
            let listed_volumes: Vec<Uuid> = listed
                .iter()
                .filter_map(|v| by_name.get(&v.volume).map(|vol| vol.id))
                .collect();
            self.forget_tombstones(now, &listed_volumes, &task_ids)?;
        }
        let mut followed: Vec<Followed> = Vec::new();
        for vt in &listed {
            let Some(volume) = by_name.get(&vt.volume) else {
                log::warn!("cluster {cname}: task on unknown volume {}", vt.volume);
                continue;
            };
            for task in &vt.tasks {
                let jobs_now: Vec<domain::Job> = tracked.iter().map(|r| r.job.clone()).collect();
                let rec = match claim::claim(task, volume.id, &jobs_now, &known) {
                    Claim::Follow(i) => Some(tracked.swap_remove(i)),
                    Claim::Known => None,
                    Claim::Attach(i) => self.attach(tracked.swap_remove(i), task.id)?,
                    Claim::Adopt => self.adopt(task, volume, now, &mut report)?,
                };
                if let Some(rec) = rec {
                    // A pending job whose start recorded another task meanwhile is not
                    // judged by this task's listing.
                    let listed = (rec.job.gluster_task_id == Some(task.id)).then_some(task.status);
                    followed.push(Followed { rec, listed });
                }
            }
        }
        // What is left was not listed: a stopped task disappears from `status … tasks`.
        for rec in tracked {
            if rec.job.gluster_task_id.is_none() {
                self.expire_pending(rec, now)?;
            } else {
                followed.push(Followed { rec, listed: None });
            }
        }
        self.follow_all(followed, now, &by_name, &mut report)?;
        Ok(report)
    }

    fn follow_all(
        &mut self,
        followed: Vec<Followed>,
        now: DateTime<Utc>,
        volumes: &HashMap<String, Volume>,
        report: &mut CycleReport,
    ) -> Result<(), PollError> {
        let mut polled = Vec::new();
        let mut stale = Vec::new();
        for f in followed {
            self.keep_lease()?;
            report.followed += 1;
            let id = f.rec.job.id;
            let volume = volumes.get(&f.rec.job.volume_name);
            match self.follow(f, volume, now) {
                Ok((changed, status)) => {
                    polled.push(id);
                    report.changed += usize::from(changed);
                    if status.is_some_and(|s| s.is_active() && s != JobStatus::AwaitingCommit) {
                        report.running += 1;
                    }
                }
                // One task's unreadable answer must not stop the others from being followed.
                Err(PollError::Driver(e)) => {
                    log::warn!(
                        "cluster {}: job {id}: status query failed, keeping its last state: {e}",
                        self.cluster.name
                    );
                    report.errors += 1;
                    stale.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        self.store.write(|c| {
            jobs::mark_polled(c, &polled, now)?;
            jobs::mark_stale(c, &stale, now)
        })?;
        Ok(())
    }

    fn volumes_by_name(&self) -> Result<HashMap<String, Volume>, PollError> {
        let cid = self.cluster.id;
        Ok(self
            .store
            .read(|c| volumes::list(c, Some(cid)))?
            .into_iter()
            .map(|v| (v.name.clone(), v))
            .collect())
    }

    /// Tombstones older than the job retention can go once gluster lists their volume without
    /// their task (a volume left out of a listing, as 10.3 sometimes does, keeps them).
    fn forget_tombstones(
        &self,
        now: DateTime<Utc>,
        volumes: &[Uuid],
        listed: &[Uuid],
    ) -> Result<(), PollError> {
        let Ok(keep) = chrono::Duration::from_std(self.settings.job_retention) else {
            return Ok(());
        };
        let cid = self.cluster.id;
        self.store
            .write(|c| jobs::purge_tombstones(c, cid, now - keep, volumes, listed))?;
        Ok(())
    }

    /// Gives a pending job the task gluster lists for its volume and kind, unless the start has
    /// recorded the id meanwhile (re-read, row locked: writing the copy read at the start of the
    /// cycle would undo its `running`).
    fn attach(&self, stale: JobRecord, task: Uuid) -> Result<Option<JobRecord>, PollError> {
        Ok(self.store.write(|c| {
            let Some(mut rec) = still_active(c, stale.job.id)? else {
                return Ok(None);
            };
            if rec.job.gluster_task_id.is_none() {
                rec.job.gluster_task_id = Some(task);
                rec.job.reason = None;
                jobs::update(c, &rec.job)?;
                log::info!("job {}: attached gluster task {task}", rec.job.id);
            }
            Ok(Some(rec))
        })?)
    }

    /// Puts a task started with the gluster CLI on record as a `cli` job.
    fn adopt(
        &self,
        task: &gluster::GlusterTask,
        volume: &Volume,
        now: DateTime<Utc>,
        report: &mut CycleReport,
    ) -> Result<Option<JobRecord>, PollError> {
        let job = claim::adopted(task, volume, now);
        let mut steps = job.initial_steps();
        job.sync_steps(&mut steps, now);
        let change_seq = match self.store.write(|c| jobs::insert(c, &job, &steps)) {
            Ok(seq) => seq,
            Err(persistence::PersistenceError::ActiveJobExists) => {
                log::warn!(
                    "cluster {}: task {} on {} found, but the volume has another active job",
                    self.cluster.name,
                    task.id,
                    volume.name
                );
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        log::info!(
            "adopted {} task {} on volume {} as job {} ({})",
            task.kind,
            task.id,
            volume.name,
            job.id,
            job.status
        );
        report.adopted += 1;
        Ok(Some(JobRecord {
            job,
            steps,
            nodes: Vec::new(),
            estimates: Vec::new(),
            change_seq,
        }))
    }

    /// A pending job whose task never showed up fails once `pending_timeout` has passed.
    fn expire_pending(&self, rec: JobRecord, now: DateTime<Utc>) -> Result<(), PollError> {
        let Some(reason) =
            super::verdict::pending_expired(&rec.job, now, self.settings.pending_timeout)
        else {
            return Ok(());
        };
        self.finish(rec.job.id, now, move |job| {
            // Still waiting for its task id: a job that got one meanwhile is not expired.
            job.gluster_task_id.is_none() && {
                job.reason = Some(reason);
                job.transition(JobStatus::Failed, now).is_ok()
            }
        })?;
        Ok(())
    }

    /// Changes a job that is still active, re-read inside the transaction; `change` returns
    /// whether it moved the job. Jobs that ended meanwhile are left alone.
    pub(super) fn finish(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut domain::Job) -> bool,
    ) -> Result<bool, PollError> {
        self.keep_lease()?;
        Ok(self.store.write(|c| {
            let Some(mut rec) = still_active(c, id)? else {
                return Ok(false);
            };
            if !change(&mut rec.job) {
                return Ok(false);
            }
            rec.job.stale_since = None;
            rec.job.sync_steps(&mut rec.steps, now);
            jobs::update(c, &rec.job)?;
            jobs::update_steps(c, &rec.steps)?;
            Ok(true)
        })?)
    }
}

/// The job, re-read inside the current transaction, unless it has ended meanwhile (a failed
/// removal whose task gluster holds is still followed).
pub(super) fn still_active(
    c: &mut persistence::DbConnection,
    id: Uuid,
) -> Result<Option<JobRecord>, persistence::PersistenceError> {
    Ok(jobs::get_for_update(c, id)?
        .filter(|r| !r.job.status.is_terminal() || r.job.tracking.needs_stop))
}
