//! The connection type over both backends, and the pool manager that opens them.

use crate::PersistenceError;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use std::time::Duration;

/// A connection to SQLite or PostgreSQL; repositories are written once against this type.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, for several replicas sharing one store.
    Pg(PgConnection),
    /// SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:PATH`, `sqlite://PATH` or a plain file path.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL's scheme; returns the string to hand to the driver.
    pub fn from_url(url: &str) -> Result<(Backend, String), PersistenceError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path == ":memory:" {
            return Err(PersistenceError::BadUrl(
                "SQLite needs a file path (an in-memory database is not shared across the pool)"
                    .into(),
            ));
        }
        if path.contains("://") {
            return Err(PersistenceError::BadUrl(format!(
                "unsupported scheme in {url:?}; use sqlite:PATH or postgres://"
            )));
        }
        Ok((Backend::Sqlite, path.to_owned()))
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Opens connections of one backend for r2d2, with SQLite's per-connection settings.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    target: String,
    busy_timeout: Duration,
}

impl Manager {
    /// A manager for `url`.
    pub fn new(url: &str, busy_timeout: Duration) -> Result<Self, PersistenceError> {
        let (backend, target) = Backend::from_url(url)?;
        Ok(Self {
            backend,
            target,
            busy_timeout,
        })
    }

    /// The SQLite file, for SQLite.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then_some(self.target.as_str())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The file or server, for messages: a PostgreSQL URL's password is left out.
    pub fn display_target(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.target.clone(),
            Backend::Postgres => without_password(&self.target),
        }
    }
}

impl Manager {
    /// Sets WAL mode. On a new file that other connections open at the same moment, SQLite
    /// answers the switch "database is locked" at once, without its busy handler (the switch
    /// needs the exclusive lock while another connection holds a shared one), so it is tried
    /// again until the busy timeout has passed.
    fn switch_to_wal(&self, c: &mut SqliteConnection) -> Result<(), r2d2::Error> {
        let deadline = std::time::Instant::now() + self.busy_timeout;
        let mut pause = Duration::from_millis(5);
        loop {
            match c.batch_execute("PRAGMA journal_mode = WAL;") {
                Ok(()) => return Ok(()),
                Err(e) if is_locked(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(r2d2::Error::QueryError(e)),
            }
        }
    }
}

/// Whether SQLite refused for a lock another connection holds.
fn is_locked(e: &diesel::result::Error) -> bool {
    let text = e.to_string();
    text.contains("database is locked") || text.contains("database table is locked")
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.target)
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first, so the journal-mode switch waits for other writers
                // where SQLite lets it.
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {};",
                    self.busy_timeout.as_millis()
                ))
                .map_err(r2d2::Error::QueryError)?;
                self.switch_to_wal(&mut c)?;
                c.batch_execute("PRAGMA synchronous = NORMAL;")
                    .and_then(|_| c.batch_execute("PRAGMA foreign_keys = ON;"))
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_show_a_password() {
        assert_eq!(
            without_password("postgres://gt:s3cret@db:5432/x"),
            "postgres://gt:***@db:5432/x"
        );
        assert_eq!(without_password("postgres://gt@db/x"), "postgres://gt@db/x");
        assert_eq!(without_password("postgres://db/x"), "postgres://db/x");
    }
}
