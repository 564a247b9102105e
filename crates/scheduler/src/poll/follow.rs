//! Following one job's task within a cycle: the I/O around the verdict. Asks gluster what the
//! verdict needs (the task's status, the pool when nodes are missing, the volume when a task
//! ended elsewhere), asks the verdict, and writes what it decided onto the job as it is now.

use super::cycle::{still_active, ClusterPoller, Followed};
use super::progress::{self, Measured};
use super::verdict::{self, Answer, Rules, Seen, Update, Verdict};
use crate::inventory::{name_nodes, to_volume};
use crate::{reconcile, removal, PollError};
use chrono::{DateTime, Utc};
use domain::estimate::work;
use domain::timeline::actors;
use domain::{BrickName, JobStatus, TaskKind, Volume, VolumeName};
use domain::{TimelineEntry, TimelineKind};
use gluster::DriverError;
use persistence::repo::{jobs, timeline, volumes};
use persistence::{DbConnection, JobRecord, PersistenceError};
use std::collections::HashSet;
use uuid::Uuid;

impl ClusterPoller {
    /// Follows one job: returns whether its record changed and the state it is in afterwards
    /// (`None` when it ended meanwhile through the API).
    pub(super) fn follow(
        &mut self,
        f: Followed,
        volume: Option<&Volume>,
        now: DateTime<Utc>,
    ) -> Result<(bool, Option<JobStatus>), PollError> {
        let Followed { rec, listed } = f;
        let answer = if verdict::settled(&rec.job, &rec.nodes, listed) {
            Answer::NotAsked
        } else {
            self.status_call(&rec, volume)?
        };
        let expected = volume
            .map(|v| verdict::expected_silent(&rec.job, &answer, &v.bricks))
            .unwrap_or_default();
        let silent = if expected.is_empty() {
            Vec::new()
        } else {
            self.silent_peers(&rec, volume, &expected)?
        };
        let (measured, new_sizing) = self.measure(&rec, volume, &answer)?;
        // Decide on the job as it is now: the API may have stopped or committed it while this
        // cycle was asking gluster, and an ended job never changes again. The status call may
        // have taken long: make sure no other replica polls the cluster meanwhile.
        self.keep_lease()?;
        let rules = Rules::from(&self.settings);
        let ctx = Context {
            measured: &measured,
            settings: &self.settings,
            now,
        };
        let decided = self.store.write(|c| {
            let Some(mut fresh) = still_active(c, rec.job.id)? else {
                return Ok(None);
            };
            let seen = Seen {
                listed,
                answer: &answer,
                silent: &silent,
                now,
            };
            let v = verdict::decide(&fresh.job, &fresh.nodes, &fresh.estimates, seen, rules);
            if new_sizing {
                if let Some(s) = &measured.sizing {
                    jobs::set_sizing(c, fresh.job.id, s, now)?;
                }
            }
            let changed = write_verdict(c, &mut fresh, &v, &ctx)?;
            Ok(Some((fresh, v, changed)))
        })?;
        let Some((rec, v, changed)) = decided else {
            return Ok((false, None));
        };
        match v {
            Verdict::EndedOutside => {
                let changed = self.ended_outside(&rec, now)?;
                let after = self.store.read(|c| jobs::get(c, rec.job.id))?;
                Ok((changed, after.map(|r| r.job.status)))
            }
            Verdict::Report(Update { commit: true, .. }) => {
                let status = self.auto_commit(rec)?;
                Ok((true, Some(status)))
            }
            _ => Ok((changed, Some(rec.job.status))),
        }
    }

    /// How a followed job's task was sized: read, or sized now from the bricks' usage if it
    /// never was (then the flag is set, to keep it). Usage that gluster does not give leaves
    /// the figures unknown until a later poll.
    fn measure(
        &self,
        rec: &JobRecord,
        volume: Option<&Volume>,
        answer: &Answer,
    ) -> Result<(Measured, bool), PollError> {
        let (Some(volume), Answer::Report(report)) = (volume, answer) else {
            return Ok((Measured::default(), false));
        };
        let id = rec.job.id;
        let sizing = self.store.read(|c| jobs::sizing(c, id))?;
        if sizing.is_some() || !rec.job.status.is_active() {
            return Ok((Measured { sizing }, false));
        }
        let usage = volume_name(rec).map(|n| self.cluster.driver.volume_usage(&n));
        match usage {
            // Found running (or its start could not read the usage): what it did already is
            // part of its work.
            Ok(Ok(usage)) => Ok((
                Measured {
                    sizing: Some(work::size(&rec.job, volume, &usage, &report.nodes)),
                },
                true,
            )),
            Ok(Err(e)) => {
                log::debug!("job {id}: brick usage not read: {e}");
                Ok((Measured::default(), false))
            }
            Err(_) => Ok((Measured::default(), false)),
        }
    }

