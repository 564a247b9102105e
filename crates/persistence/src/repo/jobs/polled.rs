//! What the poller confirmed: poll times and staleness. The jobs a call changes are read
//! first (inside the caller's transaction), so each gets its own change sequence.

use super::{active_states, feed};
use crate::models::ts;
use crate::schema::jobs;
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::JobStatus;
use uuid::Uuid;

/// Stamps the poll time `now` (when the cycle began) on jobs whose state was just refreshed
/// (which are then no longer stale). A job that ended after `now` (stopped through the API
/// while the cycle asked gluster) is left as it ended: an ended job never changes again.
pub fn mark_polled(
    conn: &mut DbConnection,
    job_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let ids: Vec<String> = job_ids.iter().map(Uuid::to_string).collect();
    let mut states = active_states();
    states.push(JobStatus::Unknown.as_str());
    let touched = jobs::table
        .filter(jobs::id.eq_any(ids))
        .filter(jobs::status.eq_any(states).or(jobs::ended_at.le(ts(now))));
    let changed = touched.select(jobs::id).load::<String>(conn)?;
    diesel::update(jobs::table.filter(jobs::id.eq_any(&changed)))
        .set((
            jobs::polled_at.eq(ts(now)),
            jobs::stale_since.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    feed::stamp(conn, &parse_ids(changed)?)
}

/// Marks jobs whose state could not be refreshed as stale since `now`; a job already stale
/// keeps its earlier time. Only jobs that have not ended are touched.
pub fn mark_stale(
    conn: &mut DbConnection,
    job_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let ids: Vec<String> = job_ids.iter().map(Uuid::to_string).collect();
    let mut states = active_states();
    states.push(JobStatus::Unknown.as_str());
    let changed = jobs::table
        .filter(jobs::id.eq_any(ids))
        .filter(jobs::status.eq_any(states))
        .filter(jobs::stale_since.is_null())
        .select(jobs::id)
        .load::<String>(conn)?;
    diesel::update(jobs::table.filter(jobs::id.eq_any(&changed)))
        .set(jobs::stale_since.eq(ts(now)))
        .execute(conn)?;
    feed::stamp(conn, &parse_ids(changed)?)
}

fn parse_ids(ids: Vec<String>) -> Result<Vec<Uuid>, PersistenceError> {
    ids.iter().map(|i| crate::models::id(i)).collect()
}
