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
}

/// Runs `f` (database or CLI calls) on actix's blocking thread pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f).await?
}
