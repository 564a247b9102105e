//! Repositories: one module per aggregate, plain functions over `&mut DbConnection`.

pub mod clusters;
pub mod idempotency;
pub mod jobs;
pub mod leases;
pub mod timeline;
pub mod volumes;

use crate::{DbConnection, PersistenceError};
use diesel::prelude::*;

/// Runs an insert in a savepoint; a row that another writer inserted first (unique violation)
/// is `false`, not an error, and leaves the surrounding transaction usable (PostgreSQL would
/// otherwise abort it).
pub(crate) fn insert_unless_present(
    conn: &mut DbConnection,
    insert: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
) -> Result<bool, PersistenceError> {
    use diesel::result::{DatabaseErrorKind, Error};
    match conn.transaction(insert) {
        Ok(n) => Ok(n == 1),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
