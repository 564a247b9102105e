//! The lease that makes exactly one replica poll a cluster, and spreads clusters over replicas.

use crate::{Clock, PollError};
use chrono::{DateTime, Utc};
use persistence::repo::leases;
use persistence::Store;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Who this process is among the replicas sharing a database, and how long its leases last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// Unique per process: host name, pid and a random suffix.
    pub id: String,
    /// How long a lease lasts without renewal. A replica that dies loses its clusters after
    /// this; it must be well above the poll interval's renewal pace and any clock skew.
    pub lease: Duration,
}

impl Replica {
    /// A fresh identity for this process.
    pub fn this_process(lease: Duration) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "replica".to_owned());
        let suffix = Uuid::new_v4().simple().to_string();
        Replica {
            id: format!("{host}-{}-{}", std::process::id(), &suffix[..8]),
            lease,
        }
    }
}

/// Takes, renews and gives up the lease of one cluster for one replica.
#[derive(Debug, Clone)]
pub struct LeaseKeeper {
    store: Store,
    clock: Arc<dyn Clock>,
    replica: Replica,
    cluster_id: Uuid,
    clusters_total: usize,
}

impl LeaseKeeper {
    /// A keeper of `cluster_id`'s lease; `clusters_total` is how many clusters are configured
    /// (to compute this replica's fair share).
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        replica: Replica,
        cluster_id: Uuid,
        clusters_total: usize,
    ) -> Self {
        Self {
            store,
            clock,
            replica,
            cluster_id,
            clusters_total: clusters_total.max(1),
        }
    }

    /// The replica.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    fn until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.replica.lease).unwrap_or(chrono::Duration::MAX)
    }

    /// Announces the replica, then takes or renews the lease if this replica should poll the
    /// cluster: it holds the lease already and not more than its fair share of clusters, or
    /// the lease is free (or expired) and it holds fewer than its share. Returns whether it
    /// holds the lease now.
    pub fn hold(&self) -> Result<bool, PollError> {
        let now = self.clock.now();
        let since = now - chrono::Duration::from_std(self.replica.lease).unwrap_or_default();
        let me = self.replica.id.as_str();
        let cid = self.cluster_id;
        let until = self.until(now);
        let total = self.clusters_total;
        Ok(self.store.write(|c| {
            leases::heartbeat(c, me, now)?;
            let live = leases::live_replicas(c, since)?;
            let share = total.div_ceil(live);
            let held = leases::held_by(c, me, now)?;
            let mine = leases::holder(c, cid)?.is_some_and(|(o, exp)| o == me && exp >= now);
            if mine && held > share {
                // More replicas than when this lease was taken: give one up for a newcomer.
                leases::release(c, cid, me)?;
                return Ok(false);
            }
            if !mine && held >= share {
                return Ok(false);
            }
            leases::acquire(c, cid, me, now, until)
        })?)
    }

    /// Renews the lease during a cycle; an error when it was lost (the cycle must stop
    /// writing: another replica may be polling the cluster now).
    pub fn renew(&self) -> Result<(), PollError> {
        let now = self.clock.now();
        let until = self.until(now);
        let (me, cid) = (self.replica.id.as_str(), self.cluster_id);
        if self
            .store
            .write(|c| leases::acquire(c, cid, me, now, until))?
        {
            Ok(())
        } else {
            Err(PollError::LeaseLost)
        }
    }

    /// Gives the lease up (clean shutdown) so another replica can take the cluster at once.
    pub fn release(&self) {
        let (me, cid) = (self.replica.id.as_str(), self.cluster_id);
        let now = self.clock.now();
        let stale = now - chrono::Duration::days(1);
        if let Err(e) = self.store.write(|c| {
            leases::release(c, cid, me)?;
            leases::leave(c, me, stale)
        }) {
            log::warn!("cannot release the lease of cluster {cid}: {e}");
        }
    }
}
