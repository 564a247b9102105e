//! The progress of a followed job after a status report: the estimator's figures for the job
//! and its nodes, the samples to keep, and the timeline entries of stalls that began or
//! ended. Pure: the cycle reads the history and the sizing, and writes what this returns.

use super::verdict::Update;
use chrono::{DateTime, Utc};
use domain::estimate::rate::{self, Inputs};
use domain::estimate::{EstimateRules, JobProgress, NodeEstimate, ProgressSample, Sizing};
use domain::timeline::actors;
use domain::{JobStatus, NodeProgress, TimelineEntry, TimelineKind};
use persistence::JobRecord;
use uuid::Uuid;

/// What the cycle measured for a job besides its status report.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// How the task was sized (`None`: not sized).
    pub sizing: Option<Sizing>,
}

/// The progress after one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Progressed {
    /// The job's figures.
    pub job: JobProgress,
    /// The nodes' figures, one per reported node.
    pub nodes: Vec<NodeEstimate>,
    /// Samples to record (empty when no node moved: history keeps what changed).
    pub samples: Vec<ProgressSample>,
    /// Stalls that began or ended, for the timeline.
    pub timeline: Vec<TimelineEntry>,
}

/// The progress of `rec` after the verdict's update `u` (whose report gave `nodes`), the job
/// being in state `status` afterwards. `history` holds its recent samples.
#[allow(clippy::too_many_arguments)]
pub fn after_report(
    rec: &JobRecord,
    u: &Update,
    nodes: &[NodeProgress],
    status: JobStatus,
    measured: &Measured,
    history: &[ProgressSample],
    now: DateTime<Utc>,
    rules: EstimateRules,
) -> Progressed {
    let none = Sizing::default();
    let sizing = measured.sizing.as_ref().unwrap_or(&none);
    let mut est = rate::estimate(&Inputs {
        status,
        sizing,
        nodes,
        kind: rec.job.kind,
        marks: &u.marks,
        history,
        previous: &rec.job.progress,
        previous_nodes: &rec.estimates,
        held: !u.tracking.held_for.is_empty(),
        now,
        rules,
    });
    est.job.settle(status);
    let moved = nodes != rec.nodes.as_slice();
    let stalls = |es: &[NodeEstimate]| -> Vec<(Uuid, bool)> {
        es.iter()
            .map(|e| (e.peer_id, e.stalled_since.is_some()))
            .collect()
    };
    if !moved && status == rec.job.status && stalls(&est.nodes) == stalls(&rec.estimates) {
        // Nothing moved: the figures stay as they were (an idle window's rate would drift and
        // change the job at every poll).
        return Progressed {
            job: rec.job.progress.clone(),
            nodes: rec.estimates.clone(),
            samples: Vec::new(),
            timeline: Vec::new(),
        };
    }
    let mut timeline = Vec::new();
    for (n, e) in nodes.iter().zip(&est.nodes) {
        let before = rec
            .estimates
            .iter()
            .find(|b| b.peer_id == n.peer_id)
            .and_then(|b| b.stalled_since);
        let kind = match (before, e.stalled_since) {
            (None, Some(_)) => TimelineKind::StallStarted,
            (Some(_), None) => TimelineKind::StallEnded,
            _ => continue,
        };
        let mut entry = TimelineEntry::new(rec.job.id, now, kind).by(Some(actors::SERVICE));
        entry.node = Some(n.name.clone());
        timeline.push(entry);
    }
    Progressed {
        job: est.job,
        nodes: est.nodes,
        samples: if moved { est.samples } else { Vec::new() },
        timeline,
    }
}

/// Whether the figures of `after` differ from `rec`'s.
pub fn changed(rec: &JobRecord, after: &Progressed) -> bool {
    rec.job.progress != after.job || rec.estimates != after.nodes
}

