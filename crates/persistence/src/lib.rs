//! Persistence of gluster-tasks: diesel schema, the connection pool, and repositories.
//!
//! SQL lives only here. Repository functions are synchronous, take `&mut DbConnection`, and
//! return `Result<_, PersistenceError>`, so callers compose them inside one transaction through
//! [`Store::write`]. The backend (SQLite or PostgreSQL) is chosen by the database URL.

pub mod changes;
pub mod connection;
pub mod error;
mod models;
pub mod repo;
pub mod schema;
mod sqlite_owner;
pub mod store;
pub mod test_postgres;
mod watcher;

pub use changes::{Change, SeqWatch};
pub use connection::{Backend, DbConnection};
pub use error::PersistenceError;
pub use repo::jobs::{JobFilter, JobPage, JobRecord};
pub use repo::timeline::TimelineRecord;
pub use store::Store;
