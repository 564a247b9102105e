//! Rows of a job's progress history (its sizing and samples) and of its timeline.

use super::{corrupt, id, ts, utc};
use crate::schema::{job_samples, job_timeline, job_work};
use crate::PersistenceError;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::estimate::{Basis, NodeWork, ProgressNote, ProgressSample};
use domain::{JobStatus, TimelineEntry, TimelineKind};
use uuid::Uuid;

/// Parses a stored [`Basis`].
pub fn basis(s: &str) -> Result<Basis, PersistenceError> {
    Basis::parse(s).ok_or_else(|| corrupt("progress basis", s))
}

/// Parses a stored [`ProgressNote`].
pub fn note(s: &str) -> Result<ProgressNote, PersistenceError> {
    ProgressNote::parse(s).ok_or_else(|| corrupt("progress note", s))
}

fn status(s: &str) -> Result<JobStatus, PersistenceError> {
    JobStatus::parse(s).ok_or_else(|| corrupt("timeline status", s))
}

/// One node's work in a job's sizing.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = job_work)]
pub struct WorkRow {
    pub job_id: String,
    pub peer_id: String,
    pub basis: String,
    pub total: i64,
}

impl WorkRow {
    /// The row of `w` in job `job_id`'s sizing.
    pub fn from_domain(job_id: Uuid, w: &NodeWork) -> Self {
        WorkRow {
            job_id: job_id.to_string(),
            peer_id: w.peer_id.to_string(),
            basis: w.basis.as_str().to_owned(),
            total: w.total,
        }
    }

    /// The node's work.
    pub fn into_domain(self) -> Result<NodeWork, PersistenceError> {
        Ok(NodeWork {
            peer_id: id(&self.peer_id)?,
            basis: basis(&self.basis)?,
            total: self.total,
        })
    }
}

/// One node's counters at one poll (the row's id is left to the database).
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = job_samples)]
pub struct SampleRow {
    pub job_id: String,
    pub at: NaiveDateTime,
    pub peer_id: String,
    pub done: i64,
    pub files: i64,
    pub size_bytes: i64,
    pub scanned: i64,
    pub failures: i64,
    pub runtime_secs: f64,
}

impl SampleRow {
    /// The row of `s`, a sample of job `job_id`.
    pub fn from_domain(job_id: Uuid, s: &ProgressSample) -> Self {
        SampleRow {
            job_id: job_id.to_string(),
            at: ts(s.at),
            peer_id: s.peer_id.to_string(),
            done: s.done,
            files: s.files,
            size_bytes: s.size_bytes,
            scanned: s.scanned,
            failures: s.failures,
            runtime_secs: s.runtime_secs,
        }
    }

    /// The sample.
    pub fn into_domain(self) -> Result<ProgressSample, PersistenceError> {
        Ok(ProgressSample {
            at: utc(self.at),
            peer_id: id(&self.peer_id)?,
            done: self.done,
            files: self.files,
            size_bytes: self.size_bytes,
            scanned: self.scanned,
            failures: self.failures,
            runtime_secs: self.runtime_secs,
        })
    }
}

/// One timeline entry (the row's id is left to the database).
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = job_timeline)]
pub struct TimelineRow {
    pub job_id: String,
    pub at: NaiveDateTime,
    pub kind: String,
    pub actor: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub node: Option<String>,
    pub message: Option<String>,
    /// The job's change sequence the entry was written with.
    pub change_seq: i64,
}

impl TimelineRow {
    /// The row of `e`, written at change sequence `change_seq`.
    pub fn from_domain(e: &TimelineEntry, change_seq: i64) -> Self {
        TimelineRow {
            job_id: e.job_id.to_string(),
            at: ts(e.at),
            kind: e.kind.as_str().to_owned(),
            actor: e.actor.clone(),
            from_status: e.from.map(|s| s.as_str().to_owned()),
            to_status: e.to.map(|s| s.as_str().to_owned()),
            node: e.node.clone(),
            message: e.message.clone(),
            change_seq,
        }
    }

    /// The entry.
    pub fn into_domain(self) -> Result<TimelineEntry, PersistenceError> {
        Ok(TimelineEntry {
            job_id: id(&self.job_id)?,
            at: utc(self.at),
            kind: TimelineKind::parse(&self.kind)
                .ok_or_else(|| corrupt("timeline kind", &self.kind))?,
            actor: self.actor,
            from: self.from_status.as_deref().map(status).transpose()?,
            to: self.to_status.as_deref().map(status).transpose()?,
            node: self.node,
            message: self.message,
        })
    }
}