    /// One status call for a followed task, its per-node rows named by peer host name.
    fn status_call(&self, rec: &JobRecord, volume: Option<&Volume>) -> Result<Answer, PollError> {
        let name = volume_name(rec)?;
        let driver = &self.cluster.driver;
        let answer = match rec.job.kind {
            TaskKind::Rebalance => driver.rebalance_status(&name),
            TaskKind::RemoveBrick => {
                let bricks = rec
                    .job
                    .params
                    .bricks
                    .iter()
                    .map(|b| BrickName::parse(b))
                    .collect::<Result<Vec<_>, _>>();
                match bricks {
                    Ok(b) if !b.is_empty() => driver.remove_brick_status(&name, &b),
                    // No usable brick list: the listed status is all there is to follow.
                    _ => return Ok(Answer::NotAsked),
                }
            }
        };
        match answer {
            Ok(mut r) => {
                name_nodes(&mut r.nodes, volume, driver.active_host().as_deref());
                Ok(Answer::Report(r))
            }
            // Gluster answered that it will not report the task: that is a miss, not a failure.
            // A refusal to retry (glusterd's lock, an exiting task daemon) left the question
            // unanswered: a failed query, never a miss.
            Err(e) => match e.refusal().filter(|r| !r.is_retryable()) {
                Some(refusal) => {
                    log::info!("job {}: status refused ({refusal:?}): {e}", rec.job.id);
                    Ok(Answer::Refused(refusal, e.to_string()))
                }
                None => Err(e.into()),
            },
        }
    }

