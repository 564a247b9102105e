//! Housekeeping: deleting what has outlived its retention, on its own thread, whether or not
//! any cluster is configured.

use crate::poll::bell::{Bell, Ring};
use crate::Clock;
use chrono::{DateTime, Utc};
use persistence::repo::{idempotency, jobs};
use persistence::{PersistenceError, Store};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long an `Idempotency-Key` is remembered: a client may retry with it for this long.
pub const IDEMPOTENCY_KEY_RETENTION_HOURS: i64 = 24;

/// What one round purged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Ended jobs deleted (each leaves a tombstone of its task).
    pub jobs: usize,
    /// `Idempotency-Key` records deleted.
    pub keys: usize,
}

/// The purges of one process.
#[derive(Debug)]
pub struct Housekeeping {
    store: Store,
    clock: Arc<dyn Clock>,
    job_retention: Duration,
    clusters: Vec<Uuid>,
}

impl Housekeeping {
    /// Purges over `store`: the jobs of `clusters` that ended longer than `job_retention` ago,
    /// and `Idempotency-Key` records older than [`IDEMPOTENCY_KEY_RETENTION_HOURS`].
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        job_retention: Duration,
        clusters: Vec<Uuid>,
    ) -> Self {
        Self {
            store,
            clock,
            job_retention,
            clusters,
        }
    }

    /// One round of purges.
    pub fn run_once(&self) -> Result<Purged, PersistenceError> {
        let now = self.clock.now();
        let keys_before = now - chrono::Duration::hours(IDEMPOTENCY_KEY_RETENTION_HOURS);
        let keys = self
            .store
            .write(|c| idempotency::purge_older_than(c, keys_before))?;
        let mut purged = Purged { jobs: 0, keys };
        // A retention beyond chrono's range keeps every job.
        if let Ok(keep) = chrono::Duration::from_std(self.job_retention) {
            let before: DateTime<Utc> = now - keep;
            for &cid in &self.clusters {
                let n = self
                    .store
                    .write(|c| jobs::purge_ended(c, cid, before, now))?;
                if n > 0 {
                    log::info!("cluster {cid}: purged {n} jobs that ended before {before}");
                }
                purged.jobs += n;
            }
        }
        Ok(purged)
    }

    /// Runs a round now and then every `every` until the bell says stop.
    pub fn run(self, bell: &Bell, every: Duration) {
        loop {
            if let Err(e) = self.run_once() {
                log::warn!("housekeeping: {e}");
            }
            if bell.wait(every) == Ring::Stop {
                break;
            }
        }
    }
}
