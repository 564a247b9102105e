//! SQLite is the single-process store: the process that opens a database file holds an
//! exclusive lock on `FILE.lock` beside it for as long as it uses it, and a second process is
//! refused at start with a message that says so (PostgreSQL is the store for several
//! replicas). Stores opened again within the same process share the lock. The operating
//! system drops the lock when the process ends, however it ends.

use crate::PersistenceError;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// This process's hold on one database file.
#[derive(Debug)]
pub struct Owner {
    _file: File,
    /// The change feed of this file in this process: every Store on it publishes here, so
    /// they all hear each other's writes (no other process writes the file).
    pub(crate) hub: Arc<crate::changes::Hub>,
}

fn held() -> &'static Mutex<HashMap<PathBuf, Weak<Owner>>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, Weak<Owner>>>> = OnceLock::new();
    HELD.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Takes (or shares, within this process) the lock on `db`'s lock file.
pub fn own(db: &Path) -> Result<Arc<Owner>, PersistenceError> {
    let lock_path = PathBuf::from(format!("{}.lock", db.display()));
    let key = std::fs::canonicalize(db.parent().unwrap_or(Path::new(".")))
        .map(|dir| dir.join(lock_path.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| lock_path.clone());
    let mut held = held().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(owner) = held.get(&key).and_then(Weak::upgrade) {
        return Ok(owner);
    }
    let open_error = |e: std::io::Error| PersistenceError::Open {
        target: db.display().to_string(),
        cause: format!("lock file {}: {e}", lock_path.display()),
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(open_error)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(PersistenceError::InUse(format!(
                "the SQLite database {} is in use by another gluster-tasks process (it holds {}); SQLite serves one process: stop the other, or share a PostgreSQL database between replicas",
                db.display(),
                lock_path.display()
            )))
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(open_error(e)),
    }
    let owner = Arc::new(Owner {
        _file: file,
        hub: Arc::new(crate::changes::Hub::new(0)),
    });
    held.insert(key, Arc::downgrade(&owner));
    Ok(owner)
}
