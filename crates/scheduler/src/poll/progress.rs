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
