//! A configured cluster: its id, name and the driver that reaches it.

use gluster::Gluster;
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

/// Namespace of cluster ids: a cluster's id is the UUIDv5 of its configured name, so it stays
/// the same across restarts and replicas.
const CLUSTER_ID_NAMESPACE: Uuid = Uuid::from_u128(0x1f4e_23a9_8c55_4b0e_b1d2_7a36_c0e9_5d48);

/// One cluster the service manages.
#[derive(Clone)]
pub struct ClusterContext {
    /// Stable id.
    pub id: Uuid,
    /// Configured name.
    pub name: String,
    /// How to reach its gluster.
    pub driver: Arc<dyn Gluster>,
}

impl ClusterContext {
    /// A cluster named `name` reached through `driver`.
    pub fn new(name: &str, driver: Arc<dyn Gluster>) -> Self {
        Self {
            id: Self::id_for(name),
            name: name.to_owned(),
            driver,
        }
    }

    /// The stable id of the cluster named `name`.
    pub fn id_for(name: &str) -> Uuid {
        Uuid::new_v5(&CLUSTER_ID_NAMESPACE, name.as_bytes())
    }
}

impl fmt::Debug for ClusterContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterContext")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish()
    }
}
