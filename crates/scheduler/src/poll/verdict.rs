//! The verdict: what one poll's answers mean for a followed job. A pure function of the job,
//! what gluster listed and answered, the poller's memory of the task ([`Tracking`]) and the
//! time; no store, no CLI, no threads. Every rule of docs/tracking.md is a row of its table
//! tests (`verdict_tests/`).

use super::reasons;
use crate::PollSettings;
use chrono::{DateTime, Utc};
use domain::estimate::stall::{self, Mark};
use domain::estimate::NodeEstimate;
use domain::{commit_blocker, Job, JobStatus, NodeProgress, TaskKind, TaskStatus, Tracking};
use gluster::{Refusal, TaskReport};
use std::time::Duration;

/// Consecutive polls in which gluster must answer "not started" for a followed task before its
/// job ends the way the volume shows (stopped or committed outside this service).
pub const NOT_STARTED_AFTER_MISSES: u32 = 3;

/// The thresholds the verdict applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Polls in a row without the task before its job can become `unknown`.
    pub vanish_misses: u32,
    /// How long the task must have been missing, at least, before that.
    pub vanish_grace: Duration,
    /// How long a task gluster reports in progress may show no movement before it is stalled.
    pub stall_after: Duration,
}

impl From<&PollSettings> for Rules {
    fn from(s: &PollSettings) -> Self {
        Rules {
            vanish_misses: s.vanish_misses,
            vanish_grace: s.vanish_grace,
            stall_after: s.stall_after,
        }
    }
}

/// What gluster answered to the task's own status call.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A report: of this task, of a task without id, or of another (newer) task.
    Report(TaskReport),
    /// A refusal, classified, with gluster's own words.
    Refused(Refusal, String),
    /// No call was made: the listed status settles the job, or it has no brick list to ask with.
    NotAsked,
}

/// What one poll learned about a followed job's task.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The task's status in `volume status all tasks`, if it is listed.
    pub listed: Option<TaskStatus>,
    /// The status call's answer.
    pub answer: &'a Answer,
    /// Nodes that should have reported, did not, and whose glusterd is (or was just)
    /// disconnected, by host name (see [`expected_silent`]).
    pub silent: &'a [String],
    /// When the poll began.
    pub now: DateTime<Utc>,
}

/// The job's new state after gluster reported its task.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The task status to apply (in progress while silent nodes hold the job back).
    pub status: TaskStatus,
    /// The per-node rows to record, when the status call reported them.
    pub nodes: Option<Vec<NodeProgress>>,
    /// The poller's new memory of the task.
    pub tracking: Tracking,
    /// The reason the job carries afterwards.
    pub reason: Option<String>,
    /// A removal whose migration completed cleanly with auto-commit on: commit it now.
    pub commit: bool,
    /// When each reported node last moved, and its stall (empty without a status report).
    pub marks: Vec<Mark>,
}

/// What to do with a followed job.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Gluster reports the task: bring the job in line.
    Report(Update),
    /// Nothing reported the task this time: remember the miss.
    Missing(Tracking),
    /// Gluster has said "not started" for several polls: the task ended outside this service;
    /// how (stopped or committed) depends on the volume's bricks ([`ended_outside`]).
    EndedOutside,
    /// Lost track: the job becomes `unknown`.
    Lost {
        /// The memory of the misses.
        tracking: Tracking,
        /// Why.
        reason: String,
    },
    /// An ended removal whose task gluster held is released: gluster no longer has it.
    Released {
        /// The job's new reason.
        reason: String,
    },
    /// Nothing changes.
    Unchanged,
}

/// Whether the status call can be skipped: gluster lists the task as ended and the job already
/// shows it, with its per-node rows `nodes` (an adopted job has none until it is asked once).
pub fn settled(job: &Job, nodes: &[NodeProgress], listed: Option<TaskStatus>) -> bool {
    if job.tracking.needs_stop {
        // Listed: gluster still holds the failed removal, nothing to ask.
        return listed.is_some();
    }
    listed.is_some_and(|s| {
        s.is_terminal()
            && JobStatus::for_task(job.kind, s) == job.status
            && job.task_status == Some(s)
            && !nodes.is_empty()
    })
}

