//! Volumes and their bricks (the inventory).

use crate::models::{ts, BrickRow, VolumeRow};
use crate::schema::{bricks, volumes};
use crate::{DbConnection, PersistenceError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use domain::Volume;
use std::collections::HashMap;
use uuid::Uuid;

/// Inserts or updates one volume and replaces its bricks, unless the stored facts were read
/// later than `v.refreshed_at` (a slow inventory read must not undo what a commit just wrote).
pub fn upsert(conn: &mut DbConnection, v: &Volume) -> Result<(), PersistenceError> {
    let row = VolumeRow::from_domain(v);
    let newer_stored = volumes::table
        .find(&row.id)
        .filter(volumes::refreshed_at.gt(row.refreshed_at))
        .select(volumes::id)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if newer_stored {
        return Ok(());
    }
    // A volume deleted and re-created under the same name has a new id: drop the old row.
    diesel::delete(
        volumes::table
            .filter(volumes::cluster_id.eq(&row.cluster_id))
            .filter(volumes::name.eq(&row.name))
            .filter(volumes::id.ne(&row.id)),
    )
    .execute(conn)?;
    let updated = diesel::update(volumes::table.find(&row.id))
        .set(&row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(volumes::table)
            .values(&row)
            .execute(conn)?;
    }
    diesel::delete(bricks::table.filter(bricks::volume_id.eq(&row.id))).execute(conn)?;
    for b in &v.bricks {
        diesel::insert_into(bricks::table)
            .values(BrickRow::from_domain(v.id, b))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces a cluster's whole inventory: deletes volumes no longer there, writes the volumes
/// and bricks that changed (as [`upsert`] does) and only stamps `refreshed_at` on the others.
/// Apart from the changed volumes' own writes, a constant number of queries however many
/// volumes the cluster has.
pub fn replace_inventory(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    current: &[Volume],
) -> Result<(), PersistenceError> {
    let cid = cluster_id.to_string();
    let keep: Vec<String> = current.iter().map(|v| v.id.to_string()).collect();
    diesel::delete(
        volumes::table
            .filter(volumes::cluster_id.eq(&cid))
            .filter(volumes::id.ne_all(&keep)),
    )
    .execute(conn)?;
    let rows = volumes::table
        .filter(volumes::cluster_id.eq(&cid))
        .select(VolumeRow::as_select())
        .load(conn)?;
    let stored: HashMap<Uuid, Volume> = with_bricks(conn, rows)?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut unchanged: Vec<String> = Vec::new();
    let mut seen_at = None;
    for v in current {
        match stored.get(&v.id) {
            // Facts read later than these are kept, as `upsert` keeps them.
            Some(old) if old.refreshed_at > v.refreshed_at => {}
            Some(old) if same_facts(old, v) => {
                unchanged.push(v.id.to_string());
                seen_at = seen_at.max(Some(v.refreshed_at));
            }
            _ => upsert(conn, v)?,
        }
    }
    if let Some(at) = seen_at {
        // One inventory read stamps every volume it saw with the same instant.
        diesel::update(
            volumes::table
                .filter(volumes::id.eq_any(&unchanged))
                .filter(volumes::refreshed_at.le(ts(at))),
        )
        .set(volumes::refreshed_at.eq(ts(at)))
        .execute(conn)?;
    }
    Ok(())
}

/// Whether two readings of a volume agree on everything but when they were read (`stored`
/// has its bricks by position already).
fn same_facts(stored: &Volume, read: &Volume) -> bool {
    let mut bricks = read.bricks.clone();
    bricks.sort_by_key(|b| b.position);
    let read = Volume {
        bricks,
        refreshed_at: stored.refreshed_at,
        ..read.clone()
    };
    *stored == read
}

/// The volumes of `rows`, in that order, with their bricks (by position): one query for the
/// bricks of all of them.
fn with_bricks(
    conn: &mut DbConnection,
    rows: Vec<VolumeRow>,
) -> Result<Vec<Volume>, PersistenceError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut by_volume: HashMap<String, Vec<BrickRow>> = HashMap::new();
    for b in bricks::table
        .filter(bricks::volume_id.eq_any(&ids))
        .select(BrickRow::as_select())
        .load(conn)?
    {
        by_volume.entry(b.volume_id.clone()).or_default().push(b);
    }
    rows.into_iter()
        .map(|row| {
            let mut bricks = by_volume
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(BrickRow::into_domain)
                .collect::<Result<Vec<_>, _>>()?;
            bricks.sort_by_key(|b| b.position);
            row.into_domain(bricks)
        })
        .collect()
}

fn with_bricks_one(conn: &mut DbConnection, row: VolumeRow) -> Result<Volume, PersistenceError> {
    with_bricks(conn, vec![row])?
        .pop()
        .ok_or_else(|| PersistenceError::Corrupt("a loaded volume went missing".into()))
}

/// One volume by id.
pub fn get(conn: &mut DbConnection, volume_id: Uuid) -> Result<Option<Volume>, PersistenceError> {
    let row = volumes::table
        .find(volume_id.to_string())
        .select(VolumeRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| with_bricks_one(conn, r)).transpose()
}

/// One volume by cluster and name.
pub fn find_by_name(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    name: &str,
) -> Result<Option<Volume>, PersistenceError> {
    let row = volumes::table
        .filter(volumes::cluster_id.eq(cluster_id.to_string()))
        .filter(volumes::name.eq(name))
        .select(VolumeRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| with_bricks_one(conn, r)).transpose()
}

/// All volumes, optionally of one cluster, by name (ties by id). Two queries.
pub fn list(
    conn: &mut DbConnection,
    cluster_id: Option<Uuid>,
) -> Result<Vec<Volume>, PersistenceError> {
    let rows = by_name(cluster_id).load(conn)?;
    with_bricks(conn, rows)
}

/// One page of the volume list, by name then id.
#[derive(Debug, Clone)]
pub struct VolumePage {
    /// The volumes of this page, with their bricks.
    pub items: Vec<Volume>,
    /// Cursor of the next page, `None` on the last one.
    pub next_cursor: Option<String>,
}

/// A page of at most `limit` (1 to 500) volumes, optionally of one cluster, by name then id,
/// after `cursor` (the `next_cursor` of the page before). Two queries, whatever the page size.
pub fn list_page(
    conn: &mut DbConnection,
    cluster_id: Option<Uuid>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<VolumePage, PersistenceError> {
    let mut q = by_name(cluster_id);
    if let Some(c) = cursor {
        let (name, id) = decode_cursor(c)?;
        q = q.filter(
            diesel::dsl::sql::<Bool>("(volumes.name, volumes.id) > (")
                .bind::<Text, _>(name)
                .sql(", ")
                .bind::<Text, _>(id)
                .sql(")"),
        );
    }
    let limit = limit.clamp(1, 500);
    let mut rows = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(&r.name, &r.id))
    } else {
        None
    };
    Ok(VolumePage {
        items: with_bricks(conn, rows)?,
        next_cursor,
    })
}

/// The volume rows of one cluster or all, by name then id (`volumes_by_cluster_name`,
/// `volumes_by_name`).
fn by_name<'a>(
    cluster_id: Option<Uuid>,
) -> diesel::dsl::Select<
    volumes::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend>,
    diesel::dsl::AsSelect<VolumeRow, <DbConnection as diesel::Connection>::Backend>,
> {
    let mut q = volumes::table
        .order((volumes::name.asc(), volumes::id.asc()))
        .into_boxed();
    if let Some(c) = cluster_id {
        q = q.filter(volumes::cluster_id.eq(c.to_string()));
    }
    q.select(VolumeRow::as_select())
}

fn encode_cursor(name: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{name}|{id}"))
}

fn decode_cursor(cursor: &str) -> Result<(String, String), PersistenceError> {
    let raw = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| PersistenceError::InvalidCursor)?;
    let raw = String::from_utf8(raw).map_err(|_| PersistenceError::InvalidCursor)?;
    // Volume names have no '|' in gluster, but the id (a UUID) is the part after the last one.
    let (name, id) = raw
        .rsplit_once('|')
        .ok_or(PersistenceError::InvalidCursor)?;
    Uuid::parse_str(id).map_err(|_| PersistenceError::InvalidCursor)?;
    Ok((name.to_owned(), id.to_owned()))
}
