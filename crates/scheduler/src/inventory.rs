//! Turning `volume info` answers into inventory volumes.

use chrono::{DateTime, Utc};
use domain::{Brick, NodeProgress, Peer, Volume};
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

/// The host part of a brick name (`host:/path`).
fn brick_host(brick: &str) -> Option<&str> {
    brick.rsplit_once(":/").map(|(host, _)| host)
}

/// The pool's peers, with the node gluster calls `localhost` (the one that answered) named by
/// its peer host name: the host its bricks are on, else `answering_host` (the host the call
/// went to).
pub fn name_peers(
    pool: Vec<Peer>,
    infos: &[VolumeInfo],
    answering_host: Option<&str>,
) -> Vec<Peer> {
    pool.into_iter()
        .map(|mut p| {
            if gluster::model::names_answering_node(&p.hostname) {
                let from_bricks = infos
                    .iter()
                    .flat_map(|i| i.bricks.iter())
                    .find(|b| b.peer_id == Some(p.id))
                    .and_then(|b| brick_host(&b.name));
                if let Some(host) = from_bricks.or(answering_host) {
                    p.hostname = host.to_owned();
                }
            }
            p
        })
        .collect()
}

/// Per-node rows of a task report with the answering node (`localhost`) named by its peer host
/// name, as the volume's bricks call it (else `answering_host`).
pub fn name_nodes(
    nodes: &mut [NodeProgress],
    volume: Option<&Volume>,
    answering_host: Option<&str>,
) {
    for n in nodes.iter_mut() {
        if !gluster::model::names_answering_node(&n.name) {
            continue;
        }
        let from_bricks = volume
            .and_then(|v| v.bricks.iter().find(|b| b.peer_id == Some(n.peer_id)))
            .and_then(|b| brick_host(&b.name));
        if let Some(host) = from_bricks.or(answering_host) {
            n.name = host.to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gluster::BrickInfo;

    #[test]
    fn the_answering_node_is_named_as_its_bricks_name_it() {
        let me = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let pool = vec![
            Peer {
                id: me,
                hostname: "localhost".into(),
                connected: true,
            },
            Peer {
                id: other,
                hostname: "192.0.2.12".into(),
                connected: true,
            },
            Peer {
                id: Uuid::from_u128(3),
                hostname: "localhost".into(),
                connected: true,
            },
        ];
        let info = VolumeInfo {
            bricks: vec![BrickInfo {
                name: "192.0.2.11:/b/1".into(),
                peer_id: Some(me),
                is_arbiter: false,
            }],
            id: Uuid::nil(),
            name: "v".into(),
            vol_type: domain::VolumeType::Distribute,
            status: domain::VolumeStatus::Started,
            layout: domain::VolumeLayout::default(),
        };
        let named = name_peers(pool, &[info], Some("n3"));
        let names: Vec<&str> = named.iter().map(|p| p.hostname.as_str()).collect();
        assert_eq!(names, ["192.0.2.11", "192.0.2.12", "n3"]);
    }
}