    /// Of the `expected` peers (missing from a report that says "completed"), those whose
    /// glusterd is disconnected, by host name. GlusterFS 10.3 leaves such a node out of the
    /// report and aggregates the rest, so it says "completed" while that node's process may
    /// still migrate (it runs on without its glusterd, and starts over when glusterd returns).
    fn silent_peers(
        &self,
        rec: &JobRecord,
        volume: Option<&Volume>,
        expected: &[Uuid],
    ) -> Result<Vec<String>, PollError> {
        let (down, up): (Vec<_>, Vec<_>) = self
            .cluster
            .driver
            .pool_list()?
            .into_iter()
            .filter(|p| expected.contains(&p.id))
            .partition(|p| !p.connected);
        let mut silent: Vec<String> = down.into_iter().map(|p| p.hostname).collect();
        if !up.is_empty() {
            // Missing from the report, connected now: its glusterd may have come back between
            // the two calls, its migration starting over. Ask again: a node that reports now
            // was silent in the answer being judged, which must not count as complete.
            if let Answer::Report(fresh) = self.status_call(rec, volume)? {
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
    fn ended_outside(&mut self, rec: &JobRecord, now: DateTime<Utc>) -> Result<bool, PollError> {
        let still_there = if rec.job.kind == TaskKind::RemoveBrick {
            let name = volume_name(rec)?;
            let infos = self.cluster.driver.volume_info(Some(&name))?;
            let info = infos.iter().find(|i| i.id == rec.job.volume_id);
            if let Some(i) = info {
                let v = to_volume(self.cluster.id, i, now);
                self.store.write(|c| volumes::upsert(c, &v))?;
            }
            info.is_some_and(|i| {
                i.bricks
                    .iter()
                    .any(|b| rec.job.params.bricks.contains(&b.name))
            })
        } else {
            false
        };
        let (next, task, reason) = verdict::ended_outside(&rec.job, still_there);
        log::info!("job {}: {reason}", rec.job.id);
        self.finish(rec.job.id, now, move |job| {
            job.task_status = Some(task);
            job.reason = Some(reason.to_owned());
            job.tracking = domain::Tracking::default();
            job.transition(next, now).is_ok()
        })
    }

    /// A migration that completed cleanly with auto-commit on: commit it (only the lease holder
    /// does, and the commit step is claimed atomically). A failure is recorded as the reason and
    /// tried again at the next poll. Returns the job's state afterwards.
    fn auto_commit(&self, mut rec: JobRecord) -> Result<JobStatus, PollError> {
        self.keep_lease()?;
        log::info!("job {}: migration complete, committing", rec.job.id);
        let id = rec.job.id;
        let entry = |kind| TimelineEntry::new(id, self.clock.now(), kind).by(Some(actors::SERVICE));
        // The decision is entered with the commit's success (right before the state change it
        // makes); a failed attempt enters gluster's refusal instead, once per distinct failure,
        // so retries at every poll do not repeat themselves on the timeline.
        let decided = entry(TimelineKind::AutoCommitted);
        match removal::commit(
            &self.store,
            &self.cluster,
            &mut rec,
            self.clock.as_ref(),
            Some(&decided),
        ) {
            Ok(()) => Ok(rec.job.status),
            Err(e) => {
                let reason = format!("auto-commit failed: {e}");
                log::warn!("job {}: {reason}", rec.job.id);
                self.store.write(|c| {
                    if let Some(mut fresh) = still_active(c, id)? {
                        if fresh.job.reason.as_deref() != Some(reason.as_str()) {
                            timeline::append(
                                c,
                                &entry(TimelineKind::Refused).saying(e.to_string()),
                            )?;
                        }
                        fresh.job.reason = Some(reason.clone());
                        jobs::update(c, &fresh.job)?;
                    }
                    Ok(())
                })?;
                Ok(JobStatus::AwaitingCommit)
            }
        }
    }
}

/// What writing a verdict needs besides the verdict.
struct Context<'a> {
    measured: &'a Measured,
    settings: &'a crate::PollSettings,
    now: DateTime<Utc>,
}

/// Writes a verdict onto `rec` (re-read in this transaction); returns whether the job's
/// record changed in a way its readers see.
fn write_verdict(
    c: &mut DbConnection,
    rec: &mut JobRecord,
    v: &Verdict,
    ctx: &Context<'_>,
) -> Result<bool, PersistenceError> {
    let now = ctx.now;
    match v {
        Verdict::Report(u) => {
            // gluster answered for it: whatever is written now is current, not stale.
            rec.job.stale_since = None;
            let before = (rec.job.status, rec.job.reason.clone());
            let progressed = match &u.nodes {
                Some(nodes) => {
                    let next = JobStatus::for_task(rec.job.kind, u.status);
                    let status = if rec.job.status.can_become(next) {
                        next
                    } else {
                        rec.job.status
                    };
                    let rules = ctx.settings.estimate_rules();
                    let from = now - chrono::Duration::from_std(rules.window).unwrap_or_default();
                    let history = jobs::samples_since(c, rec.job.id, from)?;
                    Some(progress::after_report(
                        rec,
                        u,
                        nodes,
                        status,
                        ctx.measured,
                        &history,
                        now,
                        rules,
                    ))
                }
                None => None,
            };
            let estimates_changed = progressed
                .as_ref()
                .is_some_and(|p| progress::changed(rec, p));
            let nodes_change = u
                .nodes
                .as_deref()
                .is_some_and(|n| n != rec.nodes.as_slice());
            if let Some(p) = &progressed {
                rec.job.progress = p.job.clone();
                rec.estimates = p.nodes.clone();
            }
            let mut changed = reconcile::apply(c, rec, u.status, u.nodes.as_deref(), now)?;
            let seen_change = rec.job.reason != u.reason
                || rec.job.tracking.stalled_since != u.tracking.stalled_since
                || rec.job.tracking.held_for != u.tracking.held_for
                || rec.job.tracking.needs_stop != u.tracking.needs_stop;
            // Node rows that changed were written by `apply` with the new estimates, and the
            // job with its new progress; only an estimate that changed alone is left to write.
            let mut update = estimates_changed && !nodes_change;
            if seen_change || rec.job.tracking != u.tracking {
                rec.job.reason = u.reason.clone();
                rec.job.tracking = u.tracking.clone();
                if seen_change {
                    rec.job.updated_at = now;
                }
                update = true;
            }
            if estimates_changed && !nodes_change {
                jobs::set_nodes(c, rec.job.id, &rec.nodes, &rec.estimates, now)?;
            }
            if update {
                jobs::update(c, &rec.job)?;
            }
            if let Some(p) = progressed {
                if !p.samples.is_empty() {
                    jobs::record_samples(c, rec.job.id, &p.samples, ctx.settings.history_polls)?;
                }
                for e in &p.timeline {
                    timeline::append(c, e)?;
                }
            }
            for e in progress::report_entries(rec, before, u, now) {
                timeline::append(c, &e)?;
            }
            changed |= seen_change || estimates_changed;
            Ok(changed)
        }
        Verdict::Missing(tracking) => {
            rec.job.tracking = tracking.clone();
            jobs::update(c, &rec.job)?;
            Ok(false)
        }
        Verdict::Lost { tracking, reason } => {
            rec.job.tracking = tracking.clone();
            rec.job.reason = Some(reason.clone());
            rec.job.stale_since = None;
            let _ = rec.job.transition(JobStatus::Unknown, now);
            rec.job.sync_steps(&mut rec.steps, now);
            jobs::update(c, &rec.job)?;
            jobs::update_steps(c, &rec.steps)?;
            Ok(true)
        }
        Verdict::Released { reason } => {
            rec.job.tracking.needs_stop = false;
            rec.job.reason = Some(reason.clone());
            rec.job.updated_at = now;
            jobs::update(c, &rec.job)?;
            Ok(true)
        }
        Verdict::EndedOutside | Verdict::Unchanged => Ok(false),
    }
}

/// The job's volume name as a validated CLI argument.
fn volume_name(rec: &JobRecord) -> Result<VolumeName, PollError> {
    VolumeName::parse(&rec.job.volume_name).map_err(|e| {
        PollError::Driver(DriverError::Transport {
            host: rec.job.volume_name.clone(),
            message: e.to_string(),
        })
    })
}
