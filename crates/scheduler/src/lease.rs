//! The lease that makes exactly one replica poll a cluster, and spreads clusters over replicas.

use crate::{Clock, PollError};
use chrono::{DateTime, Utc};
use persistence::repo::{jobs, leases};
use persistence::Store;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Who this process is among the replicas sharing a database, and how long its leases last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// `HOST-PID-LINEAGE`: unique per process. `LINEAGE` is the same for every run of the
    /// service on this host with the same store (see [`Replica::this_process`]), so a restarted
    /// process recognises the leases of its own dead predecessor.
    pub id: String,
    /// How long a lease lasts without renewal. A replica that dies loses its clusters after
    /// this; it must be well above the poll interval's renewal pace and any clock skew.
    pub lease: Duration,
}

/// The host name, as the replica id gives it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "replica".to_owned())
}

/// Eight hex digits of FNV-1a over `text`: stable across runs and versions.
fn lineage_of(text: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

impl Replica {
    /// This process's identity; `lineage` names what makes a later run the same service (the
    /// store's URL and the working directory, say).
    pub fn this_process(lease: Duration, lineage: &str) -> Self {
        Replica {
            id: format!(
                "{}-{}-{}",
                host_name(),
                std::process::id(),
                lineage_of(lineage)
            ),
            lease,
        }
    }

    /// The process id of `other` when it is an earlier run of this same service on this
    /// host (same host and lineage, another pid).
    pub fn predecessor_pid(&self, other: &str) -> Option<u32> {
        let split = |id: &str| -> Option<(String, u32, String)> {
            let mut parts = id.rsplitn(3, '-');
            let lineage = parts.next()?.to_owned();
            let pid = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_owned(), pid, lineage))
        };
        let (host, pid, lineage) = split(&self.id)?;
        let (o_host, o_pid, o_lineage) = split(other)?;
        (o_host == host && o_lineage == lineage && o_pid != pid).then_some(o_pid)
    }
}

/// Whether process `pid` runs on this host (Linux: it has a /proc entry). An unknown answer
/// counts as alive: a lease is then waited out, never taken from a live holder.
fn process_alive(pid: u32) -> bool {
    !matches!(
        std::fs::metadata(format!("/proc/{pid}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    )
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
        let replica = &self.replica;
        Ok(self.store.write(|c| {
            leases::heartbeat(c, me, now)?;
            let live = leases::live_replicas(c, since)?;
            let share = total.div_ceil(live);
            let holder = leases::holder(c, cid)?;
            let held = leases::held_by(c, me, now)?;
            let mine = holder
                .as_ref()
                .is_some_and(|(o, exp)| o == me && *exp >= now);
            if mine && held > share {
                // More replicas than when this lease was taken: give one up for a newcomer.
                leases::release(c, cid, me)?;
                return Ok(false);
            }
            // A lease of this service's own earlier run whose process is gone (killed,
            // crashed): nobody polls the cluster until it expires.
            let gone = holder.as_ref().filter(|(o, _)| o != me).filter(|(o, _)| {
                replica
                    .predecessor_pid(o)
                    .is_some_and(|pid| !process_alive(pid))
            });
            let nobody_polls = gone.is_some() || holder.as_ref().is_none_or(|(_, exp)| *exp < now);
            if !mine && held >= share {
                // Another replica with room will take it; until then its jobs are not current.
                if nobody_polls {
                    let ids: Vec<Uuid> = jobs::tracked(c, cid)?.iter().map(|r| r.job.id).collect();
                    jobs::mark_stale(c, &ids, now)?;
                }
                return Ok(false);
            }
            if let Some((other, _)) = gone {
                // Taken over now rather than waited out.
                if leases::take_over(c, cid, other, me, until)? {
                    log::info!("cluster {cid}: took over the lease of {other}, an earlier run of this service that is gone");
                    leases::leave(c, other, now - chrono::Duration::days(1))?;
                    return Ok(true);
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(id: &str) -> Replica {
        Replica {
            id: id.to_owned(),
            lease: Duration::from_secs(15),
        }
    }

    #[test]
    fn an_earlier_run_is_the_same_host_and_lineage_with_another_pid() {
        let me = replica("gl-node-1-4242-0badf00d");
        for (other, want) in [
            ("gl-node-1-17-0badf00d", Some(17)),
            ("gl-node-1-4242-0badf00d", None),
            ("gl-node-2-17-0badf00d", None),
            ("gl-node-1-17-deadbeef", None),
            ("gl-node-1-x-0badf00d", None),
            ("garbage", None),
        ] {
            assert_eq!(me.predecessor_pid(other), want, "{other}");
        }
        let a = Replica::this_process(Duration::from_secs(1), "sqlite:/var/lib/x.db");
        let b = Replica::this_process(Duration::from_secs(1), "sqlite:/var/lib/x.db");
        assert_eq!(a, b, "the same process and store: the same id");
        assert_ne!(
            a.id,
            Replica::this_process(Duration::from_secs(1), "sqlite:/other.db").id
        );
    }

    #[test]
    fn only_a_missing_process_is_dead() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX - 1));
    }
}
