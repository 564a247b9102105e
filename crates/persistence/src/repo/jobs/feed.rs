//! The change feed: the counter every job write takes its sequence from, and the reads that
//! follow it.
//!
//! A write takes `n` sequences by raising the one-row `change_counter` (`UPDATE … SET seq =
//! seq + n`, then reading it back) inside its transaction. On PostgreSQL the row stays locked
//! until the transaction ends, so the next writer's sequences come after this one's and its
//! commit comes later too: commit order is sequence order, and a reader of `change_seq > last`
//! never sees a gap that a slower transaction fills in later (a `SEQUENCE` would not give
//! that). SQLite runs write transactions one at a time anyway.

use super::read::load_records;
use super::{JobFilter, JobRecord};
use crate::models::JobRow;
use crate::schema::{change_counter, jobs};
use crate::{DbConnection, PersistenceError};
use diesel::prelude::*;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Takes `n` (at least 1) sequences; returns the first, the others follow it.
pub(super) fn reserve(conn: &mut DbConnection, n: usize) -> Result<i64, PersistenceError> {
    let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    diesel::update(change_counter::table)
        .set(change_counter::seq.eq(change_counter::seq + n))
        .execute(conn)?;
    let top: i64 = change_counter::table
        .select(change_counter::seq)
        .first(conn)?;
    Ok(top - n + 1)
}

/// Gives each of `job_ids` (duplicates count once) the next sequence, and notes the change
/// for [`crate::Store::write`] to publish. Ids of jobs that do not exist are skipped.
pub(super) fn stamp(conn: &mut DbConnection, job_ids: &[Uuid]) -> Result<(), PersistenceError> {
    let ids: BTreeSet<&Uuid> = job_ids.iter().collect();
    if ids.is_empty() {
        return Ok(());
    }
    let first = reserve(conn, ids.len())?;
    for (seq, id) in (first..).zip(ids) {
        let n = diesel::update(jobs::table.find(id.to_string()))
            .set(jobs::change_seq.eq(seq))
            .execute(conn)?;
        if n == 1 {
            crate::changes::note_changed(*id, seq);
        }
    }
    Ok(())
}

/// Gives job `job_id` the next sequence and notes the change, like [`stamp`]; returns the
/// sequence, or `None` when there is no such job.
pub(crate) fn stamp_one(
    conn: &mut DbConnection,
    job_id: Uuid,
) -> Result<Option<i64>, PersistenceError> {
    let seq = reserve(conn, 1)?;
    let n = diesel::update(jobs::table.find(job_id.to_string()))
        .set(jobs::change_seq.eq(seq))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    crate::changes::note_changed(job_id, seq);
    Ok(Some(seq))
}

/// Counts a write that deleted `job_ids`, so that other replicas learn that jobs went away,
/// and notes them for [`crate::Store::write`] to publish.
pub(super) fn note_deleted(
    conn: &mut DbConnection,
    job_ids: Vec<Uuid>,
) -> Result<(), PersistenceError> {
    if job_ids.is_empty() {
        return Ok(());
    }
    diesel::update(change_counter::table)
        .set(change_counter::deletions.eq(change_counter::deletions + 1))
        .execute(conn)?;
    crate::changes::note_removed(job_ids);
    Ok(())
}

/// The counter: the highest sequence handed out, and how many writes deleted jobs. One
/// one-row read.
pub fn counter(conn: &mut DbConnection) -> Result<(i64, i64), PersistenceError> {
    Ok(change_counter::table
        .select((change_counter::seq, change_counter::deletions))
        .first(conn)?)
}

/// Jobs matching `filter` whose sequence is above `after`, lowest first, at most `limit`
/// (1 to 500): what a change feed sends next. A job changed twice since `after` comes once,
/// as it is now.
pub fn since(
    conn: &mut DbConnection,
    filter: &JobFilter,
    after: i64,
    limit: i64,
) -> Result<Vec<JobRecord>, PersistenceError> {
    let rows = super::page::filtered(filter)
        .select(JobRow::as_select())
        .filter(jobs::change_seq.gt(after))
        .order(jobs::change_seq.asc())
        .limit(limit.clamp(1, 500))
        .load(conn)?;
    load_records(conn, rows)
}

/// The ids and sequences of the jobs whose sequence is above `after`, lowest first, at most
/// `limit`: what a watcher needs to tell caches what another replica changed.
pub fn ids_since(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(Uuid, i64)>, PersistenceError> {
    let rows: Vec<(String, i64)> = jobs::table
        .filter(jobs::change_seq.gt(after))
        .order(jobs::change_seq.asc())
        .limit(limit.max(1))
        .select((jobs::id, jobs::change_seq))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, seq)| Ok((crate::models::id(&id)?, seq)))
        .collect()
}