/// What a report adds to the timeline besides the state change the store records: files
/// that failed or were skipped, once the task's work ended; and why an auto-commit waits,
/// whenever that changes. `before` is the job's state and reason before the report.
pub fn report_entries(
    rec: &JobRecord,
    before: (JobStatus, Option<String>),
    u: &Update,
    now: DateTime<Utc>,
) -> Vec<TimelineEntry> {
    let job = &rec.job;
    let entry = |kind| TimelineEntry::new(job.id, now, kind).by(Some(actors::SERVICE));
    let mut out = Vec::new();
    let work_ended = job.status != before.0
        && (job.status.is_terminal() || job.status == JobStatus::AwaitingCommit);
    if work_ended {
        let failures: i64 = rec.nodes.iter().map(|n| n.failures).sum();
        let skipped: i64 = rec.nodes.iter().map(|n| n.skipped).sum();
        let files = |n: i64, what: &str| {
            let s = if n == 1 { "" } else { "s" };
            (n > 0).then(|| format!("{n} file{s} {what}"))
        };
        let said: Vec<String> = [
            files(failures, "failed to migrate"),
            files(skipped, "skipped"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !said.is_empty() {
            out.push(entry(TimelineKind::Warning).saying(said.join(", ")));
        }
    }
    let waiting = job.status == JobStatus::AwaitingCommit && job.params.auto_commit && !u.commit;
    if waiting && job.reason != before.1 {
        if let Some(why) = &job.reason {
            out.push(entry(TimelineKind::AutoCommitWaiting).saying(why.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::estimate::stall::Mark;
    use domain::estimate::{Basis, NodeWork};
    use domain::{Job, JobOrigin, TaskKind, TaskParams, TaskStatus, Tracking};
    use std::time::Duration;

    const N1: Uuid = Uuid::from_u128(1);

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn node(scanned: i64, status: TaskStatus) -> NodeProgress {
        NodeProgress {
            peer_id: N1,
            name: "server1".into(),
            files: 0,
            size_bytes: 0,
            scanned,
            failures: 0,
            skipped: 0,
            status,
            runtime_secs: scanned as f64,
        }
    }

    fn record(status: JobStatus, nodes: Vec<NodeProgress>, stalled: bool) -> JobRecord {
        let mut job = Job::new_pending(
            TaskKind::RemoveBrick,
            JobOrigin::Api,
            Uuid::from_u128(7),
            "dist",
            Uuid::from_u128(8),
            TaskParams {
                auto_commit: true,
                ..TaskParams::default()
            },
            t(0),
        );
        job.status = status;
        JobRecord {
            job,
            steps: Vec::new(),
            estimates: vec![NodeEstimate {
                peer_id: N1,
                progressed_at: Some(t(0)),
                stalled_since: stalled.then(|| t(0)),
                ..NodeEstimate::default()
            }],
            nodes,
            change_seq: 1,
        }
    }

    fn update(stalled: bool) -> Update {
        Update {
            status: TaskStatus::InProgress,
            nodes: None,
            tracking: Tracking::default(),
            reason: None,
            commit: false,
            marks: vec![Mark {
                peer_id: N1,
                progressed_at: t(0),
                stalled_since: stalled.then(|| t(0)),
            }],
        }
    }

    fn measured() -> Measured {
        Measured {
            sizing: Some(Sizing {
                basis: Some(Basis::Files),
                nodes: vec![NodeWork {
                    peer_id: N1,
                    basis: Basis::Files,
                    total: 100,
                }],
                note: None,
            }),
        }
    }

    fn run(rec: &JobRecord, u: &Update, now_nodes: &[NodeProgress]) -> Progressed {
        let rules = EstimateRules {
            window: Duration::from_secs(60),
            min_span: Duration::from_secs(1),
            stall_after: Duration::from_secs(10),
        };
        after_report(
            rec,
            u,
            now_nodes,
            JobStatus::Running,
            &measured(),
            &[],
            t(100),
            rules,
        )
    }

    #[test]
    fn stalls_that_begin_or_end_go_on_the_timeline_and_a_still_poll_changes_nothing() {
        let running = |n| node(n, TaskStatus::InProgress);
        // (stalled before, stalled now, moved) -> (entry, figures changed)
        let rows = [
            (false, true, false, Some(TimelineKind::StallStarted), true),
            (true, false, true, Some(TimelineKind::StallEnded), true),
            (false, false, true, None, true),
            (false, false, false, None, false),
            (true, true, false, None, false),
        ];
        for (i, (before, now, moved, entry, changed)) in rows.into_iter().enumerate() {
            let rec = record(JobStatus::Running, vec![running(10)], before);
            let after = if moved { running(20) } else { running(10) };
            let p = run(&rec, &update(now), &[after]);
            let kinds: Vec<TimelineKind> = p.timeline.iter().map(|e| e.kind).collect();
            assert_eq!(kinds, entry.into_iter().collect::<Vec<_>>(), "row {i}");
            assert!(
                p.timeline
                    .iter()
                    .all(|e| e.node.as_deref() == Some("server1")),
                "row {i}"
            );
            assert_eq!(super::changed(&rec, &p), changed, "row {i}");
            assert_eq!(
                p.samples.is_empty(),
                !moved,
                "row {i}: samples only when it moved"
            );
        }
    }

    #[test]
    fn the_end_of_the_work_warns_of_failed_files_and_auto_commit_says_why_it_waits() {
        let mut failed = node(100, TaskStatus::Completed);
        failed.failures = 3;
        let mut rec = record(JobStatus::AwaitingCommit, vec![failed], false);
        rec.job.reason = Some("3 files failed to migrate; commit would lose them".into());
        let before = (JobStatus::Running, None);
        let kinds = |e: Vec<TimelineEntry>| -> Vec<(TimelineKind, Option<String>)> {
            e.into_iter().map(|e| (e.kind, e.message)).collect()
        };
        assert_eq!(
            kinds(report_entries(&rec, before.clone(), &update(false), t(5))),
            [
                (
                    TimelineKind::Warning,
                    Some("3 files failed to migrate".into())
                ),
                (
                    TimelineKind::AutoCommitWaiting,
                    Some("3 files failed to migrate; commit would lose them".into())
                ),
            ]
        );
        // Nothing new at the next poll: same state, same reason.
        let again = (JobStatus::AwaitingCommit, rec.job.reason.clone());
        assert!(report_entries(&rec, again, &update(false), t(6)).is_empty());
        // About to commit: no wait to explain.
        let committing = Update {
            commit: true,
            ..update(false)
        };
        assert_eq!(
            kinds(report_entries(&rec, before, &committing, t(5))).len(),
            1,
            "the warning only"
        );
    }
}
