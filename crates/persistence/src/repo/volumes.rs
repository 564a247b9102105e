//! Volumes and their bricks (the inventory).

use crate::models::{BrickRow, VolumeRow};
use crate::schema::{bricks, volumes};
use crate::{DbConnection, PersistenceError};
use diesel::prelude::*;
use domain::Volume;
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

/// Replaces a cluster's whole inventory: upserts `current`, deletes volumes no longer there.
pub fn replace_inventory(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    current: &[Volume],
) -> Result<(), PersistenceError> {
    let keep: Vec<String> = current.iter().map(|v| v.id.to_string()).collect();
    diesel::delete(
        volumes::table
            .filter(volumes::cluster_id.eq(cluster_id.to_string()))
            .filter(volumes::id.ne_all(&keep)),
    )
    .execute(conn)?;
    for v in current {
        upsert(conn, v)?;
    }
    Ok(())
}

fn with_bricks(conn: &mut DbConnection, row: VolumeRow) -> Result<Volume, PersistenceError> {
    let bricks = bricks::table
        .filter(bricks::volume_id.eq(&row.id))
        .order(bricks::position.asc())
        .select(BrickRow::as_select())
        .load(conn)?
        .into_iter()
        .map(BrickRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    row.into_domain(bricks)
}

/// One volume by id.
pub fn get(conn: &mut DbConnection, volume_id: Uuid) -> Result<Option<Volume>, PersistenceError> {
    let row = volumes::table
        .find(volume_id.to_string())
        .select(VolumeRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| with_bricks(conn, r)).transpose()
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
    row.map(|r| with_bricks(conn, r)).transpose()
}

/// All volumes, optionally of one cluster, by name.
pub fn list(
    conn: &mut DbConnection,
    cluster_id: Option<Uuid>,
) -> Result<Vec<Volume>, PersistenceError> {
    let mut q = volumes::table
        .select(VolumeRow::as_select())
        .order((volumes::name.asc(), volumes::id.asc()))
        .into_boxed();
    if let Some(c) = cluster_id {
        q = q.filter(volumes::cluster_id.eq(c.to_string()));
    }
    q.load(conn)?
        .into_iter()
        .map(|r| with_bricks(conn, r))
        .collect()
}
