//! The configured clusters, and the handle that asks a cluster's poller for a cycle.

use crate::ClusterContext;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use uuid::Uuid;

/// The clusters this service manages, by id. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    clusters: Arc<HashMap<Uuid, ClusterContext>>,
}

impl Registry {
    /// A registry of `clusters`.
    pub fn new(clusters: Vec<ClusterContext>) -> Self {
        Self {
            clusters: Arc::new(clusters.into_iter().map(|c| (c.id, c)).collect()),
        }
    }

    /// A configured cluster.
    pub fn get(&self, id: Uuid) -> Option<ClusterContext> {
        self.clusters.get(&id).cloned()
    }

    /// All configured clusters, by name.
    pub fn all(&self) -> Vec<ClusterContext> {
        let mut v: Vec<_> = self.clusters.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// How many clusters are configured.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// Whether no cluster is configured.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }
}

/// Asks a cluster's poller for a cycle soon (after a start or stop, say). Wakes coalesce:
/// however many arrive before the poller gets to them, they make one cycle.
pub trait Wake: Send + Sync + Debug {
    /// Rings the poller of `cluster`.
    fn wake(&self, cluster: Uuid);
}

/// A [`Wake`] that wakes nobody: for tools and tests that run cycles themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWake;

impl Wake for NoWake {
    fn wake(&self, _cluster: Uuid) {}
}
