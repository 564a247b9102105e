//! How a job's task was sized at its start, and its samples: each node's counters per poll,
//! thinned as the job goes on ([`domain::estimate::history::thin`]). Neither changes the job's
//! change sequence by itself: the poller writes them with the job's node update, which does.

use crate::models::{basis, note, ts, utc, SampleRow, WorkRow};
use crate::schema::{job_samples, job_sizing, job_work};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::estimate::{history, ProgressSample, Sizing};
use uuid::Uuid;

/// Replaces the sizing of job `job_id` with `sizing`, sized at `at`. A job that does not exist
/// is `NotFound`.
pub fn set_sizing(
    conn: &mut DbConnection,
    job_id: Uuid,
    sizing: &Sizing,
    at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let n = diesel::update(job_sizing::table.find(job_id.to_string()))
        .set((
            job_sizing::sized_at.eq(ts(at)),
            job_sizing::work_basis.eq(sizing.basis.map(|b| b.as_str())),
            job_sizing::work_note.eq(sizing.note.map(|n| n.as_str())),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound("job"));
    }
    diesel::delete(job_work::table.filter(job_work::job_id.eq(job_id.to_string())))
        .execute(conn)?;
    for w in &sizing.nodes {
        diesel::insert_into(job_work::table)
            .values(WorkRow::from_domain(job_id, w))
            .execute(conn)?;
    }
    Ok(())
}

/// How job `job_id`'s task was sized, its nodes by peer id; `None` when it was never sized
/// (or there is no such job). Two queries.
pub fn sizing(conn: &mut DbConnection, job_id: Uuid) -> Result<Option<Sizing>, PersistenceError> {
    type Head = (Option<NaiveDateTime>, Option<String>, Option<String>);
    let head: Option<Head> = job_sizing::table
        .find(job_id.to_string())
        .select((
            job_sizing::sized_at,
            job_sizing::work_basis,
            job_sizing::work_note,
        ))
        .first(conn)
        .optional()?;
    let Some((Some(_), work_basis, work_note)) = head else {
        return Ok(None);
    };
    // One row per node: put in order here, not by a sort in the database.
    let mut nodes = job_work::table
        .filter(job_work::job_id.eq(job_id.to_string()))
        .select(WorkRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WorkRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    nodes.sort_by_key(|w| w.peer_id);
    Ok(Some(Sizing {
        basis: work_basis.as_deref().map(basis).transpose()?,
        nodes,
        note: work_note.as_deref().map(note).transpose()?,
    }))
}

/// Stores `samples` of job `job_id`, then, when the job has samples of more than `max_polls`
/// polls (distinct instants), deletes those of the polls [`history::thin`] drops: the first
/// and the newest stay, older history gets sparser.
pub fn record_samples(
    conn: &mut DbConnection,
    job_id: Uuid,
    samples: &[ProgressSample],
    max_polls: usize,
) -> Result<(), PersistenceError> {
    let job = job_id.to_string();
    for s in samples {
        diesel::insert_into(job_samples::table)
            .values(SampleRow::from_domain(job_id, s))
            .execute(conn)?;
    }
    // A job's samples are bounded (its polls times its nodes): their instants are counted
    // and put in order here rather than by a DISTINCT and a sort in the database.
    let mut ats: Vec<DateTime<Utc>> = job_samples::table
        .filter(job_samples::job_id.eq(&job))
        .select(job_samples::at)
        .load::<NaiveDateTime>(conn)?
        .into_iter()
        .map(utc)
        .collect();
    ats.sort_unstable();
    ats.dedup();
    if ats.len() <= max_polls {
        return Ok(());
    }
    let dropped: Vec<NaiveDateTime> = history::thin(&ats, max_polls).into_iter().map(ts).collect();
    // Bounded: a call drops at most the polls beyond `max_polls`; chunked for the backends'
    // limits on binds when `max_polls` was lowered a lot.
    for chunk in dropped.chunks(500) {
        diesel::delete(
            job_samples::table
                .filter(job_samples::job_id.eq(&job))
                .filter(job_samples::at.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Every sample of job `job_id`, by time then peer id. One seek on `job_samples_by_job_at`.
pub fn samples(
    conn: &mut DbConnection,
    job_id: Uuid,
) -> Result<Vec<ProgressSample>, PersistenceError> {
    let rows = job_samples::table
        .filter(job_samples::job_id.eq(job_id.to_string()))
        .select(SampleRow::as_select())
        .load(conn)?;
    in_order(rows)
}

/// The samples of job `job_id` taken at or after `since`, by time then peer id: the window a
/// rate is computed over. One seek on `job_samples_by_job_at`.
pub fn samples_since(
    conn: &mut DbConnection,
    job_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<ProgressSample>, PersistenceError> {
    let rows = job_samples::table
        .filter(job_samples::job_id.eq(job_id.to_string()))
        .filter(job_samples::at.ge(ts(since)))
        .select(SampleRow::as_select())
        .load(conn)?;
    in_order(rows)
}

/// The samples of `rows` by time, then peer id. A job's samples are few (at most its bound of
/// polls times its nodes), so they are put in order here: without statistics PostgreSQL
/// would rather sort them than read the index in order.
fn in_order(rows: Vec<SampleRow>) -> Result<Vec<ProgressSample>, PersistenceError> {
    let mut samples = rows
        .into_iter()
        .map(SampleRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    samples.sort_by_key(|s| (s.at, s.peer_id));
    Ok(samples)
}
