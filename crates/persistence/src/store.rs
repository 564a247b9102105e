//! The store: a pool of connections, migrations at start, and read/write helpers.

use crate::connection::{Backend, DbConnection, Manager};
use crate::PersistenceError;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The PostgreSQL advisory lock key held while migrations run (any constant unique to us).
const MIGRATION_LOCK_KEY: i64 = 0x6774_6173_6b73; // "gtasks"

/// Takes an exclusive lock on `path` (created if missing); released when the file closes.
fn lock_file(path: &std::path::Path) -> Result<std::fs::File, PersistenceError> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| PersistenceError::Migration(format!("lock {}: {e}", path.display())))?;
    f.lock()
        .map_err(|e| PersistenceError::Migration(format!("lock {}: {e}", path.display())))?;
    Ok(f)
}

/// A handle to the database, cheap to clone. Every call blocks: run it off async workers
/// (`web::block` or a dedicated thread).
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite allows one writer: writes in this process take turns here instead of failing with
    /// SQLITE_BUSY when a read transaction upgrades to a write.
    sqlite_writer: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Store {
    /// Opens a pool of `pool_size` connections to `url` and applies pending migrations.
    pub fn open(url: &str, pool_size: u32) -> Result<Self, PersistenceError> {
        let manager = Manager::new(url, Duration::from_secs(10))?;
        let backend = manager.backend();
        let migrate_lock = manager
            .sqlite_path()
            .map(|p| std::path::PathBuf::from(format!("{p}.migrate-lock")));
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(Duration::from_secs(15))
            .build(manager)
            .map_err(|e| PersistenceError::Pool(e.to_string()))?;
        let store = Store {
            pool,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
        };
        store.migrate(migrate_lock.as_deref())?;
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn conn(&self) -> Result<PooledConnection<Manager>, PersistenceError> {
        Ok(self.pool.get()?)
    }

    /// Applies pending migrations under a lock that other processes respect, so replicas
    /// starting together do not race: a PostgreSQL advisory lock, or for SQLite an exclusive
    /// lock on `LOCKFILE` beside the database file.
    fn migrate(&self, sqlite_lock: Option<&std::path::Path>) -> Result<(), PersistenceError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let _guard = self.writer_guard();
        let _file_lock = match sqlite_lock {
            Some(path) => Some(lock_file(path)?),
            None => None,
        };
        if self.backend == Backend::Postgres {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
        }
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let result = conn
            .run_pending_migrations(migrations)
            .map(|applied| {
                for m in applied {
                    log::info!("applied migration {m}");
                }
            })
            .map_err(|e| PersistenceError::Migration(e.to_string()));
        if self.backend == Backend::Postgres {
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
        }
        result
    }

    fn writer_guard(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        match self.backend {
            // A poisoned lock only means another writer panicked; the database rolled back.
            Backend::Sqlite => Some(
                self.sqlite_writer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            ),
            Backend::Postgres => None,
        }
    }

    /// Runs `f` on a connection without a transaction (reads).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, PersistenceError>,
    ) -> Result<T, PersistenceError> {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction: all of it is written, or none.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, PersistenceError>,
    ) -> Result<T, PersistenceError> {
        let mut conn = self.conn()?;
        let _guard = self.writer_guard();
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(f)
    }
}

impl From<diesel_migrations::MigrationError> for PersistenceError {
    fn from(e: diesel_migrations::MigrationError) -> Self {
        PersistenceError::Migration(e.to_string())
    }
}
