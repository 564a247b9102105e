//! Progress as the API shows it: the job's and each node's estimate, the history for
//! plotting (`GET /jobs/{id}/progress`), the timeline (`GET /jobs/{id}/timeline`) and the
//! `progress` event of the event streams.

use super::job_href;
use chrono::{DateTime, Utc};
use domain::estimate::series::Point;
use domain::estimate::{Basis, JobProgress, NodeEstimate, ProgressNote, Sizing};
use domain::{JobStatus, TimelineKind};
use persistence::repo::timeline::TimelineRecord;
use persistence::JobRecord;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// How far along a job's task is, and when it should end.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = JobProgress)]
pub struct JobProgressDto {
    /// Percent done, 0 to 100 (100 only once gluster reports the work complete); `null` until
    /// it can be honest, `note` saying why.
    pub percent: Option<f64>,
    /// When the task should end: the slowest node's estimate, from its rate over the recent
    /// window. `null` while measuring, stalled, waiting for nodes, or without a basis.
    pub estimated_end_at: Option<DateTime<Utc>>,
    /// Work per second over the recent window, summed over the running nodes, in `basis`
    /// units (files).
    pub rate: Option<f64>,
    /// What `percent` and `rate` count: `files` — scanned against the files on the node's
    /// bricks (rebalance), or moved, failed and skipped against the files on the bricks being
    /// removed (remove-brick); `null` when not measurable (fix-layout, shared filesystems,
    /// usage not reported).
    pub basis: Option<Basis>,
    /// Set while a node of the task has not moved for `poll.stall_after_secs`: since when.
    pub stalled_since: Option<DateTime<Utc>>,
    /// Why a figure is missing, or what to bear in mind, in words (`null` when nothing).
    pub note: Option<String>,
    /// The same as a stable code, for programs.
    pub note_code: Option<ProgressNote>,
}

impl JobProgressDto {
    /// The job's progress of `rec`.
    pub fn of(rec: &JobRecord) -> Self {
        let p: &JobProgress = &rec.job.progress;
        JobProgressDto {
            percent: p.percent.map(round2),
            estimated_end_at: p.estimated_end_at,
            rate: p.rate.map(round2),
            basis: p.basis,
            stalled_since: rec.job.tracking.stalled_since,
            note: p.note.map(|n| n.text().to_owned()),
            note_code: p.note,
        }
    }
}

/// Two decimals are all a person needs, and keep the JSON stable between polls.
pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One node's estimate, beside its counters.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = NodeEstimate)]
pub struct NodeEstimateDto {
    /// Percent of the node's work done (100 once it completed); `null` when not sized.
    pub percent: Option<f64>,
    /// When the node should end at its recent rate.
    pub estimated_end_at: Option<DateTime<Utc>>,
    /// Work per second over the recent window (the job's `basis` units).
    pub rate: Option<f64>,
    /// Set while the node runs and has not moved for the stall threshold: since when.
    pub stalled_since: Option<DateTime<Utc>>,
    /// Work done, in the job's `basis` units.
    pub work_done: i64,
    /// The node's work as sized at the start, in `basis` units; `null` when not sized.
    pub work_total: Option<i64>,
}

impl NodeEstimateDto {
    /// The estimate `e` (an unsized, empty one when `None`).
    pub fn of(e: Option<&NodeEstimate>) -> Self {
        NodeEstimateDto {
            percent: e.and_then(|e| e.percent).map(round2),
            estimated_end_at: e.and_then(|e| e.estimated_end_at),
            rate: e.and_then(|e| e.rate).map(round2),
            stalled_since: e.and_then(|e| e.stalled_since),
            work_done: e.map_or(0, |e| e.done),
            work_total: e.and_then(|e| e.total),
        }
    }
}

/// A node's estimate in a `progress` event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NodeProgressEvent)]
pub struct NodeProgressEventDto {
    /// Gluster's peer UUID.
    pub peer_id: Uuid,
    /// The node's name.
    pub name: String,
    /// Its estimate.
    pub estimate: NodeEstimateDto,
}

/// The data of an `event: progress` of the event streams: enough to draw a progress bar per
/// node without the whole job.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgressEvent)]
pub struct ProgressEventDto {
    /// The job.
    pub job_id: Uuid,
    /// The job's state.
    pub status: JobStatus,
    /// The job's progress.
    pub progress: JobProgressDto,
    /// Each node's.
    pub nodes: Vec<NodeProgressEventDto>,
}

impl ProgressEventDto {
    /// The progress event of `rec`.
    pub fn of(rec: &JobRecord) -> Self {
        ProgressEventDto {
            job_id: rec.job.id,
            status: rec.job.status,
            progress: JobProgressDto::of(rec),
            nodes: rec
                .nodes
                .iter()
                .map(|n| NodeProgressEventDto {
                    peer_id: n.peer_id,
                    name: n.name.clone(),
                    estimate: NodeEstimateDto::of(
                        rec.estimates.iter().find(|e| e.peer_id == n.peer_id),
                    ),
                })
                .collect(),
        }
    }
}

