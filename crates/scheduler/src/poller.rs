//! The per-cluster poller and the scheduler that runs one per cluster on its own thread.

use crate::inventory::to_volume;
use crate::{
    reconcile, removal, Clock, ClusterContext, LeaseKeeper, PollError, PollSettings, Replica,
};
use chrono::{DateTime, Utc};
use domain::{
    commit_blocker, BrickName, Job, JobOrigin, JobStatus, TaskKind, TaskParams, TaskStatus, Volume,
    VolumeName,
};
use gluster::{DriverError, GlusterTask, TaskReport};
use persistence::repo::{clusters, idempotency, jobs, volumes};
use persistence::{JobRecord, Store};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use uuid::Uuid;

/// Consecutive cycles in which gluster must answer "not started" for a followed task before its
/// job ends the way the volume shows (stopped or committed outside this service).
const NOT_STARTED_AFTER_MISSES: u32 = 3;

/// How long an `Idempotency-Key` is remembered: a client may retry with it for this long.
pub const IDEMPOTENCY_KEY_RETENTION_HOURS: i64 = 24;

/// How the reason of a job held back from "completed" begins (see [`Poller::silent_peers`]).
const HELD_FOR_SILENT_PEERS: &str = "gluster reports the task completed, but";

/// A followed task that gluster did not report: since when, and in how many cycles in a row.
#[derive(Debug, Clone, Copy)]
struct Miss {
    count: u32,
    since: DateTime<Utc>,
}

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
    /// Ended jobs deleted in this cycle because they ended longer ago than the retention.
    pub purged: usize,
}

/// Polls one cluster. [`ClusterPoller::run_cycle`] is one complete cycle, for tests and for the
/// scheduler's thread alike.
#[derive(Debug)]
pub struct ClusterPoller {
    cluster: ClusterContext,
    store: Store,
    clock: Arc<dyn Clock>,
    settings: PollSettings,
    last_inventory: Option<DateTime<Utc>>,
    misses: HashMap<Uuid, Miss>,
    lease: Option<LeaseKeeper>,
}

