//! A fresh database on the PostgreSQL server the tests use, dropped at the end.

use diesel::{Connection, PgConnection, RunQueryDsl};

/// A fresh database on the PostgreSQL server, dropped (with its connections) at the end.
pub struct PgDb {
    admin: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl PgDb {
    /// A database named `PREFIX<random>`. `None` when there is no PostgreSQL server to use: the
    /// test is skipped (unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1` makes that a failure).
    pub fn new(prefix: &str) -> Option<Self> {
        let admin = persistence::test_postgres::admin_url().unwrap()?;
        let mut c = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} does not answer: {e}"));
        let name = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut c)
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        Some(PgDb { admin, name, url })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut c);
        }
    }
}