/// One node's counters at one instant of the history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgressSample)]
pub struct SampleDto {
    /// Gluster's peer UUID.
    pub peer_id: Uuid,
    /// Work done, in the job's `basis` units.
    pub work_done: i64,
    /// Files moved.
    pub files: i64,
    /// Bytes moved.
    pub size_bytes: i64,
    /// Files scanned.
    pub scanned: i64,
    /// Files that failed to move.
    pub failures: i64,
    /// The node's run time, seconds.
    pub runtime_secs: f64,
}

/// One instant of a job's history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgressPoint)]
pub struct PointDto {
    /// When the poll saw it.
    pub at: DateTime<Utc>,
    /// Percent of the sized work done then; `null` when the task was not sized.
    pub percent: Option<f64>,
    /// Work done over all nodes, in `basis` units.
    pub work_done: i64,
    /// The nodes whose counters changed at this instant.
    pub nodes: Vec<SampleDto>,
}

/// A node's work as sized at the start.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NodeWork)]
pub struct NodeWorkDto {
    /// Gluster's peer UUID.
    pub peer_id: Uuid,
    /// Its work, in `basis` units.
    pub total: i64,
}

/// `GET /jobs/{job_id}/progress`: a job's progress history, for plotting.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProgressHistory)]
pub struct ProgressHistoryDto {
    /// The job.
    pub job_id: Uuid,
    /// Link to it.
    pub job_href: String,
    /// What the work is counted in; `null` when the task was not sized.
    pub basis: Option<Basis>,
    /// Each node's work as sized at the start (empty when not sized).
    pub work: Vec<NodeWorkDto>,
    /// The job's progress now.
    pub progress: JobProgressDto,
    /// The history, oldest first: one point per poll at which something moved. Long jobs keep
    /// every recent poll and an even spread of older ones (at most `poll.history_polls`).
    pub points: Vec<PointDto>,
}

impl ProgressHistoryDto {
    /// The history of `rec`, sized as `sizing`, from its `points`.
    pub fn of(rec: &JobRecord, sizing: Option<&Sizing>, points: Vec<Point>) -> Self {
        ProgressHistoryDto {
            job_id: rec.job.id,
            job_href: job_href(rec.job.id),
            basis: sizing.and_then(|s| s.basis),
            work: sizing
                .map(|s| {
                    s.nodes
                        .iter()
                        .map(|w| NodeWorkDto {
                            peer_id: w.peer_id,
                            total: w.total,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            progress: JobProgressDto::of(rec),
            points: points
                .into_iter()
                .map(|p| PointDto {
                    at: p.at,
                    percent: p.percent.map(round2),
                    work_done: p.done,
                    nodes: p
                        .nodes
                        .into_iter()
                        .map(|s| SampleDto {
                            peer_id: s.peer_id,
                            work_done: s.done,
                            files: s.files,
                            size_bytes: s.size_bytes,
                            scanned: s.scanned,
                            failures: s.failures,
                            runtime_secs: s.runtime_secs,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// One entry of a job's timeline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TimelineEntry)]
pub struct TimelineEntryDto {
    /// The job.
    pub job_id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: TimelineKind,
    /// Who: a token's name, `gluster-cli` for a task started with the gluster CLI, `service`
    /// for the service's own decisions; `null` without tokens or for state changes.
    pub actor: Option<String>,
    /// State changes: the state before.
    pub from: Option<JobStatus>,
    /// State changes: the state after.
    pub to: Option<JobStatus>,
    /// Stalls: the node.
    pub node: Option<String>,
    /// Gluster's words (accepted, refused), a state change's reason, or a warning.
    pub message: Option<String>,
    /// The job's change sequence when it was written (the event id of its `timeline` event).
    pub seq: i64,
}

impl From<&TimelineRecord> for TimelineEntryDto {
    fn from(r: &TimelineRecord) -> Self {
        let e = &r.entry;
        TimelineEntryDto {
            job_id: e.job_id,
            at: e.at,
            kind: e.kind,
            actor: e.actor.clone(),
            from: e.from,
            to: e.to,
            node: e.node.clone(),
            message: e.message.clone(),
            seq: r.seq,
        }
    }
}

/// `GET /jobs/{job_id}/timeline`: what happened to a job, in order, and who did it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Timeline)]
pub struct TimelineDto {
    /// The job.
    pub job_id: Uuid,
    /// Link to it.
    pub job_href: String,
    /// The entries, oldest first.
    pub entries: Vec<TimelineEntryDto>,
}
