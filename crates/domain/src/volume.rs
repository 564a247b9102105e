//! Volumes, bricks and peers as the inventory knows them.

use crate::DomainError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Namespace for brick ids: a brick's id is a UUIDv5 of its volume id and name, so it stays the
/// same across inventory refreshes without gluster having to give bricks ids.
const BRICK_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6a0c_5f5e_3c1b_4d7e_9a4b_2f10_8e6d_c7a1);

/// A gluster volume's type (`typeStr`; numeric `type` values shifted between releases).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeType {
    /// Plain distribute.
    Distribute,
    /// One replica set.
    Replicate,
    /// Several replica sets.
    DistributedReplicate,
    /// One disperse set.
    Disperse,
    /// Several disperse sets.
    DistributedDisperse,
    /// Legacy stripe types and anything newer than this service.
    Other,
}

impl VolumeType {
    /// Parses gluster's `typeStr`.
    pub fn from_gluster(type_str: &str) -> Self {
        match type_str.trim().to_ascii_lowercase().as_str() {
            "distribute" => VolumeType::Distribute,
            "replicate" => VolumeType::Replicate,
            "distributed-replicate" => VolumeType::DistributedReplicate,
            "disperse" => VolumeType::Disperse,
            "distributed-disperse" => VolumeType::DistributedDisperse,
            _ => VolumeType::Other,
        }
    }

    /// Stable string form (API and database).
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeType::Distribute => "distribute",
            VolumeType::Replicate => "replicate",
            VolumeType::DistributedReplicate => "distributed_replicate",
            VolumeType::Disperse => "disperse",
            VolumeType::DistributedDisperse => "distributed_disperse",
            VolumeType::Other => "other",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Self {
        match s {
            "distribute" => VolumeType::Distribute,
            "replicate" => VolumeType::Replicate,
            "distributed_replicate" => VolumeType::DistributedReplicate,
            "disperse" => VolumeType::Disperse,
            "distributed_disperse" => VolumeType::DistributedDisperse,
            _ => VolumeType::Other,
        }
    }
}

/// A volume's state (`statusStr`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeStatus {
    /// Created, never started.
    Created,
    /// Started.
    Started,
    /// Stopped.
    Stopped,
    /// A state this service does not know.
    Unknown,
}

impl VolumeStatus {
    /// Parses gluster's `statusStr`.
    pub fn from_gluster(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "created" => VolumeStatus::Created,
            "started" => VolumeStatus::Started,
            "stopped" => VolumeStatus::Stopped,
            _ => VolumeStatus::Unknown,
        }
    }

    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeStatus::Created => "created",
            VolumeStatus::Started => "started",
            VolumeStatus::Stopped => "stopped",
            VolumeStatus::Unknown => "unknown",
        }
    }

    /// Parses the stable string form.
    pub fn parse(s: &str) -> Self {
        Self::from_gluster(s)
    }
}

/// The counts that describe how bricks are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VolumeLayout {
    /// Number of bricks.
    pub brick_count: i32,
    /// Number of distribute subvolumes (`distCount` is the bricks per subvolume in gluster's XML;
    /// this is the number of subvolumes).
    pub distribute_count: i32,
    /// Bricks per replica set (1 when not replicated).
    pub replica_count: i32,
    /// Arbiter bricks per replica set.
    pub arbiter_count: i32,
    /// Bricks per disperse set (0 when not dispersed).
    pub disperse_count: i32,
    /// Redundancy bricks per disperse set.
    pub redundancy_count: i32,
}

/// A brick of a volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brick {
    /// Stable id: UUIDv5 of the volume id and the brick name.
    pub id: Uuid,
    /// `host:/path`.
    pub name: String,
    /// Position in the volume (0-based), which decides its replica or disperse set.
    pub position: i32,
    /// The UUID of the peer that hosts it.
    pub peer_id: Option<Uuid>,
    /// An arbiter brick holds metadata only.
    pub is_arbiter: bool,
}

impl Brick {
    /// The stable id of brick `name` in volume `volume_id`.
    pub fn id_for(volume_id: Uuid, name: &str) -> Uuid {
        let mut key = volume_id.as_bytes().to_vec();
        key.extend_from_slice(name.as_bytes());
        Uuid::new_v5(&BRICK_ID_NAMESPACE, &key)
    }
}

/// A volume as the inventory last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// Gluster's volume UUID.
    pub id: Uuid,
    /// The cluster it belongs to.
    pub cluster_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its type.
    pub vol_type: VolumeType,
    /// Its state.
    pub status: VolumeStatus,
    /// How its bricks are grouped.
    pub layout: VolumeLayout,
    /// Its bricks, in order.
    pub bricks: Vec<Brick>,
    /// When the inventory last refreshed it.
    pub refreshed_at: DateTime<Utc>,
}

impl Volume {
    /// Checks what gluster checks before `volume rebalance VOL start`, with gluster's wording,
    /// so a request is refused precisely before any CLI call.
    pub fn check_rebalance_eligible(&self) -> Result<(), DomainError> {
        if self.status != VolumeStatus::Started {
            return Err(DomainError::NotEligible(format!(
                "Volume {} needs to be started to perform rebalance",
                self.name
            )));
        }
        if self.layout.distribute_count <= 1 {
            return Err(DomainError::NotEligible(format!(
                "Volume {} is not a distribute volume or contains only 1 brick.\nNot performing rebalance",
                self.name
            )));
        }
        Ok(())
    }
}

/// A peer of a cluster's trusted pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// Gluster's peer UUID.
    pub id: Uuid,
    /// The host name, as the pool knows it (the node answering calls itself `localhost`).
    pub hostname: String,
    /// Whether glusterd on that peer is connected.
    pub connected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(status: VolumeStatus, distribute_count: i32) -> Volume {
        Volume {
            id: Uuid::new_v4(),
            cluster_id: Uuid::new_v4(),
            name: "v".into(),
            vol_type: VolumeType::Distribute,
            status,
            layout: VolumeLayout {
                brick_count: distribute_count,
                distribute_count,
                replica_count: 1,
                ..Default::default()
            },
            bricks: vec![],
            refreshed_at: Utc::now(),
        }
    }

    #[test]
    fn rebalance_needs_a_started_volume_with_two_subvolumes() {
        assert!(volume(VolumeStatus::Started, 2)
            .check_rebalance_eligible()
            .is_ok());
        let err = volume(VolumeStatus::Started, 1)
            .check_rebalance_eligible()
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("not a distribute volume or contains only 1 brick"));
        let err = volume(VolumeStatus::Stopped, 4)
            .check_rebalance_eligible()
            .unwrap_err();
        assert!(err.to_string().contains("needs to be started"));
    }

    #[test]
    fn brick_ids_are_stable_and_distinct() {
        let v = Uuid::new_v4();
        assert_eq!(Brick::id_for(v, "h:/a"), Brick::id_for(v, "h:/a"));
        assert_ne!(Brick::id_for(v, "h:/a"), Brick::id_for(v, "h:/b"));
        assert_ne!(
            Brick::id_for(v, "h:/a"),
            Brick::id_for(Uuid::new_v4(), "h:/a")
        );
    }

    #[test]
    fn volume_types_parse_from_type_str() {
        assert_eq!(
            VolumeType::from_gluster("Distributed-Replicate"),
            VolumeType::DistributedReplicate
        );
        assert_eq!(VolumeType::from_gluster("Stripe"), VolumeType::Other);
        for t in [
            VolumeType::Distribute,
            VolumeType::Disperse,
            VolumeType::DistributedDisperse,
        ] {
            assert_eq!(VolumeType::parse(t.as_str()), t);
        }
    }
}