/// The report, if it speaks for the job's task (gluster omits the id when it has one task).
fn own_report<'a>(job: &Job, answer: &'a Answer) -> Option<&'a TaskReport> {
    match answer {
        Answer::Report(r) if r.task_id.is_none() || r.task_id == job.gluster_task_id => Some(r),
        _ => None,
    }
}

/// The peers that must be checked for silence: the nodes that should report for the job's
/// task (every node with a brick of the volume for a rebalance, the nodes of the removed
/// bricks for a removal) and are missing from a report that says the task completed, while
/// the job is not completed yet. Empty when no pool check is needed.
pub fn expected_silent(job: &Job, answer: &Answer, bricks: &[domain::Brick]) -> Vec<uuid::Uuid> {
    let Some(report) = own_report(job, answer) else {
        return Vec::new();
    };
    if !report.status.is_completed() || JobStatus::for_task(job.kind, report.status) == job.status {
        return Vec::new();
    }
    let mut missing: Vec<uuid::Uuid> = bricks
        .iter()
        .filter(|b| job.kind == TaskKind::Rebalance || job.params.bricks.contains(&b.name))
        .filter_map(|b| b.peer_id)
        .filter(|p| !report.nodes.iter().any(|n| n.peer_id == *p))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    missing
}

/// The verdict on `job` (with its recorded per-node rows `nodes` and their `estimates`, which
/// remember when each node last moved) after a poll saw `seen`.
pub fn decide(
    job: &Job,
    nodes: &[NodeProgress],
    estimates: &[NodeEstimate],
    seen: Seen<'_>,
    rules: Rules,
) -> Verdict {
    let report = own_report(job, seen.answer);
    let status = report.map(|r| r.status).or(seen.listed);
    if job.tracking.needs_stop {
        // Gluster holds at most one removal per volume: one it no longer reports, a report of
        // another task, or bricks and volume gone all mean it let this one go.
        let let_go = match seen.answer {
            Answer::Report(r) => r.task_id.is_some() && r.task_id != job.gluster_task_id,
            Answer::Refused(r, _) => matches!(
                r,
                Refusal::NotStarted | Refusal::Invalid | Refusal::VolumeMissing
            ),
            Answer::NotAsked => false,
        };
        return if status.is_none() && let_go {
            Verdict::Released {
                reason: reasons::released(nodes, "outside this service"),
            }
        } else {
            Verdict::Unchanged
        };
    }
    match status {
        Some(status) => Verdict::Report(reported(
            job,
            (nodes, estimates),
            report,
            status,
            seen,
            rules,
        )),
        None => missed(job, seen, rules),
    }
}

/// In progress, of the same flavour (fix-layout or not) as `status`.
fn in_progress_like(status: TaskStatus) -> TaskStatus {
    if status.is_fix_layout() {
        TaskStatus::FixLayoutInProgress
    } else {
        TaskStatus::InProgress
    }
}

