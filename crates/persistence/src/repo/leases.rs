//! Cluster leases and replica heartbeats: which replica polls which cluster.
//!
//! A lease is taken or renewed with one conditional statement, so two replicas racing for the
//! same cluster cannot both win: the database decides. Times come from the replicas' clocks
//! (keep them in sync; the lease length must exceed the worst skew).

use super::insert_unless_present;
use crate::models::ts;
use crate::schema::{cluster_leases, replicas};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

/// Takes the lease on `cluster_id` for `owner` until `until`, or renews it: succeeds when
/// nobody holds it, `owner` holds it, or the holder's lease has expired (`< now`).
/// Returns whether `owner` holds the lease now.
pub fn acquire(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let cid = cluster_id.to_string();
    let taken = diesel::update(
        cluster_leases::table
            .filter(cluster_leases::cluster_id.eq(&cid))
            .filter(
                cluster_leases::owner
                    .eq(owner)
                    .or(cluster_leases::expires_at.lt(ts(now))),
            ),
    )
    .set((
        cluster_leases::owner.eq(owner),
        cluster_leases::expires_at.eq(ts(until)),
    ))
    .execute(conn)?;
    if taken == 1 {
        return Ok(true);
    }
    insert_unless_present(conn, |c| {
        diesel::insert_into(cluster_leases::table)
            .values((
                cluster_leases::cluster_id.eq(&cid),
                cluster_leases::owner.eq(owner),
                cluster_leases::expires_at.eq(ts(until)),
            ))
            .execute(c)
    })
}

/// Moves the lease on `cluster_id` from `from` to `to` until `until`, only if `from` still
/// holds it (whether or not it has expired). Returns whether `to` holds it now.
pub fn take_over(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    from: &str,
    to: &str,
    until: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(
        cluster_leases::table
            .filter(cluster_leases::cluster_id.eq(cluster_id.to_string()))
            .filter(cluster_leases::owner.eq(from)),
    )
    .set((
        cluster_leases::owner.eq(to),
        cluster_leases::expires_at.eq(ts(until)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Gives the lease up (only if `owner` holds it), so another replica can take it at once.
pub fn release(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    owner: &str,
) -> Result<bool, PersistenceError> {
    let n = diesel::delete(
        cluster_leases::table
            .filter(cluster_leases::cluster_id.eq(cluster_id.to_string()))
            .filter(cluster_leases::owner.eq(owner)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// The current holder of a cluster's lease and its expiry, if any lease row exists.
pub fn holder(
    conn: &mut DbConnection,
    cluster_id: Uuid,
) -> Result<Option<(String, DateTime<Utc>)>, PersistenceError> {
    let row: Option<(String, chrono::NaiveDateTime)> = cluster_leases::table
        .find(cluster_id.to_string())
        .select((cluster_leases::owner, cluster_leases::expires_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(o, t)| (o, crate::models::utc(t))))
}

/// How many unexpired leases `owner` holds.
pub fn held_by(
    conn: &mut DbConnection,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    let n: i64 = cluster_leases::table
        .filter(cluster_leases::owner.eq(owner))
        .filter(cluster_leases::expires_at.ge(ts(now)))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Records that replica `id` is alive at `now`.
pub fn heartbeat(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let n = diesel::update(replicas::table.find(id))
        .set(replicas::seen_at.eq(ts(now)))
        .execute(conn)?;
    if n == 0 {
        insert_unless_present(conn, |c| {
            diesel::insert_into(replicas::table)
                .values((
                    replicas::id.eq(id),
                    replicas::started_at.eq(ts(now)),
                    replicas::seen_at.eq(ts(now)),
                ))
                .execute(c)
        })?;
    }
    Ok(())
}

/// Replicas seen at or after `since` (at least 1: the caller counts itself).
pub fn live_replicas(
    conn: &mut DbConnection,
    since: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    let n: i64 = replicas::table
        .filter(replicas::seen_at.ge(ts(since)))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(0).max(1))
}

/// Forgets replica `id` (on a clean shutdown) and drops replicas not seen since `before`.
pub fn leave(
    conn: &mut DbConnection,
    id: &str,
    before: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::delete(
        replicas::table.filter(replicas::id.eq(id).or(replicas::seen_at.lt(ts(before)))),
    )
    .execute(conn)?;
    Ok(())
}
