//! Clusters and their peers.

use crate::models::{id, ts, utc};
use crate::schema::{clusters, peers};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::Peer;
use uuid::Uuid;

/// A cluster with what the poller last learned about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRecord {
    /// Cluster id (UUIDv5 of its configured name).
    pub id: Uuid,
    /// Configured name.
    pub name: String,
    /// Last poll cycle, successful or not.
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Last successful poll cycle.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The error of the last cycle, `None` when it succeeded.
    pub last_error: Option<String>,
    /// Last inventory refresh.
    pub inventory_at: Option<DateTime<Utc>>,
    /// The host whose gluster CLI answered last.
    pub active_host: Option<String>,
    /// Poll cycles that failed in a row (0 after a successful one).
    pub failed_polls: u32,
    /// The replica holding the cluster's polling lease and until when, if any.
    pub lease: Option<(String, DateTime<Utc>)>,
    /// The pool's peers as of the last inventory refresh.
    pub peers: Vec<Peer>,
}

type ClusterTuple = (
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    i32,
);

/// Makes sure a configured cluster has its row.
pub fn ensure(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let exists = clusters::table
        .find(cluster_id.to_string())
        .select(clusters::id)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if !exists {
        diesel::insert_into(clusters::table)
            .values((
                clusters::id.eq(cluster_id.to_string()),
                clusters::name.eq(name),
                clusters::created_at.eq(ts(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// All clusters with their peers, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<ClusterRecord>, PersistenceError> {
    let rows: Vec<ClusterTuple> = clusters::table
        .order(clusters::name.asc())
        .select((
            clusters::id,
            clusters::name,
            clusters::last_poll_at,
            clusters::last_success_at,
            clusters::last_error,
            clusters::inventory_at,
            clusters::active_host,
            clusters::failed_polls,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(cid, name, poll, ok, err, inv, host, failed)| {
            let peers = peers::table
                .filter(peers::cluster_id.eq(&cid))
                .order(peers::hostname.asc())
                .select((peers::id, peers::hostname, peers::connected))
                .load::<(String, String, bool)>(conn)?
                .into_iter()
                .map(|(pid, hostname, connected)| {
                    Ok(Peer {
                        id: id(&pid)?,
                        hostname,
                        connected,
                    })
                })
                .collect::<Result<Vec<_>, PersistenceError>>()?;
            Ok(ClusterRecord {
                id: id(&cid)?,
                name,
                last_poll_at: poll.map(utc),
                last_success_at: ok.map(utc),
                last_error: err,
                inventory_at: inv.map(utc),
                active_host: host,
                failed_polls: u32::try_from(failed).unwrap_or(0),
                lease: crate::repo::leases::holder(conn, id(&cid)?)?,
                peers,
            })
        })
        .collect()
}

/// What one poll cycle came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollOutcome<'a> {
    /// `None` when the cycle succeeded, else what went wrong.
    pub error: Option<&'a str>,
    /// The host whose CLI answered last, when known.
    pub active_host: Option<&'a str>,
}

/// Records a poll cycle: a success resets the failure count, a failure adds one.
pub fn record_poll(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    now: DateTime<Utc>,
    outcome: PollOutcome<'_>,
) -> Result<(), PersistenceError> {
    let target = clusters::table.find(cluster_id.to_string());
    match outcome.error {
        None => diesel::update(target)
            .set((
                clusters::last_poll_at.eq(ts(now)),
                clusters::last_success_at.eq(ts(now)),
                clusters::last_error.eq(None::<String>),
                clusters::failed_polls.eq(0),
            ))
            .execute(conn)?,
        Some(e) => diesel::update(target)
            .set((
                clusters::last_poll_at.eq(ts(now)),
                clusters::last_error.eq(e),
                clusters::failed_polls.eq(clusters::failed_polls + 1),
            ))
            .execute(conn)?,
    };
    if let Some(host) = outcome.active_host {
        diesel::update(clusters::table.find(cluster_id.to_string()))
            .set(clusters::active_host.eq(host))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the cluster's peer list and stamps the inventory time.
pub fn replace_peers(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    list: &[Peer],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let cid = cluster_id.to_string();
    diesel::delete(peers::table.filter(peers::cluster_id.eq(&cid))).execute(conn)?;
    for p in list {
        diesel::insert_into(peers::table)
            .values((
                peers::cluster_id.eq(&cid),
                peers::id.eq(p.id.to_string()),
                peers::hostname.eq(&p.hostname),
                peers::connected.eq(p.connected),
                peers::updated_at.eq(ts(now)),
            ))
            .execute(conn)?;
    }
    diesel::update(clusters::table.find(&cid))
        .set(clusters::inventory_at.eq(ts(now)))
        .execute(conn)?;
    Ok(())
}