fn reported(
    job: &Job,
    (recorded, estimates): (&[NodeProgress], &[NodeEstimate]),
    report: Option<&TaskReport>,
    status: TaskStatus,
    seen: Seen<'_>,
    rules: Rules,
) -> Update {
    let now = seen.now;
    let held = report.is_some()
        && status.is_completed()
        && JobStatus::for_task(job.kind, status) != job.status
        && !seen.silent.is_empty();
    let applied = if held {
        in_progress_like(status)
    } else {
        status
    };
    let nodes_after: &[NodeProgress] = report.map_or(recorded, |r| r.nodes.as_slice());
    // Each node's own movement: the task is stalled once one of its running nodes has not
    // moved for the threshold (the others may go on). Only what gluster's reports measured
    // can show a stall; a listed status alone cannot.
    let marks = report.map_or_else(Vec::new, |r| {
        stall::marks(
            recorded,
            estimates,
            &r.nodes,
            job.tracking.progressed_at,
            now,
            rules.stall_after,
        )
    });
    let progressed_at = match report {
        Some(_) => stall::latest_progress(&marks).unwrap_or(now),
        None => job.tracking.progressed_at.unwrap_or(now),
    };
    let stalled_since = stall::earliest(&marks).filter(|_| applied.is_running() && !held);
    let stalled = stalled_since.is_some();
    let next = JobStatus::for_task(job.kind, applied);
    let needs_stop = job.kind == TaskKind::RemoveBrick && next == JobStatus::Failed;
    let tracking = Tracking {
        held_for: if held {
            seen.silent.to_vec()
        } else {
            Vec::new()
        },
        misses: 0,
        missing_since: None,
        progressed_at: Some(progressed_at),
        stalled_since,
        needs_stop,
    };
    let blocker = commit_blocker(Some(applied), nodes_after);
    let was_explained = !job.tracking.held_for.is_empty()
        || job.tracking.stalled_since.is_some()
        || job.status == JobStatus::Unknown;
    let reason = if held {
        Some(reasons::held(seen.silent))
    } else if stalled {
        Some(reasons::stalled(nodes_after, &marks, now))
    } else if next == JobStatus::Failed {
        Some(reasons::failed(job.kind, nodes_after, needs_stop))
    } else if next == JobStatus::AwaitingCommit && job.params.auto_commit && blocker.is_none() {
        // About to commit: keep what the last attempt said (a failed auto-commit), so a retry
        // that fails the same way changes nothing.
        job.reason.clone()
    } else if next == JobStatus::AwaitingCommit {
        reasons::awaiting_commit(job, blocker.clone())
    } else if was_explained || next.is_terminal() {
        None
    } else {
        job.reason.clone()
    };
    Update {
        status: applied,
        nodes: report.map(|r| r.nodes.clone()),
        tracking,
        reason,
        commit: next == JobStatus::AwaitingCommit && job.params.auto_commit && blocker.is_none(),
        marks,
    }
}

fn missed(job: &Job, seen: Seen<'_>, rules: Rules) -> Verdict {
    if job.status == JobStatus::Unknown {
        return Verdict::Unchanged;
    }
    let misses = job.tracking.misses.saturating_add(1);
    let since = job.tracking.missing_since.unwrap_or(seen.now);
    let refusal = match seen.answer {
        Answer::Refused(kind, words) => Some((*kind, words.as_str())),
        _ => None,
    };
    let not_started = refusal.is_some_and(|(k, _)| k == Refusal::NotStarted);
    if not_started && misses >= NOT_STARTED_AFTER_MISSES {
        return Verdict::EndedOutside;
    }
    let tracking = Tracking {
        misses,
        missing_since: Some(since),
        ..job.tracking.clone()
    };
    if not_started {
        // "Not started" ends the job the way the volume shows, never as `unknown`, whatever
        // the vanish settings.
        return Verdict::Missing(tracking);
    }
    let missing_for = (seen.now - since).to_std().unwrap_or_default();
    if misses < rules.vanish_misses || missing_for < rules.vanish_grace {
        return Verdict::Missing(tracking);
    }
    let reason = reasons::lost(job, misses, missing_for, refusal.map(|(_, w)| w));
    Verdict::Lost { tracking, reason }
}

/// How a task that ended outside this service ended: a removal whose bricks have all left
/// the volume was committed; anything else was stopped. Returns the job state, the task
/// status to record and the reason.
pub fn ended_outside(job: &Job, bricks_still_there: bool) -> (JobStatus, TaskStatus, &'static str) {
    let (next, task) = match job.kind {
        TaskKind::RemoveBrick if bricks_still_there => (JobStatus::Stopped, TaskStatus::Stopped),
        TaskKind::RemoveBrick => (JobStatus::Succeeded, TaskStatus::Completed),
        TaskKind::Rebalance if job.params.fix_layout => {
            (JobStatus::Stopped, TaskStatus::FixLayoutStopped)
        }
        TaskKind::Rebalance => (JobStatus::Stopped, TaskStatus::Stopped),
    };
    (next, task, reasons::ended_outside(job.kind, next))
}

/// A pending job whose task gluster does not list: the reason it fails with, once it has
/// waited `timeout` since it was written.
pub fn pending_expired(job: &Job, now: DateTime<Utc>, timeout: Duration) -> Option<String> {
    let waited = (now - job.created_at).to_std().unwrap_or_default();
    (job.gluster_task_id.is_none() && waited >= timeout)
        .then(|| reasons::never_started(job, timeout))
}

#[cfg(test)]
#[path = "verdict_tests/mod.rs"]
mod tests;
