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
    /// The database cannot take the write (or read) now: locked past the busy timeout, disk
    /// full, read-only, an I/O error, the connection lost. Retrying later may succeed.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database could not be opened at start.
    #[error("cannot open the database {target}: {cause}")]
    Open {
        /// The file (SQLite) or the URL without its password (PostgreSQL).
        target: String,
        /// Why.
        cause: String,
    },
    /// Another process already serves from this SQLite file.
    #[error("{0}")]
    InUse(String),
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
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, ref info) => {
                PersistenceError::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(_, ref info) if is_transient(info.message()) => {
                PersistenceError::Unavailable(info.message().to_owned())
            }
            other => PersistenceError::Database(other),
        }
    }
}

/// Whether a database's error message says it cannot take the statement now, for a reason
/// that passes (SQLite's and PostgreSQL's own wording).
fn is_transient(message: &str) -> bool {
    const TRANSIENT: [&str; 9] = [
        "database is locked",
        "database table is locked",
        "database or disk is full",
        "readonly database",
        "disk I/O error",
        "unable to open database file",
        "could not extend file",
        "No space left on device",
        "read-only transaction",
    ];
    TRANSIENT.iter().any(|t| message.contains(t))
}

impl From<r2d2_error::PoolError> for PersistenceError {
    fn from(e: r2d2_error::PoolError) -> Self {
        // No connection within the pool's timeout: every connection is busy, or none can be
        // opened now. Either passes.
        PersistenceError::Unavailable(e.to_string())
    }
}

impl PersistenceError {
    /// Whether retrying later may succeed (the request itself was fine).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, PersistenceError::Unavailable(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_database_errors_are_unavailable() {
        for m in [
            "database is locked",
            "database or disk is full",
            "attempt to write a readonly database",
            "disk I/O error",
            "could not extend file \"base/1/2\": No space left on device",
        ] {
            assert!(is_transient(m), "{m}");
        }
        for m in [
            "no such table: jobs",
            "UNIQUE constraint failed: jobs.id",
            "syntax error",
        ] {
            assert!(!is_transient(m), "{m}");
        }
    }
}

mod r2d2_error {
    pub use diesel::r2d2::PoolError;
}
