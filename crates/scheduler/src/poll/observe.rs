//! What the pollers report about each cycle, for whoever counts them (the service's metrics).

use std::time::Duration;

/// How a poll cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CycleOutcome {
    /// It ran to the end.
    Ok,
    /// It failed (gluster unreachable, the store unavailable…); the poller backs off.
    Failed,
    /// Another replica took the cluster's lease; this one stops polling it.
    LeaseLost,
}

impl CycleOutcome {
    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleOutcome::Ok => "ok",
            CycleOutcome::Failed => "failed",
            CycleOutcome::LeaseLost => "lease_lost",
        }
    }
}

/// Told about every poll cycle of every cluster.
pub trait CycleObserver: Send + Sync + std::fmt::Debug {
    /// A cycle of `cluster` (its configured name) ended with `outcome` after `took`.
    fn cycle(&self, cluster: &str, outcome: CycleOutcome, took: Duration);
}
