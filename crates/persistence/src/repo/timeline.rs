//! A job's timeline: what happened to it, in order, each entry stored with the change sequence
//! it was written at, so an event stream resumes from a sequence. [`super::jobs::insert`] and
//! [`super::jobs::update`] write the entries of creation, adoption and state changes
//! themselves; the callers append the rest.

use super::jobs::feed;
use crate::models::TimelineRow;
use crate::schema::job_timeline;
use crate::{DbConnection, PersistenceError};
use diesel::prelude::*;
use domain::TimelineEntry;
use std::collections::HashMap;
use uuid::Uuid;

/// One stored timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRecord {
    /// The job's change sequence the entry was written with.
    pub seq: i64,
    /// The entry's row id: its place in its job's timeline.
    pub id: i64,
    /// The entry.
    pub entry: TimelineEntry,
}

/// Appends `entry` to its job's timeline: gives the job the next change sequence (the entry
/// changes the job's representation) and stores the entry with it; returns that sequence.
/// A job that does not exist is `NotFound`.
pub fn append(conn: &mut DbConnection, entry: &TimelineEntry) -> Result<i64, PersistenceError> {
    let seq = feed::stamp_one(conn, entry.job_id)?.ok_or(PersistenceError::NotFound("job"))?;
    insert_at(conn, entry, seq)?;
    Ok(seq)
}

/// Stores `entry` with change sequence `seq`, which the caller already gave its job.
pub(crate) fn insert_at(
    conn: &mut DbConnection,
    entry: &TimelineEntry,
    seq: i64,
) -> Result<(), PersistenceError> {
    diesel::insert_into(job_timeline::table)
        .values(TimelineRow::from_domain(entry, seq))
        .execute(conn)?;
    Ok(())
}

/// A job's whole timeline, in the order it was written. One seek on `job_timeline_by_job`.
pub fn list(
    conn: &mut DbConnection,
    job_id: Uuid,
) -> Result<Vec<TimelineRecord>, PersistenceError> {
    let rows = job_timeline::table
        .filter(job_timeline::job_id.eq(job_id.to_string()))
        .select((job_timeline::id, TimelineRow::as_select()))
        .load(conn)?;
    records(rows)
}

/// A job's entries written after change sequence `after_seq`, in order: what an event
/// stream resumed from `after_seq` sends. One seek on `job_timeline_by_job_seq`.
pub fn since(
    conn: &mut DbConnection,
    job_id: Uuid,
    after_seq: i64,
) -> Result<Vec<TimelineRecord>, PersistenceError> {
    let rows = job_timeline::table
        .filter(job_timeline::job_id.eq(job_id.to_string()))
        .filter(job_timeline::change_seq.gt(after_seq))
        .select((job_timeline::id, TimelineRow::as_select()))
        .load(conn)?;
    records(rows)
}

/// [`since`] for several jobs in one query (`job_id IN (…)`), by job; jobs with no such
/// entry are absent.
pub fn for_jobs(
    conn: &mut DbConnection,
    job_ids: &[Uuid],
    after_seq: i64,
) -> Result<HashMap<Uuid, Vec<TimelineRecord>>, PersistenceError> {
    if job_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = job_ids.iter().map(Uuid::to_string).collect();
    let rows = job_timeline::table
        .filter(job_timeline::job_id.eq_any(&ids))
        .filter(job_timeline::change_seq.gt(after_seq))
        .select((job_timeline::id, TimelineRow::as_select()))
        .load(conn)?;
    let mut by_job: HashMap<Uuid, Vec<TimelineRecord>> = HashMap::new();
    for r in records(rows)? {
        by_job.entry(r.entry.job_id).or_default().push(r);
    }
    Ok(by_job)
}

/// The entries of `rows` in the order they were written (by sequence, then id: within a job
/// both rise together). A job's entries are few, so they are put in order here: without
/// statistics PostgreSQL would rather sort them than read the index in order.
fn records(rows: Vec<(i64, TimelineRow)>) -> Result<Vec<TimelineRecord>, PersistenceError> {
    let mut records = rows
        .into_iter()
        .map(|(id, row)| {
            Ok(TimelineRecord {
                seq: row.change_seq,
                id,
                entry: row.into_domain()?,
            })
        })
        .collect::<Result<Vec<_>, PersistenceError>>()?;
    records.sort_by_key(|r| (r.seq, r.id));
    Ok(records)
}
