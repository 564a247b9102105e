//! The change feed's in-process side: what a committed write changed, and who hears of it.
//!
//! Every write that changes a job's representation gives the job the next value of the
//! database's change counter ([`crate::repo::jobs::feed`]), inside its transaction. The
//! repository functions note here, on the writing thread, what they changed; once
//! [`crate::Store::write`] has committed, the store publishes the whole [`Change`]: first to
//! the listeners registered with [`crate::Store::on_change`] (synchronously, before the write
//! returns: a cache evicts what changed before the writer answers), then as the new high-water
//! mark on a [`SeqWatch`]. Changes that other processes (replicas on PostgreSQL) commit are
//! found by the store's watcher thread, which reads the one-row counter every
//! [`crate::store::WATCH_INTERVAL`] and publishes what advanced.

use std::cell::RefCell;
use std::sync::{Mutex, RwLock};
use tokio::sync::watch;
use uuid::Uuid;

/// Receives the highest change sequence this process knows committed.
pub type SeqWatch = watch::Receiver<i64>;

/// What one or more committed writes changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Changed jobs with the sequence each now has, lowest first.
    pub jobs: Vec<(Uuid, i64)>,
    /// Jobs that were deleted.
    pub removed: Vec<Uuid>,
    /// Jobs were deleted that are not named in `removed` (another replica deleted them): a
    /// listener must forget every job it holds.
    pub removed_unknown: bool,
}

impl Change {
    /// The highest sequence among the changed jobs.
    pub fn max_seq(&self) -> Option<i64> {
        self.jobs.iter().map(|(_, s)| *s).max()
    }

    fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.removed.is_empty() && !self.removed_unknown
    }
}

type Listener = Box<dyn Fn(&Change) + Send + Sync>;

/// The publisher a store and its clones share.
pub(crate) struct Hub {
    seq: watch::Sender<i64>,
    listeners: RwLock<Vec<Listener>>,
    /// Serialises publications, so listeners see changes in sequence order.
    publishing: Mutex<()>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("seq", &self.current()).finish()
    }
}

impl Hub {
    /// A hub whose high-water mark starts at `seq`.
    pub(crate) fn new(seq: i64) -> Self {
        Hub {
            seq: watch::Sender::new(seq),
            listeners: RwLock::new(Vec::new()),
            publishing: Mutex::new(()),
        }
    }

    pub(crate) fn subscribe(&self) -> SeqWatch {
        self.seq.subscribe()
    }

    pub(crate) fn current(&self) -> i64 {
        *self.seq.borrow()
    }

    pub(crate) fn listen(&self, f: Listener) {
        self.listeners
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(f);
    }

    /// Raises the high-water mark to `seq` (what the database holds at open) without news
    /// for the listeners.
    pub(crate) fn raise_to(&self, seq: i64) {
        self.raise(seq);
    }

    fn raise(&self, max: i64) {
        self.seq.send_if_modified(|v| {
            let raise = max > *v;
            if raise {
                *v = max;
            }
            raise
        });
    }

    /// Tells the listeners, then raises the high-water mark.
    pub(crate) fn publish(&self, change: &Change) {
        if change.is_empty() {
            return;
        }
        let _turn = self.publishing.lock().unwrap_or_else(|p| p.into_inner());
        for l in self
            .listeners
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            l(change);
        }
        if let Some(max) = change.max_seq() {
            self.raise(max);
        }
    }
}

thread_local! {
    /// What the write transaction running on this thread has changed so far.
    static PENDING: RefCell<Option<Change>> = const { RefCell::new(None) };
}

/// Collects what one write transaction changes, on its thread; dropped without
/// [`Scope::take`] (a rollback), the notes are forgotten.
pub(crate) struct Scope {
    outer: Option<Change>,
}

impl Scope {
    pub(crate) fn begin() -> Self {
        Scope {
            outer: PENDING.with(|p| p.replace(Some(Change::default()))),
        }
    }

    /// What the transaction changed (call after it committed).
    pub(crate) fn take(self) -> Change {
        PENDING.with(|p| p.borrow_mut().take()).unwrap_or_default()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let outer = self.outer.take();
        PENDING.with(|p| *p.borrow_mut() = outer);
    }
}

/// Notes that `job` now has sequence `seq` (outside [`crate::Store::write`]: not published).
pub(crate) fn note_changed(job: Uuid, seq: i64) {
    PENDING.with(|p| {
        if let Some(c) = p.borrow_mut().as_mut() {
            c.jobs.push((job, seq));
        }
    });
}

/// Notes that `jobs` were deleted.
pub(crate) fn note_removed(jobs: impl IntoIterator<Item = Uuid>) {
    PENDING.with(|p| {
        if let Some(c) = p.borrow_mut().as_mut() {
            c.removed.extend(jobs);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_rolled_back_scope_publishes_nothing_and_a_committed_one_everything() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        {
            let _rolled_back = Scope::begin();
            note_changed(a, 1);
        }
        let scope = Scope::begin();
        note_changed(b, 2);
        note_removed([a]);
        let change = scope.take();
        assert_eq!(change.jobs, vec![(b, 2)]);
        assert_eq!(change.removed, vec![a]);
        // Outside a scope nothing is collected.
        note_changed(a, 3);
        assert_eq!(Scope::begin().take(), Change::default());
    }

    #[test]
    fn listeners_hear_a_change_before_the_mark_rises_and_the_mark_never_falls() {
        let hub = Arc::new(Hub::new(5));
        let rx = hub.subscribe();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (seen2, rx2) = (seen.clone(), rx.clone());
        hub.listen(Box::new(move |c| {
            seen2.lock().unwrap().push((c.max_seq(), *rx2.borrow()));
        }));
        let job = Uuid::new_v4();
        hub.publish(&Change {
            jobs: vec![(job, 7)],
            ..Change::default()
        });
        hub.publish(&Change {
            jobs: vec![(job, 6)],
            ..Change::default()
        });
        hub.publish(&Change::default());
        assert_eq!(*seen.lock().unwrap(), vec![(Some(7), 5), (Some(6), 7)]);
        assert_eq!(*rx.borrow(), 7);
    }
}