/// A followed job and what the cycle learned about its task.
struct Followed {
    rec: JobRecord,
    listed: Option<TaskStatus>,
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
            misses: HashMap::new(),
            lease: None,
        }
    }

    /// Makes every cycle renew `lease` before it starts and before each task it follows, and
    /// stop with [`PollError::LeaseLost`] once another replica holds it.
    pub fn with_lease(mut self, lease: LeaseKeeper) -> Self {
        self.lease = Some(lease);
        self
    }

    fn keep_lease(&self) -> Result<(), PollError> {
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

    /// `pool list` + `volume info`: replaces the cluster's peers and volumes.
    pub fn refresh_inventory(&mut self, now: DateTime<Utc>) -> Result<(), PollError> {
        let driver = &self.cluster.driver;
        let peers = driver.pool_list()?;
        let infos = driver.volume_info(None)?;
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

    /// Deletes what has outlived its retention: the cluster's jobs that ended longer ago than
    /// `job_retention`, and `Idempotency-Key` records older than
    /// [`IDEMPOTENCY_KEY_RETENTION_HOURS`] (not per cluster: whichever poller comes first purges
    /// them). Returns the number of jobs purged.
    fn purge_expired(&self, now: DateTime<Utc>) -> Result<usize, PollError> {
        let keys_before = now - chrono::Duration::hours(IDEMPOTENCY_KEY_RETENTION_HOURS);
        self.store
            .write(|c| idempotency::purge_older_than(c, keys_before))?;
        let Ok(keep) = chrono::Duration::from_std(self.settings.job_retention) else {
            return Ok(0); // a retention beyond chrono's range keeps everything
        };
        let cid = self.cluster.id;
        let purged = self
            .store
            .write(|c| jobs::purge_ended(c, cid, now - keep))?;
        if purged > 0 {
            log::info!(
                "cluster {}: purged {purged} jobs that ended before {}",
                self.cluster.name,
                now - keep
            );
        }
        Ok(purged)
    }

    /// Runs one cycle: inventory when due, one `volume status all tasks`, one status call per
    /// followed task that needs it, then writes what changed.
    pub fn run_cycle(&mut self) -> Result<CycleReport, PollError> {
        let result = self.cycle();
        if matches!(result, Err(PollError::LeaseLost)) {
            // Another replica polls the cluster now; what it sees is its to record.
            self.misses.clear();
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
            report.purged = self.purge_expired(now)?;
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

        let mut tracked = self.store.read(|c| jobs::tracked(c, cid))?;
        let mut followed: Vec<Followed> = Vec::new();
        for vt in &listed {
            let Some(volume) = by_name.get(&vt.volume) else {
                log::warn!("cluster {cname}: task on unknown volume {}", vt.volume);
                continue;
            };
            for task in &vt.tasks {
                if let Some(rec) = self.claim(&mut tracked, volume, task, now, &mut report)? {
                    followed.push(Followed {
                        rec,
                        listed: Some(task.status),
                    });
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

        let mut polled = Vec::new();
        let mut stale = Vec::new();
        for f in followed {
            self.keep_lease()?;
            report.followed += 1;
            let id = f.rec.job.id;
            match self.follow(f, now) {
                Ok(changed) => {
                    polled.push(id);
                    report.changed += usize::from(changed);
                }
                // One task's unreadable answer must not stop the others from being followed.
                Err(PollError::Driver(e)) => {
                    log::warn!("cluster {cname}: job {id}: status query failed, keeping its last state: {e}");
                    report.errors += 1;
                    stale.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        for id in &polled {
            if let Some(rec) = self.store.read(|c| jobs::get(c, *id))? {
                if rec.job.status.is_active() && rec.job.status != JobStatus::AwaitingCommit {
                    report.running += 1;
                }
            }
        }
        self.store.write(|c| {
            jobs::mark_polled(c, &polled, now)?;
            jobs::mark_stale(c, &stale, now)
        })?;
        Ok(report)
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

    /// Finds the job of a listed task: tracked by task id, a pending job of the same volume and
    /// kind waiting for its task id, or a new `cli` job. `None` when the task belongs to a job
    /// that has already ended.
    fn claim(
        &self,
        tracked: &mut Vec<JobRecord>,
        volume: &Volume,
        task: &GlusterTask,
        now: DateTime<Utc>,
        report: &mut CycleReport,
    ) -> Result<Option<JobRecord>, PollError> {
        if let Some(i) = tracked
            .iter()
            .position(|r| r.job.gluster_task_id == Some(task.id))
        {
            return Ok(Some(tracked.swap_remove(i)));
        }
        if let Some(i) = tracked.iter().position(|r| {
            r.job.gluster_task_id.is_none()
                && r.job.volume_id == volume.id
                && r.job.kind == task.kind
        }) {
            let stale = tracked.swap_remove(i);
            // Attach only if the start has not recorded the id meanwhile (re-read, row locked):
            // writing the copy read at the start of the cycle would undo its `running`.
            let attached = self.store.write(|c| {
                let Some(mut rec) = still_active(c, stale.job.id)? else {
                    return Ok(None);
                };
                if rec.job.gluster_task_id.is_none() {
                    rec.job.gluster_task_id = Some(task.id);
                    rec.job.reason = None;
                    jobs::update(c, &rec.job)?;
                    log::info!("job {}: attached gluster task {}", rec.job.id, task.id);
                }
                Ok(Some(rec))
            })?;
            return Ok(attached);
        }
        if self.store.read(|c| jobs::by_task_id(c, task.id))?.is_some() {
            return Ok(None);
        }
        let mut job = Job::new_pending(
            task.kind,
            JobOrigin::Cli,
            volume.id,
            &volume.name,
            self.cluster.id,
            TaskParams {
                fix_layout: task.status.is_fix_layout(),
                bricks: task.bricks.clone(),
                migrate_data: task.kind == TaskKind::RemoveBrick,
                ..TaskParams::default()
            },
            now,
        );
        job.gluster_task_id = Some(task.id);
        let steps = job.initial_steps();
        match self.store.write(|c| jobs::insert(c, &job, &steps)) {
            Ok(()) => {}
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
        }
        log::info!(
            "adopted {} task {} on volume {} as job {}",
            task.kind,
            task.id,
            volume.name,
            job.id
        );
        report.adopted += 1;
        Ok(Some(JobRecord {
            job,
            steps,
            nodes: Vec::new(),
        }))
    }

    /// A pending job whose task never showed up fails once `pending_timeout` has passed.
    fn expire_pending(&self, mut rec: JobRecord, now: DateTime<Utc>) -> Result<(), PollError> {
        let waited = (now - rec.job.created_at).to_std().unwrap_or_default();
        if waited < self.settings.pending_timeout {
            return Ok(());
        }
        rec.job.reason = Some(format!(
            "the start never reached gluster: no {} task appeared on volume {} within {}s",
            rec.job.kind,
            rec.job.volume_name,
            self.settings.pending_timeout.as_secs()
        ));
        let reason = rec.job.reason.take();
        self.finish(rec.job.id, now, move |job| {
            // Still waiting for its task id: a job that got one meanwhile is not expired.
            job.gluster_task_id.is_none() && {
                job.reason = reason;
                job.transition(JobStatus::Failed, now).is_ok()
            }
        })?;
        Ok(())
    }

    /// Asks for the task's status when needed and applies what gluster says.
    fn follow(&mut self, f: Followed, now: DateTime<Utc>) -> Result<bool, PollError> {
        let Followed { rec, listed } = f;
        let implied = listed.map(|s| JobStatus::for_task(rec.job.kind, s));
        let settled = listed.is_some_and(|s| s.is_terminal())
            && implied == Some(rec.job.status)
            && rec.job.task_status == listed;
        let answer = if settled {
            StatusAnswer::NotAsked
        } else {
            self.status_call(&rec)?
        };
        let report = match &answer {
            StatusAnswer::Report(r) => Some(r),
            _ => None,
        };
        let task_id = rec.job.gluster_task_id;
        let known = match &report {
            Some(r) if r.task_id.is_none() || r.task_id == task_id => Some(r.status),
            _ => listed,
        };
        let Some(status) = known else {
            let refused = match &answer {
                StatusAnswer::Refused(m) => Some(m.as_str()),
                _ => None,
            };
            return self.missed(rec, now, refused);
        };
        self.misses.remove(&rec.job.id);
        let usable = report.filter(|r| r.task_id.is_none() || r.task_id == task_id);
        let held = match usable {
            Some(r)
                if completion(status)
                    && JobStatus::for_task(rec.job.kind, status) != rec.job.status =>
            {
                let silent = self.silent_peers(&rec, r)?;
                (!silent.is_empty()).then(|| {
                    format!(
                        "{HELD_FOR_SILENT_PEERS} {} of this volume's nodes ({}) did not report: their glusterd is or was just disconnected and their migration may still run; waiting for them",
                        silent.len(),
                        silent.join(", ")
                    )
                })
            }
            _ => None,
        };
        let status = match (&held, status) {
            (Some(_), TaskStatus::FixLayoutCompleted) => TaskStatus::FixLayoutInProgress,
            (Some(_), _) => TaskStatus::InProgress,
            (None, s) => s,
        };
        // Apply to the job as it is now: the API may have stopped or committed it while this
        // cycle was asking gluster, and an ended job never changes again. The status call may
        // have taken long: make sure no other replica polls the cluster meanwhile.
        self.keep_lease()?;
        let applied = self.store.write(|c| {
            let Some(mut fresh) = still_active(c, rec.job.id)? else {
                return Ok(None);
            };
            // gluster answered for it: whatever is written now is current, not stale.
            fresh.job.stale_since = None;
            let mut changed = reconcile::apply(c, &mut fresh, status, usable, now)?;
            let reason = match &held {
                Some(why) => Some(why.clone()),
                None if fresh
                    .job
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(HELD_FOR_SILENT_PEERS)) =>
                {
                    None
                }
                None => fresh.job.reason.clone(),
            };
            // A removal that now waits for its commit says why in the same write, so no reader
            // ever sees it waiting without a reason.
            let reason = awaiting_commit_reason(&fresh).or(reason);
            if reason != fresh.job.reason {
                fresh.job.reason = reason;
                jobs::update(c, &fresh.job)?;
                changed = true;
            }
            Ok(Some((fresh, changed)))
        })?;
        let Some((fresh, changed)) = applied else {
            return Ok(false);
        };
        let rec = fresh;
        if rec.job.kind == TaskKind::RemoveBrick && rec.job.status == JobStatus::AwaitingCommit {
            return Ok(self.awaiting_commit(rec)? || changed);
        }
        Ok(changed)
    }

    /// The nodes that should report for `rec`'s task (every node with a brick of the volume for
    /// a rebalance, the nodes of the removed bricks for a removal), are missing from `report`
    /// and whose glusterd is disconnected, by host name. GlusterFS 10.3 leaves such a node out of
    /// the report and aggregates the rest, so it says "completed" while that node's process may
    /// still migrate (it runs on without its glusterd, and starts over when glusterd returns).
    /// Asks the pool only when some expected node is missing.
    fn silent_peers(&self, rec: &JobRecord, report: &TaskReport) -> Result<Vec<String>, PollError> {
        let Some(volume) = self.store.read(|c| volumes::get(c, rec.job.volume_id))? else {
            return Ok(Vec::new());
        };
        let reported: HashSet<Uuid> = report.nodes.iter().map(|n| n.peer_id).collect();
        let missing: HashSet<Uuid> = volume
            .bricks
            .iter()
            .filter(|b| {
                rec.job.kind == TaskKind::Rebalance || rec.job.params.bricks.contains(&b.name)
            })
            .filter_map(|b| b.peer_id)
            .filter(|p| !reported.contains(p))
            .collect();
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let (down, up): (Vec<_>, Vec<_>) = self
            .cluster
            .driver
            .pool_list()?
            .into_iter()
            .filter(|p| missing.contains(&p.id))
            .partition(|p| !p.connected);
        let mut silent: Vec<String> = down.into_iter().map(|p| p.hostname).collect();
        if !up.is_empty() {
            // Missing from the report, connected now: its glusterd may have come back between
            // the two calls, its migration starting over. Ask again: a node that reports now
            // was silent in the answer being judged, which must not count as complete.
            if let StatusAnswer::Report(fresh) = self.status_call(rec)? {
                let back: HashSet<Uuid> = fresh.nodes.iter().map(|n| n.peer_id).collect();
                silent.extend(
                    up.into_iter()
                        .filter(|p| back.contains(&p.id))
                        .map(|p| p.hostname),
                );
            }
        }
        Ok(silent)
    }

    /// A task that ended outside this service: a remove-brick whose bricks have all left the
    /// volume was committed; anything else was stopped.
    fn ended_outside(&mut self, rec: JobRecord, now: DateTime<Utc>) -> Result<bool, PollError> {
        let name = self.volume_name(&rec)?;
        let (next, task, reason) = if rec.job.kind == TaskKind::RemoveBrick {
            let infos = self.cluster.driver.volume_info(Some(&name))?;
            let info = infos.iter().find(|i| i.id == rec.job.volume_id);
            let still_there = info.is_some_and(|i| {
                i.bricks
                    .iter()
                    .any(|b| rec.job.params.bricks.contains(&b.name))
            });
            if let Some(i) = info {
                let v = crate::inventory::to_volume(self.cluster.id, i, now);
                self.store.write(|c| volumes::upsert(c, &v))?;
            }
            if still_there {
                (JobStatus::Stopped, TaskStatus::Stopped, "stopped outside this service: gluster no longer has the remove-brick task and the bricks are still in the volume")
            } else {
                (JobStatus::Succeeded, TaskStatus::Completed, "committed outside this service: gluster no longer has the remove-brick task and the bricks have left the volume")
            }
        } else {
            let stopped = if rec.job.params.fix_layout {
                TaskStatus::FixLayoutStopped
            } else {
                TaskStatus::Stopped
            };
            (JobStatus::Stopped, stopped, "stopped outside this service: gluster no longer lists the rebalance and answers that none was started (gluster keeps no record of a stopped rebalance)")
        };
        log::info!("job {}: {reason}", rec.job.id);
        self.finish(rec.job.id, now, move |job| {
            job.task_status = Some(task);
            job.reason = Some(reason.to_owned());
            job.transition(next, now).is_ok()
        })
    }

    /// Changes a job that is still active, re-read inside the transaction; `change` returns
    /// whether it moved the job. Jobs that ended meanwhile are left alone.
    fn finish(
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

    /// A migration that completed: with auto-commit, commit only when every node completed
    /// with no failures; otherwise (or without auto-commit) record why it waits.
    fn awaiting_commit(&self, mut rec: JobRecord) -> Result<bool, PollError> {
        let blocker = commit_blocker(rec.job.task_status, &rec.nodes);
        if rec.job.params.auto_commit && blocker.is_none() {
            // Only the lease holder commits (and the commit step is claimed atomically).
            self.keep_lease()?;
            log::info!("job {}: migration complete, committing", rec.job.id);
            return match removal::commit(&self.store, &self.cluster, &mut rec, self.clock.as_ref())
            {
                Ok(()) => Ok(true),
                Err(e) => {
                    let reason = format!("auto-commit failed: {e}");
                    log::warn!("job {}: {reason}", rec.job.id);
                    self.set_reason(&mut rec, Some(reason))
                }
            };
        }
        let reason = awaiting_commit_reason(&rec);
        self.set_reason(&mut rec, reason)
    }

    fn set_reason(&self, rec: &mut JobRecord, reason: Option<String>) -> Result<bool, PollError> {
        if rec.job.reason == reason {
            return Ok(false);
        }
        rec.job.reason = reason;
        let job = rec.job.clone();
        self.store.write(|c| jobs::update(c, &job))?;
        Ok(true)
    }

    /// The job's volume name as a validated CLI argument.
    fn volume_name(&self, rec: &JobRecord) -> Result<VolumeName, PollError> {
        VolumeName::parse(&rec.job.volume_name).map_err(|e| {
            PollError::Driver(DriverError::Transport {
                host: self.cluster.name.clone(),
                message: e.to_string(),
            })
        })
    }

    /// One status call for a followed task.
    fn status_call(&self, rec: &JobRecord) -> Result<StatusAnswer, PollError> {
        let name = self.volume_name(rec)?;
        let answer = match rec.job.kind {
            TaskKind::Rebalance => self.cluster.driver.rebalance_status(&name),
            TaskKind::RemoveBrick => {
                let bricks = rec
                    .job
                    .params
                    .bricks
                    .iter()
                    .map(|b| BrickName::parse(b))
                    .collect::<Result<Vec<_>, _>>();
                match bricks {
                    Ok(b) if !b.is_empty() => self.cluster.driver.remove_brick_status(&name, &b),
                    // No usable brick list: the listed status is all there is to follow.
                    _ => return Ok(StatusAnswer::NotAsked),
                }
            }
        };
        match answer {
            Ok(r) => Ok(StatusAnswer::Report(r)),
            // Gluster answered that it knows no such task: that is a miss, not a failed query.
            Err(DriverError::Gluster { message, .. }) => {
                log::info!("job {}: status refused: {message}", rec.job.id);
                Ok(StatusAnswer::Refused(message))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The task was neither listed nor known. After several misses in a row: if gluster
    /// answered that no such task was started — what gluster 10.3 says of a task stopped (or a
    /// removal committed) outside this service, since it keeps no record of it — the job ends
    /// the way the volume shows. Otherwise it becomes `unknown`, but only once the task has been
    /// missing for `vanish_misses` cycles and for `vanish_grace` at least.
    fn missed(
        &mut self,
        mut rec: JobRecord,
        now: DateTime<Utc>,
        refused: Option<&str>,
    ) -> Result<bool, PollError> {
        let miss = self.misses.entry(rec.job.id).or_insert(Miss {
            count: 0,
            since: now,
        });
        miss.count += 1;
        let Miss { count, since } = *miss;
        if rec.job.status == JobStatus::Unknown {
            return Ok(false);
        }
        // "Rebalance not started for volume X." / "remove-brick not started for volume X." (not
        // "Volume X is not started", which is about the volume).
        let not_started = refused.is_some_and(|m| m.contains("not started for volume"));
        if not_started && count >= NOT_STARTED_AFTER_MISSES {
            self.misses.remove(&rec.job.id);
            return self.ended_outside(rec, now);
        }
        let missing_for = (now - since).to_std().unwrap_or_default();
        if count < self.settings.vanish_misses || missing_for < self.settings.vanish_grace {
            return Ok(false);
        }
        rec.job.reason = Some(format!(
            "gluster no longer reports task {} on volume {} ({} polls in a row over {}s){}",
            rec.job
                .gluster_task_id
                .map(|t| t.to_string())
                .unwrap_or_default(),
            rec.job.volume_name,
            count,
            missing_for.as_secs(),
            refused
                .map(|m| format!("; it answers: {m}"))
                .unwrap_or_default()
        ));
        let reason = rec.job.reason.take();
        self.finish(rec.job.id, now, move |job| {
            job.reason = reason;
            job.transition(JobStatus::Unknown, now).is_ok()
        })
    }
}

/// A status that ends the task's work successfully (a removal then awaits its commit).
fn completion(status: TaskStatus) -> bool {
    matches!(
        status,
        TaskStatus::Completed | TaskStatus::FixLayoutCompleted
    )
}

/// The job, re-read inside the current transaction, unless it has ended meanwhile.
fn still_active(
    c: &mut persistence::DbConnection,
    id: Uuid,
) -> Result<Option<JobRecord>, persistence::PersistenceError> {
    Ok(jobs::get_for_update(c, id)?.filter(|r| !r.job.status.is_terminal()))
}

/// What a status call learned.
enum StatusAnswer {
    /// gluster reported the task.
    Report(TaskReport),
    /// gluster answered that it has no such task (its message).
    Refused(String),
    /// No call was needed or possible.
    NotAsked,
}

enum Signal {
    Wake,
    Stop,
}

/// Handle of a running poller thread.
#[derive(Debug)]
pub struct PollerHandle {
    signal: Sender<Signal>,
    thread: Option<JoinHandle<()>>,
}

/// The configured clusters and their poller threads.
#[derive(Debug, Default)]
pub struct Scheduler {
    clusters: HashMap<Uuid, ClusterContext>,
    pollers: Mutex<HashMap<Uuid, PollerHandle>>,
}

impl Scheduler {
    /// A scheduler over `clusters` (no threads yet).
    pub fn new(clusters: Vec<ClusterContext>) -> Self {
        Self {
            clusters: clusters.into_iter().map(|c| (c.id, c)).collect(),
            pollers: Mutex::new(HashMap::new()),
        }
    }

    /// A configured cluster.
    pub fn cluster(&self, id: Uuid) -> Option<ClusterContext> {
        self.clusters.get(&id).cloned()
    }

    /// All configured clusters, by name.
    pub fn clusters(&self) -> Vec<ClusterContext> {
        let mut v: Vec<_> = self.clusters.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Starts one poller thread per cluster. With several replicas on one database, each
    /// thread polls only while its replica holds the cluster's lease (see [`LeaseKeeper`]).
    pub fn start(
        &self,
        store: &Store,
        clock: Arc<dyn Clock>,
        settings: PollSettings,
        replica: &Replica,
    ) {
        let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        let total = self.clusters.len();
        for cluster in self.clusters.values() {
            if pollers.contains_key(&cluster.id) {
                continue;
            }
            let (tx, rx) = mpsc::channel();
            let keeper = LeaseKeeper::new(
                store.clone(),
                clock.clone(),
                replica.clone(),
                cluster.id,
                total,
            );
            let poller =
                ClusterPoller::new(cluster.clone(), store.clone(), clock.clone(), settings)
                    .with_lease(keeper.clone());
            let name = cluster.name.clone();
            let spawned = thread::Builder::new()
                .name(format!("poll-{name}"))
                .spawn(move || poll_loop(poller, keeper, settings, &name, &rx));
            match spawned {
                Ok(thread) => {
                    pollers.insert(
                        cluster.id,
                        PollerHandle {
                            signal: tx,
                            thread: Some(thread),
                        },
                    );
                }
                Err(e) => log::error!("cannot start the poller of {}: {e}", cluster.name),
            }
        }
    }

    /// Asks the cluster's poller to run a cycle now.
    pub fn wake(&self, cluster_id: Uuid) {
        let pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pollers.get(&cluster_id) {
            let _ = p.signal.send(Signal::Wake);
        }
    }

    /// Stops every poller and waits for its thread.
    pub fn shutdown(&self) {
        let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        for (_, mut p) in pollers.drain() {
            let _ = p.signal.send(Signal::Stop);
            if let Some(t) = p.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Why a removal job waiting for its commit waits: `None` for any other job, and for one that
/// auto-commit is about to commit.
fn awaiting_commit_reason(rec: &JobRecord) -> Option<String> {
    if rec.job.kind != TaskKind::RemoveBrick || rec.job.status != JobStatus::AwaitingCommit {
        return None;
    }
    match commit_blocker(rec.job.task_status, &rec.nodes) {
        Some(why) => Some(format!("waiting for a commit decision: {why}")),
        None if rec.job.params.auto_commit => None,
        None => Some("migration complete; commit to remove the bricks".to_owned()),
    }
}

/// The body of a cluster's poller thread: while this replica holds the cluster's lease, a cycle
/// every interval (short while tasks run, longer when idle, backing off after failures); the
/// lease is renewed at least three times per lease length, cycle or not. On stop, the lease is
/// given up so another replica takes over at once.
fn poll_loop(
    mut poller: ClusterPoller,
    keeper: LeaseKeeper,
    settings: PollSettings,
    name: &str,
    signal: &mpsc::Receiver<Signal>,
) {
    let renew_every = keeper.replica().lease / 3;
    let mut failures: u32 = 0;
    let mut holding = false;
    let mut next_cycle = std::time::Instant::now();
    loop {
        let held = match keeper.hold() {
            Ok(h) => h,
            Err(e) => {
                log::warn!("cluster {name}: cannot take or renew the lease: {e}");
                false
            }
        };
        if held != holding {
            log::info!(
                "cluster {name}: replica {} {} polling",
                keeper.replica().id,
                if held { "starts" } else { "stops" }
            );
            holding = held;
            next_cycle = std::time::Instant::now();
        }
        if held && std::time::Instant::now() >= next_cycle {
            let wait = match poller.run_cycle() {
                Ok(r) => {
                    if failures > 0 {
                        log::info!("cluster {name}: polling recovered");
                    }
                    failures = 0;
                    if r.running > 0 {
                        settings.active_interval
                    } else {
                        settings.idle_interval
                    }
                }
                Err(PollError::LeaseLost) => {
                    holding = false;
                    Duration::ZERO
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(settings, failures);
                    log::warn!(
                        "cluster {name}: poll cycle failed ({failures} in a row), next try in {wait:?}: {e}"
                    );
                    wait
                }
            };
            next_cycle = std::time::Instant::now() + wait;
        }
        let until_cycle = next_cycle.saturating_duration_since(std::time::Instant::now());
        let sleep = if held {
            until_cycle.min(renew_every)
        } else {
            renew_every
        };
        match signal.recv_timeout(sleep) {
            Ok(Signal::Wake) => next_cycle = std::time::Instant::now(),
            Err(RecvTimeoutError::Timeout) => {}
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    keeper.release();
}

/// The wait after `failures` failed cycles in a row: doubling from the active interval.
pub fn backoff(settings: PollSettings, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(16));
    settings
        .active_interval
        .saturating_mul(factor)
        .min(settings.max_backoff)
}
