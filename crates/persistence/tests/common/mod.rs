//! The two-backend harness of the persistence test binaries other than `store.rs`: a fresh
//! SQLite file, or a fresh database on the PostgreSQL server (`GLUSTER_TASKS_TEST_POSTGRES`,
//! skipped without a server unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1`), and `conformance!`,
//! which runs each listed test once per backend.

use diesel::{Connection, PgConnection, RunQueryDsl};
use persistence::Store;
use uuid::Uuid;

/// A fresh database of one backend; dropped (PostgreSQL: the database too) at the end.
pub struct TestDb {
    store: Option<Store>,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
    pg_admin: Option<String>,
}

impl TestDb {
    /// The store on this database.
    pub fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.store.take();
        if let (Some(name), Some(admin)) = (&self.pg_name, &self.pg_admin) {
            let mut admin = PgConnection::establish(admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .unwrap();
        }
    }
}

/// A store on a fresh SQLite file.
pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    TestDb {
        store: Some(Store::open(&url, 4).unwrap()),
        _dir: Some(dir),
        pg_name: None,
        pg_admin: None,
    }
}

/// A store on a fresh `gt_test_<random>` PostgreSQL database; `None` when there is no server to
/// use (the test is skipped, unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1` makes that a failure).
pub fn postgres_db() -> Option<TestDb> {
    let admin = persistence::test_postgres::admin_url().unwrap()?;
    let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} does not answer ({e}); start it or set GLUSTER_TASKS_TEST_POSTGRES")
    });
    let name = format!("gt_test_{}", Uuid::new_v4().simple());
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(TestDb {
        store: Some(Store::open(&format!("{base}/{name}"), 4).unwrap()),
        _dir: None,
        pg_name: Some(name),
        pg_admin: Some(admin),
    })
}

/// Runs each listed test once per backend: `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&$crate::common::sqlite_db()) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(db) = $crate::common::postgres_db() {
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
