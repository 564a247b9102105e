//! The two-backend harness of the persistence test binaries: a fresh SQLite file, or a fresh
//! database on the PostgreSQL server (`GLUSTER_TASKS_TEST_POSTGRES`, skipped without a server
//! unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1`), and `conformance!`, which runs each listed test
//! once per backend, given a [`TestDb`] (a store on the database) or a [`FreshDb`] (the
//! database alone, for tests that open their own stores).

#![allow(dead_code)] // each test binary uses its own part of the harness

use diesel::{Connection, PgConnection, RunQueryDsl};
use persistence::Store;
use uuid::Uuid;

/// A fresh database of one backend, no migrations run yet; dropped (PostgreSQL: the database
/// too) at the end.
pub struct FreshDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
    pg_admin: Option<String>,
}

impl FreshDb {
    /// The database's URL, for `Store::open`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Another fresh database on the same backend (the server is known to answer).
    pub fn another(&self) -> FreshDb {
        if self.pg_name.is_some() {
            fresh_postgres().expect("the server answered for this database")
        } else {
            fresh_sqlite()
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        if let (Some(name), Some(admin)) = (&self.pg_name, &self.pg_admin) {
            let mut admin = PgConnection::establish(admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .unwrap();
        }
    }
}

/// A fresh SQLite file.
pub fn fresh_sqlite() -> FreshDb {
    let dir = tempfile::tempdir().unwrap();
    FreshDb {
        url: format!("sqlite:{}", dir.path().join("t.db").display()),
        _dir: Some(dir),
        pg_name: None,
        pg_admin: None,
    }
}

/// A fresh `gt_test_<random>` PostgreSQL database; `None` when there is no server to use (the
/// test is skipped, unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1` makes that a failure).
pub fn fresh_postgres() -> Option<FreshDb> {
    let admin = persistence::test_postgres::admin_url().unwrap()?;
    let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} does not answer ({e}); start it or set GLUSTER_TASKS_TEST_POSTGRES")
    });
    let name = format!("gt_test_{}", Uuid::new_v4().simple());
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(FreshDb {
        url: format!("{base}/{name}"),
        _dir: None,
        pg_name: Some(name),
        pg_admin: Some(admin),
    })
}

/// A store on a fresh database of one backend; the store closes before the database is
/// dropped.
pub struct TestDb {
    store: Store,
    db: FreshDb,
}

impl TestDb {
    /// Opens a store with `pool` connections on `db` (running the migrations).
    pub fn open(db: FreshDb, pool: u32) -> TestDb {
        TestDb {
            store: Store::open(db.url(), pool).unwrap(),
            db,
        }
    }

    /// The store on this database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The database under the store.
    pub fn db(&self) -> &FreshDb {
        &self.db
    }
}

/// A store (pool of 4) on a fresh SQLite file.
pub fn sqlite_db() -> TestDb {
    TestDb::open(fresh_sqlite(), 4)
}

/// A store (pool of 4) on a fresh `gt_test_<random>` PostgreSQL database; `None` when there is
/// no server to use (the test is skipped, unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1` makes that a failure).
pub fn postgres_db() -> Option<TestDb> {
    fresh_postgres().map(|db| TestDb::open(db, 4))
}

/// What a `conformance!` test is given: a [`TestDb`] or a [`FreshDb`], chosen by the test
/// function's parameter type.
pub trait Fixture: Sized {
    fn sqlite() -> Self;
    fn postgres() -> Option<Self>;
}

impl Fixture for TestDb {
    fn sqlite() -> Self {
        sqlite_db()
    }
    fn postgres() -> Option<Self> {
        postgres_db()
    }
}

impl Fixture for FreshDb {
    fn sqlite() -> Self {
        fresh_sqlite()
    }
    fn postgres() -> Option<Self> {
        fresh_postgres()
    }
}

/// Runs each listed test once per backend: `sqlite::NAME` and `postgres::NAME`. Each test
/// takes `&TestDb` or `&FreshDb`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() {
                super::$name(&<_ as $crate::common::Fixture>::sqlite())
            } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(db) = <_ as $crate::common::Fixture>::postgres() {
                    super::$name(&db)
                }
            } )*
        }
    };
}

/// Runs `f` on one of `store`'s connections and returns, with its result, the SQL text of every
/// statement it ran (as the backend received it, binds left out), in order: diesel's
/// connection instrumentation sees each statement before it runs.
pub fn recorded<T>(
    store: &Store,
    f: impl FnOnce(&mut persistence::DbConnection) -> Result<T, persistence::PersistenceError>,
) -> (T, Vec<String>) {
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = store
        .read(|c| {
            let sink = seen.clone();
            c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { query, .. } = event {
                    let text = query.to_string();
                    let sql = text.split(" -- binds: ").next().unwrap_or_default();
                    sink.lock().unwrap().push(sql.to_owned());
                }
            });
            let out = f(c);
            c.set_instrumentation(None::<Box<dyn Instrumentation>>);
            out
        })
        .unwrap();
    let sql = seen.lock().unwrap().clone();
    (out, sql)
}
