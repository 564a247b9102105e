//! `Idempotency-Key` records. The first request with a key claims it (one conditional insert,
//! so across replicas too the database decides); its answer is stored and replayed to every
//! retry that sends the same key with the same request.

use super::insert_unless_present;
use crate::models::ts;
use crate::schema::idempotency_keys;
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The answer given to the request that first used a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// `Location`, if any.
    pub location: Option<String>,
    /// The body.
    pub body: String,
}

/// What a key means for a request that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now belongs to this request: process it, then [`answer`] or
    /// [`release`].
    Claimed,
    /// The key was first used with a different request (method, path or body).
    Mismatch,
    /// The first request with this key has not been answered yet.
    InProgress,
    /// The first request with this key was answered so.
    Answered(StoredAnswer),
}

/// fingerprint, status, content type, location, body.
type KeyRow = (
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Claims `key` for a request with `fingerprint`, or says how it was used before. A claim
/// still unanswered since before `abandoned_before` belonged to a process that died mid-request;
/// the same request may take it over.
pub fn claim(
    conn: &mut DbConnection,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
    abandoned_before: DateTime<Utc>,
) -> Result<Claim, PersistenceError> {
    let inserted = insert_unless_present(conn, |c| {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::key.eq(key),
                idempotency_keys::fingerprint.eq(fingerprint),
                idempotency_keys::created_at.eq(ts(now)),
            ))
            .execute(c)
    })?;
    if inserted {
        return Ok(Claim::Claimed);
    }
    let row: Option<KeyRow> = idempotency_keys::table
        .find(key)
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status,
            idempotency_keys::content_type,
            idempotency_keys::location,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        // Released between our insert and this read: the caller may simply retry.
        None => Claim::InProgress,
        Some((fp, _, _, _, _)) if fp != fingerprint => Claim::Mismatch,
        Some((_, Some(status), content_type, location, body)) => Claim::Answered(StoredAnswer {
            status: u16::try_from(status)
                .map_err(|_| PersistenceError::Corrupt(format!("idempotency status {status}")))?,
            content_type,
            location,
            body: body.unwrap_or_default(),
        }),
        Some(_) => {
            let taken_over = diesel::update(
                idempotency_keys::table
                    .find(key)
                    .filter(idempotency_keys::status.is_null())
                    .filter(idempotency_keys::created_at.lt(ts(abandoned_before))),
            )
            .set(idempotency_keys::created_at.eq(ts(now)))
            .execute(conn)?;
            if taken_over == 1 {
                Claim::Claimed
            } else {
                Claim::InProgress
            }
        }
    })
}

/// Stores the answer to the request that claimed `key`.
pub fn answer(
    conn: &mut DbConnection,
    key: &str,
    answer: &StoredAnswer,
) -> Result<(), PersistenceError> {
    diesel::update(idempotency_keys::table.find(key))
        .set((
            idempotency_keys::status.eq(Some(i32::from(answer.status))),
            idempotency_keys::content_type.eq(answer.content_type.as_deref()),
            idempotency_keys::location.eq(answer.location.as_deref()),
            idempotency_keys::body.eq(Some(answer.body.as_str())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets `key` (its request failed in a way a retry may fix), so it can be used again.
pub fn release(conn: &mut DbConnection, key: &str) -> Result<(), PersistenceError> {
    diesel::delete(idempotency_keys::table.find(key)).execute(conn)?;
    Ok(())
}

/// Deletes keys first used before `before`; returns how many.
pub fn purge_older_than(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(ts(before))))
            .execute(conn)?,
    )
}
