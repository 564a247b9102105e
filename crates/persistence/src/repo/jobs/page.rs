//! The job list: filters and newest-first pages.

use super::read::load_records;
use super::{JobFilter, JobPage};
use crate::models::{ts, JobRow};
use crate::schema::jobs;
use crate::{DbConnection, PersistenceError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

fn encode_cursor(created_at: NaiveDateTime, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", created_at.and_utc().timestamp_micros()))
}

fn decode_cursor(cursor: &str) -> Result<(NaiveDateTime, String), PersistenceError> {
    let raw = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| PersistenceError::InvalidCursor)?;
    let raw = String::from_utf8(raw).map_err(|_| PersistenceError::InvalidCursor)?;
    let (micros, id) = raw.split_once('|').ok_or(PersistenceError::InvalidCursor)?;
    let micros: i64 = micros
        .parse()
        .map_err(|_| PersistenceError::InvalidCursor)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or(PersistenceError::InvalidCursor)?;
    Uuid::parse_str(id).map_err(|_| PersistenceError::InvalidCursor)?;
    Ok((at.naive_utc(), id.to_owned()))
}

/// A page of at most `limit` jobs matching `filter`, newest first (ties by id), after `cursor`.
pub fn list(
    conn: &mut DbConnection,
    filter: &JobFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<JobPage, PersistenceError> {
    let mut q = filtered(filter).select(JobRow::as_select());
    if let Some(c) = cursor {
        let (at, id) = decode_cursor(c)?;
        q = q.filter(before_cursor(at, id));
    }
    let limit = limit.clamp(1, 500);
    let mut rows = q
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(r.created_at, &r.id))
    } else {
        None
    };
    Ok(JobPage {
        items: load_records(conn, rows)?,
        next_cursor,
    })
}

/// `(created_at, id) < (at, id)` as one row-value comparison: SQLite (>= 3.15) and PostgreSQL
/// both seek an index on `(…, created_at, id)` to the cursor with it, where the equivalent
/// `created_at < at OR (created_at = at AND id < id)` made SQLite scan from the newest job down.
fn before_cursor(
    at: NaiveDateTime,
    id: String,
) -> diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    impl diesel::query_builder::QueryFragment<<DbConnection as diesel::Connection>::Backend>,
> {
    diesel::dsl::sql::<diesel::sql_types::Bool>("(jobs.created_at, jobs.id) < (")
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .sql(", ")
        .bind::<diesel::sql_types::Text, _>(id)
        .sql(")")
}

/// The jobs `filter` selects, as a query to refine.
pub(super) fn filtered<'a>(
    filter: &JobFilter,
) -> jobs::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend> {
    let mut q = jobs::table.into_boxed();
    if let Some(s) = filter.status {
        q = q.filter(jobs::status.eq(s.as_str()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(jobs::kind.eq(k.as_str()));
    }
    if let Some(v) = filter.volume_id {
        q = q.filter(jobs::volume_id.eq(v.to_string()));
    }
    if let Some(c) = filter.cluster_id {
        q = q.filter(jobs::cluster_id.eq(c.to_string()));
    }
    if let Some(o) = filter.origin {
        q = q.filter(jobs::origin.eq(o.as_str()));
    }
    if let Some(at) = filter.created_after {
        q = q.filter(jobs::created_at.ge(ts(at)));
    }
    if let Some(at) = filter.created_before {
        q = q.filter(jobs::created_at.lt(ts(at)));
    }
    q
}
