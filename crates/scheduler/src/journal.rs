//! What operations put on a job's timeline besides its state changes (which the store records
//! itself): who asked for a stop, a cancel or a commit, what gluster answered, and how a task
//! was sized when it started.

use crate::{ClusterContext, Requester};
use chrono::{DateTime, Utc};
use domain::estimate::{work, Sizing};
use domain::{Job, TimelineEntry, TimelineKind, Volume, VolumeName};
use persistence::repo::timeline;
use persistence::Store;
use uuid::Uuid;

/// An operation someone asked for on a job: who, and what ([`TimelineKind::StopRequested`],
/// [`TimelineKind::CancelRequested`] or [`TimelineKind::CommitRequested`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// The token's name (`None` without tokens).
    pub by: Option<String>,
    /// What was asked.
    pub kind: TimelineKind,
}

impl Asked {
    /// A stop asked by `r`.
    pub fn stop(r: &Requester) -> Self {
        Self::of(r, TimelineKind::StopRequested)
    }

    /// A cancel asked by `r`.
    pub fn cancel(r: &Requester) -> Self {
        Self::of(r, TimelineKind::CancelRequested)
    }

    /// A commit asked by `r`.
    pub fn commit(r: &Requester) -> Self {
        Self::of(r, TimelineKind::CommitRequested)
    }

    fn of(r: &Requester, kind: TimelineKind) -> Self {
        Asked {
            by: r.initiator.clone(),
            kind,
        }
    }

    /// The timeline entry of the request on `job_id` at `at`.
    pub fn entry(&self, job_id: Uuid, at: DateTime<Utc>) -> TimelineEntry {
        TimelineEntry::new(job_id, at, self.kind).by(self.by.as_deref())
    }

    /// The entry of its refusal, in `words` (gluster's, or the service's own).
    pub fn refusal(&self, job_id: Uuid, at: DateTime<Utc>, words: &str) -> TimelineEntry {
        TimelineEntry::new(job_id, at, TimelineKind::Refused)
            .by(self.by.as_deref())
            .saying(words)
    }
}

/// Appends `entries` to their jobs' timelines. The timeline is the record of what happened,
/// not a condition of it: a failure to write it is logged, never turned into the operation's
/// failure.
pub(crate) fn note(store: &Store, entries: &[TimelineEntry]) {
    if entries.is_empty() {
        return;
    }
    let written = store.write(|c| {
        for e in entries {
            timeline::append(c, e)?;
        }
        Ok(())
    });
    if let Err(e) = written {
        log::warn!("timeline of job {}: not written: {e}", entries[0].job_id);
    }
}

/// A request and gluster's refusal of it, as timeline entries.
pub(crate) fn refused(
    asked: &Asked,
    job_id: Uuid,
    at: DateTime<Utc>,
    words: &str,
) -> Vec<TimelineEntry> {
    vec![asked.entry(job_id, at), asked.refusal(job_id, at, words)]
}

/// Sizes `job`'s task from the volume's usage right before it starts. `None` when gluster does
/// not answer: the poller sizes it at its first poll then.
pub(crate) fn size_at_start(
    cluster: &ClusterContext,
    volume: &Volume,
    job: &Job,
) -> Option<Sizing> {
    let name = VolumeName::parse(&volume.name).ok()?;
    match cluster.driver.volume_usage(&name) {
        Ok(usage) => Some(work::size(job, volume, &usage, &[])),
        Err(e) => {
            log::info!(
                "job {}: brick usage not read at start ({e}); sized at its first poll",
                job.id
            );
            None
        }
    }
}

/// The entry of gluster accepting a start, naming the task it created.
pub(crate) fn accepted(job_id: Uuid, at: DateTime<Utc>, task: Option<Uuid>) -> TimelineEntry {
    let e = TimelineEntry::new(job_id, at, TimelineKind::Accepted)
        .by(Some(domain::timeline::actors::SERVICE));
    match task {
        Some(t) => e.saying(format!("gluster started task {t}")),
        None => e.saying("gluster accepted the request"),
    }
}
