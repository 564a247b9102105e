//! Errors of the persistence layer.

use thiserror::Error;

/// A persistence operation failed.
#[derive(Debug, Error)]
pub enum PersistenceError {
    /// The row asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The volume already has an active job (the database's unique index said so).
    #[error("the volume already has an active job")]
    ActiveJobExists,
    /// A unique constraint other than the one-active-job rule.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// A stored value could not be read back (corrupt or from a newer version).
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    /// A pagination cursor that this service did not issue.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The database URL is not usable.
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    /// Migrations could not be applied.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// No connection could be had from the pool.
    #[error("database pool: {0}")]
    Pool(String),
    /// Any other database error.
    #[error("database: {0}")]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for PersistenceError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => PersistenceError::NotFound("row"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info) => {
                let what = format!(
                    "{} {}",
                    info.constraint_name().unwrap_or_default(),
                    info.message()
                );
                // PostgreSQL names the index; SQLite names the column ("jobs.volume_id").
                if what.contains("jobs_one_active_per_volume") || what.contains("jobs.volume_id") {
                    PersistenceError::ActiveJobExists
                } else {
                    PersistenceError::Duplicate(info.message().to_owned())
                }
            }
            other => PersistenceError::Database(other),
        }
    }
}

impl From<r2d2_error::PoolError> for PersistenceError {
    fn from(e: r2d2_error::PoolError) -> Self {
        PersistenceError::Pool(e.to_string())
    }
}

mod r2d2_error {
    pub use diesel::r2d2::PoolError;
}
