//! Shared application state and the helper that runs blocking work off the async workers.

use crate::error::ApiError;
use actix_web::web;
use persistence::Store;
use scheduler::{Operations, Scheduler};
use std::sync::Arc;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Task operations (start, stop).
    pub ops: Operations,
    /// Configured clusters and their pollers.
    pub scheduler: Arc<Scheduler>,
    /// This process among the replicas sharing the database.
    pub replica: scheduler::Replica,
    /// `Retry-After` (seconds) on resources that are still changing: the active poll interval.
    pub retry_after_secs: u64,
    /// The bearer tokens that may call the API (none: open, on loopback only).
    pub tokens: Arc<crate::auth::Tokens>,
    /// `GET /readyz` fails when no configured cluster answered a poll for this long.
    pub ready_window: chrono::Duration,
    /// Body deadline, event-stream slots and the shutdown flag.
    pub limits: crate::limits::Limits,
    /// `GET /jobs/{job_id}`'s answers, kept current by the store's change feed.
    pub jobs_cache: Arc<crate::job_cache::JobCache>,
    /// The Prometheus metrics (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// The `Retry-After` hint for a job: while it has not ended, how soon polling again makes
    /// sense.
    pub fn retry_after(&self, job: &domain::Job) -> Option<u64> {
        // A failed removal gluster still holds is not over: its release is still to come.
        (!job.status.is_terminal() || job.tracking.needs_stop).then_some(self.retry_after_secs)
    }
}

/// Runs `f` (database or CLI calls) on actix's blocking thread pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f).await?
}
