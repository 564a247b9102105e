//! The store: a pool of connections, migrations at start, and read/write helpers.

use crate::changes::{Change, Hub, Scope, SeqWatch};
use crate::connection::{Backend, DbConnection, Manager};
use crate::PersistenceError;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// How long a SQLite statement waits for another connection's lock before giving up, unless
/// [`Store::open_with`] says otherwise.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the watcher of a PostgreSQL store reads the change counter for other replicas'
/// changes: the bound on how late they reach this process's listeners.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(300);
/// How long a caller waits for a free connection of the pool.
const POOL_TIMEOUT: Duration = Duration::from_secs(15);

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
    /// Migrations in this process take turns here (other processes: a file lock).
    sqlite_writer: Arc<Mutex<()>>,
    /// SQLite: this process's exclusive hold on the file ([`crate::sqlite_owner`]).
    _owner: Option<Arc<crate::sqlite_owner::Owner>>,
    /// Where committed changes are published ([`crate::changes`]); on SQLite shared by every
    /// Store of the file in this process.
    hub: Arc<Hub>,
    /// How many times a connection was taken for [`Store::read`] or [`Store::write`].
    uses: Arc<AtomicU64>,
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
    ///
    /// Fails at once, naming the file or server and the cause, when the database cannot be
    /// opened (a SQLite file's missing directory is created first), and when another process
    /// already serves from the same SQLite file.
    pub fn open(url: &str, pool_size: u32) -> Result<Self, PersistenceError> {
        Self::open_with(url, pool_size, BUSY_TIMEOUT)
    }

    /// [`Store::open`] with SQLite's busy timeout: how long a statement waits for another
    /// connection's lock (a write waits this long for the write lock) before it is refused.
    pub fn open_with(
        url: &str,
        pool_size: u32,
        busy_timeout: Duration,
    ) -> Result<Self, PersistenceError> {
        let manager = Manager::new(url, busy_timeout)?;
        let backend = manager.backend();
        let owner = match manager.sqlite_path() {
            Some(path) => {
                let path = std::path::Path::new(path);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| PersistenceError::Open {
                        target: path.display().to_string(),
                        cause: format!("cannot create its directory {}: {e}", dir.display()),
                    })?;
                }
                Some(crate::sqlite_owner::own(path)?)
            }
            None => None,
        };
        // One connection first, so a database that cannot be opened is one clear error now
        // rather than the pool's retries until its timeout.
        manager.connect().map_err(|e| PersistenceError::Open {
            target: manager.display_target(),
            // One line: PostgreSQL's messages come with a hint on a line of their own.
            cause: e
                .to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        })?;
        let migrate_lock = manager
            .sqlite_path()
            .map(|p| std::path::PathBuf::from(format!("{p}.migrate-lock")));
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(POOL_TIMEOUT)
            .build(manager)
            .map_err(|e| PersistenceError::Pool(e.to_string()))?;
        let hub = match &owner {
            Some(o) => o.hub.clone(),
            None => Arc::new(Hub::new(0)),
        };
        let store = Store {
            pool,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
            _owner: owner,
            hub,
            uses: Arc::new(AtomicU64::new(0)),
        };
        store.migrate(migrate_lock.as_deref())?;
        let (seq, deletions) = {
            let mut conn = store.pool.get()?;
            crate::repo::jobs::feed::counter(&mut conn)?
        };
        store.hub.raise_to(seq);
        if backend == Backend::Postgres {
            // Other replicas write the same database: watch the counter for their changes.
            crate::watcher::spawn(
                store.pool.clone(),
                Arc::downgrade(&store.hub),
                seq,
                deletions,
            )?;
        }
        Ok(store)
    }

    /// The highest change sequence this process knows committed: raised at once by this
    /// process's writes, within [`WATCH_INTERVAL`] by other replicas'.
    pub fn change_seq(&self) -> i64 {
        self.hub.current()
    }

    /// Follows [`Store::change_seq`]: `changed().await` returns when it rises.
    pub fn changes(&self) -> SeqWatch {
        self.hub.subscribe()
    }

    /// Calls `f` with every committed [`Change`]: this process's own, synchronously in the
    /// writer's thread after the commit and before [`Store::write`] returns; other replicas',
    /// from the watcher thread within [`WATCH_INTERVAL`]. `f` must be quick and must not
    /// write through the store.
    pub fn on_change(&self, f: impl Fn(&Change) + Send + Sync + 'static) {
        self.hub.listen(Box::new(f));
    }

    /// How many times [`Store::read`] or [`Store::write`] took a connection (the watcher's
    /// reads not counted): instrumentation for tests of work the store is spared.
    pub fn connection_uses(&self) -> u64 {
        self.uses.load(Ordering::Relaxed)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn conn(&self) -> Result<PooledConnection<Manager>, PersistenceError> {
        self.uses.fetch_add(1, Ordering::Relaxed);
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

    /// Runs `f` in one transaction: all of it is written, or none. On SQLite the transaction
    /// takes the write lock first (`BEGIN IMMEDIATE`), waiting up to [`BUSY_TIMEOUT`] for
    /// another process's writer; a deferred transaction that reads, then writes, would fail at
    /// once instead of waiting. Still locked after that: [`PersistenceError::Unavailable`].
    ///
    /// Once committed, what the transaction changed is published ([`Store::on_change`],
    /// [`Store::changes`]) before this returns.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, PersistenceError>,
    ) -> Result<T, PersistenceError> {
        let scope = Scope::begin();
        let value = self.transaction(f)?;
        self.hub.publish(&scope.take());
        Ok(value)
    }

    fn transaction<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, PersistenceError>,
    ) -> Result<T, PersistenceError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        // No in-process turn-taking on top: `BEGIN IMMEDIATE` serialises writers itself, and
        // a wait for a mutex would not count against the busy timeout.
        if let DbConnection::Sqlite(sqlite) = conn {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
            return match f(conn) {
                Ok(value) => {
                    <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    // The error that ended the transaction is the one worth reporting.
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(e)
                }
            };
        }
        conn.transaction(f)
    }
}

impl From<diesel_migrations::MigrationError> for PersistenceError {
    fn from(e: diesel_migrations::MigrationError) -> Self {
        PersistenceError::Migration(e.to_string())
    }
}
