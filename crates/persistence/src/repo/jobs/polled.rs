//! What the poller confirmed: poll times and staleness.

use super::active_states;
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
    diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .filter(jobs::status.eq_any(states).or(jobs::ended_at.le(ts(now)))),
    )
    .set((
        jobs::polled_at.eq(ts(now)),
        jobs::stale_since.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
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
    diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .filter(jobs::status.eq_any(states))
            .filter(jobs::stale_since.is_null()),
    )
    .set(jobs::stale_since.eq(ts(now)))
    .execute(conn)?;
    Ok(())
}
