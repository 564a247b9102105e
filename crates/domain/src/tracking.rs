//! What following a job's task has established so far, kept as columns so that a restart or a
//! lease takeover carries on where the last poll left off.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The poller's memory of a job's task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// Nodes (peer host names) that gluster's report left out while their glusterd is
    /// disconnected: the job is held back from `completed` until they report. Empty when
    /// nothing holds the job.
    pub held_for: Vec<String>,
    /// Polls in a row in which gluster reported nothing for the task.
    pub misses: u32,
    /// The first of those polls.
    pub missing_since: Option<DateTime<Utc>>,
    /// The last poll at which the task's counters or run time moved (or it started).
    pub progressed_at: Option<DateTime<Utc>>,
    /// Set while gluster reports the task in progress but nothing has moved for the stall
    /// threshold: since when nothing moves.
    pub stalled_since: Option<DateTime<Utc>>,
    /// Gluster still holds the task of this ended job (a failed removal): it blocks other
    /// rebalance and remove-brick operations on the volume until it is stopped.
    pub needs_stop: bool,
}

impl Tracking {
    /// Whether a followed task was missing from the last poll.
    pub fn is_missing(&self) -> bool {
        self.misses > 0
    }
}
