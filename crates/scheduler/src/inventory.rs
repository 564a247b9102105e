//! Turning `volume info` answers into inventory volumes.

use chrono::{DateTime, Utc};
use domain::{Brick, Volume};
use gluster::VolumeInfo;
use uuid::Uuid;

/// The inventory volume for `info` of cluster `cluster_id`, seen at `now`.
pub fn to_volume(cluster_id: Uuid, info: &VolumeInfo, now: DateTime<Utc>) -> Volume {
    Volume {
        id: info.id,
        cluster_id,
        name: info.name.clone(),
        vol_type: info.vol_type,
        status: info.status,
        layout: info.layout,
        bricks: info
            .bricks
            .iter()
            .enumerate()
            .map(|(i, b)| Brick {
                id: Brick::id_for(info.id, &b.name),
                name: b.name.clone(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                peer_id: b.peer_id,
                is_arbiter: b.is_arbiter,
            })
            .collect(),
        refreshed_at: now,
    }
}
