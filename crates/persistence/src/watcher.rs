//! The watcher of a PostgreSQL store: one thread that reads the one-row change counter every
//! [`WATCH_INTERVAL`] and, when another replica raised it, publishes the jobs that changed
//! (ids and sequences only). It ends within one interval of the last clone of its store.

use crate::changes::{Change, Hub};
use crate::connection::Manager;
use crate::repo::jobs::feed;
use crate::store::WATCH_INTERVAL;
use crate::PersistenceError;
use diesel::r2d2::Pool;
use std::sync::Weak;

/// Most ids one read of the watcher takes.
const BATCH: i64 = 1000;

/// Starts the thread, from the counter's values at open.
pub(crate) fn spawn(
    pool: Pool<Manager>,
    hub: Weak<Hub>,
    seq: i64,
    deletions: i64,
) -> Result<(), PersistenceError> {
    let mut seen = (seq, deletions);
    std::thread::Builder::new()
        .name("change-watcher".into())
        .spawn(move || loop {
            std::thread::sleep(WATCH_INTERVAL);
            let Some(hub) = hub.upgrade() else { return };
            match look(&pool, &hub, seen) {
                Ok(now) => seen = now,
                // The next look tries again; nothing is lost, the counter keeps its value.
                Err(e) => log::debug!("change watcher: {e}"),
            }
        })
        .map_err(|e| PersistenceError::Pool(format!("starting the change watcher: {e}")))?;
    Ok(())
}

/// One look at the counter; returns what has now been seen.
fn look(
    pool: &Pool<Manager>,
    hub: &Hub,
    (seq, deletions): (i64, i64),
) -> Result<(i64, i64), PersistenceError> {
    let mut conn = pool.get()?;
    let (top, dels) = feed::counter(&mut conn)?;
    if top == seq && dels == deletions {
        return Ok((seq, deletions));
    }
    let mut change = Change {
        removed_unknown: dels != deletions,
        ..Change::default()
    };
    let mut after = seq;
    loop {
        let batch = feed::ids_since(&mut conn, after, BATCH)?;
        let full = batch.len() as i64 == BATCH;
        match batch.last() {
            Some(&(_, last)) => after = last,
            None => break,
        }
        change.jobs.extend(batch);
        if !full {
            break;
        }
    }
    drop(conn);
    hub.publish(&change);
    Ok((top.max(after), dels))
}
