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

/// Ended jobs deleted per transaction: each batch holds the writer lock only briefly.
pub const PURGE_BATCH: usize = 50;

/// The pause between two purge batches, in which other writers (the poller, the API) get the
/// lock.
pub const PURGE_PAUSE: Duration = Duration::from_millis(20);

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
    batch: usize,
    pause: Duration,
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
            batch: PURGE_BATCH,
            pause: PURGE_PAUSE,
        }
    }

    /// The same purges in batches of `batch` jobs (at least 1) with `pause` between batches
    /// instead of [`PURGE_BATCH`] and [`PURGE_PAUSE`].
    pub fn with_batches(mut self, batch: usize, pause: Duration) -> Self {
        self.batch = batch.max(1);
        self.pause = pause;
        self
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
                let n = self.purge_cluster(cid, before, now)?;
                if n > 0 {
                    log::info!("cluster {cid}: purged {n} jobs that ended before {before}");
                }
                purged.jobs += n;
            }
        }
        Ok(purged)
    }

    /// Purges the expired jobs of one cluster, `batch` per transaction, until a batch comes
    /// back short; returns how many went.
    fn purge_cluster(
        &self,
        cluster: Uuid,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, PersistenceError> {
        let mut total = 0;
        loop {
            let n = self
                .store
                .write(|c| jobs::purge_ended(c, cluster, before, now, self.batch))?;
            total += n;
            if n < self.batch {
                return Ok(total);
            }
            std::thread::sleep(self.pause);
        }
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
