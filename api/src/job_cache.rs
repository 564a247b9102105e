//! The hot-read cache of `GET /jobs/{job_id}`: each job's serialised representation, its weak
//! `ETag` and `Retry-After`, keyed by job id and the job's change sequence.
//!
//! The store's change feed keeps it current ([`JobCache::listen`]): a write of this process
//! evicts the jobs it changed synchronously, after its commit and before the writer answers
//! (read-your-writes on one replica); another replica's writes arrive through the store's
//! watcher, within [`persistence::store::WATCH_INTERVAL`] (about 0.3 s) — the bound on how long
//! this replica may still answer a job as it was before another replica changed it. A deleted
//! job is evicted the same way (another replica's deletion empties the whole cache), so the
//! cache never answers 200 for a job the store no longer has, past that bound.
//!
//! A read that raced a change cannot put the older version back: an evicted job keeps its
//! newest known sequence, and a fill of an older one is refused. At most [`CAPACITY`] jobs are
//! held; when full, the least recently used half goes.

use actix_web::web::Bytes;
use persistence::{Change, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use uuid::Uuid;

/// Most jobs the cache holds.
pub const CAPACITY: usize = 10_000;

/// One job's cached answer.
#[derive(Debug)]
pub struct Cached {
    /// The job's change sequence when it was read.
    pub change_seq: i64,
    /// The JSON body.
    pub body: Bytes,
    /// The job's `progress` event data ([`crate::dto::ProgressEventDto`]), JSON.
    pub progress: Bytes,
    /// Its weak validator ([`crate::conventions::validator_of`]).
    pub etag: String,
    /// `Retry-After` seconds while the job is still changing.
    pub retry_after: Option<u64>,
    /// The job ended (succeeded, failed or stopped): its event stream ends after it.
    pub ended: bool,
    /// The job ended and gluster holds nothing of it: a long-poll answers at once.
    pub settled: bool,
}

#[derive(Debug)]
struct Entry {
    /// The newest sequence known for the job (`i64::MAX`: deleted).
    seq: i64,
    body: Option<Arc<Cached>>,
    used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Uuid, Entry>,
    /// Counts uses, for least-recently-used eviction.
    clock: u64,
    /// Raised by every change published; a fill remembers it from before its read.
    generation: u64,
    /// The generation of the last time entries were dropped without a trace (eviction, or
    /// another replica's deletion): a fill from before it is refused.
    forgot_at: u64,
}

/// The cache; shared by every worker of the server.
#[derive(Debug)]
pub struct JobCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

/// What [`JobCache::ticket`] returns before a store read, for [`JobCache::fill`] after it.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl JobCache {
    /// An empty cache of at most `capacity` jobs.
    pub fn new(capacity: usize) -> Self {
        JobCache {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(2),
        }
    }

    /// A cache fed by `store`'s change feed.
    pub fn listen(store: &Store, capacity: usize) -> Arc<Self> {
        let cache = Arc::new(JobCache::new(capacity));
        let weak: Weak<JobCache> = Arc::downgrade(&cache);
        store.on_change(move |change| {
            if let Some(c) = weak.upgrade() {
                c.apply(change);
            }
        });
        cache
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic under the lock leaves a consistent map: every change is one insert.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached answer for `job`, if it is current.
    pub fn get(&self, job: Uuid) -> Option<Arc<Cached>> {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let e = inner.entries.get_mut(&job)?;
        e.used = now;
        e.body.clone()
    }

    /// Taken before reading a job from the store, to [`JobCache::fill`] with what was read.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Keeps `cached` (read after `ticket` was taken) unless a newer version of the job was
    /// published meanwhile, or the cache forgot what it knew since.
    pub fn fill(&self, ticket: Ticket, job: Uuid, cached: Arc<Cached>) {
        let mut inner = self.lock();
        if inner.forgot_at > ticket.0 {
            return;
        }
        if let Some(e) = inner.entries.get(&job) {
            let held = e.body.as_ref().map(|b| b.change_seq);
            if e.seq > cached.change_seq || held >= Some(cached.change_seq) {
                return;
            }
        }
        if inner.entries.len() >= self.capacity && !inner.entries.contains_key(&job) {
            Self::evict_half(&mut inner);
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.entries.insert(
            job,
            Entry {
                seq: cached.change_seq,
                body: Some(cached),
                used,
            },
        );
    }

    fn evict_half(inner: &mut Inner) {
        let mut uses: Vec<u64> = inner.entries.values().map(|e| e.used).collect();
        uses.sort_unstable();
        let cut = uses[(uses.len() - 1) / 2];
        inner.entries.retain(|_, e| e.used > cut);
        inner.forgot_at = inner.generation;
    }

    /// Forgets what `change` changed.
    pub fn apply(&self, change: &Change) {
        let mut inner = self.lock();
        inner.generation += 1;
        if change.removed_unknown {
            inner.entries.clear();
            inner.forgot_at = inner.generation;
        }
        let marks = change
            .jobs
            .iter()
            .copied()
            .chain(change.removed.iter().map(|j| (*j, i64::MAX)));
        for (job, seq) in marks {
            if inner.entries.len() >= self.capacity && !inner.entries.contains_key(&job) {
                Self::evict_half(&mut inner);
            }
            let e = inner.entries.entry(job).or_insert(Entry {
                seq,
                body: None,
                used: 0,
            });
            e.seq = e.seq.max(seq);
            if e.body.as_ref().is_some_and(|b| b.change_seq < e.seq) {
                e.body = None;
            }
        }
    }

    /// How many jobs have an answer cached.
    pub fn len(&self) -> usize {
        self.lock()
            .entries
            .values()
            .filter(|e| e.body.is_some())
            .count()
    }

    /// Whether no answer is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(seq: i64) -> Arc<Cached> {
        Arc::new(Cached {
            change_seq: seq,
            body: Bytes::from(format!("{{\"seq\":{seq}}}")),
            progress: Bytes::new(),
            etag: format!("W/\"{seq}\""),
            retry_after: None,
            ended: false,
            settled: false,
        })
    }

    fn changed(job: Uuid, seq: i64) -> Change {
        Change {
            jobs: vec![(job, seq)],
            ..Change::default()
        }
    }

    #[test]
    fn a_change_evicts_and_a_read_from_before_it_cannot_come_back() {
        let cache = JobCache::new(10);
        let job = Uuid::new_v4();
        cache.fill(cache.ticket(), job, cached(3));
        assert_eq!(cache.get(job).unwrap().change_seq, 3);
        // A read of version 3 is under way when version 4 is published.
        let racing = cache.ticket();
        cache.apply(&changed(job, 4));
        assert!(cache.get(job).is_none());
        cache.fill(racing, job, cached(3));
        assert!(cache.get(job).is_none(), "the older read is refused");
        cache.fill(cache.ticket(), job, cached(4));
        assert_eq!(cache.get(job).unwrap().change_seq, 4);
    }

    #[test]
    fn deleted_jobs_are_never_answered_again() {
        let cache = JobCache::new(10);
        let (gone, other) = (Uuid::new_v4(), Uuid::new_v4());
        for j in [gone, other] {
            cache.fill(cache.ticket(), j, cached(1));
        }
        cache.apply(&Change {
            removed: vec![gone],
            ..Change::default()
        });
        assert!(cache.get(gone).is_none());
        cache.fill(cache.ticket(), gone, cached(1));
        assert!(cache.get(gone).is_none());
        assert!(cache.get(other).is_some());
        // Another replica deleted something: everything goes.
        let before = cache.ticket();
        cache.apply(&Change {
            removed_unknown: true,
            ..Change::default()
        });
        assert!(cache.is_empty());
        cache.fill(before, other, cached(1));
        assert!(cache.is_empty(), "a read from before the purge is refused");
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_keeps_the_recently_used() {
        let cache = JobCache::new(4);
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        for j in &ids {
            cache.fill(cache.ticket(), *j, cached(1));
        }
        cache.get(ids[0]);
        cache.get(ids[1]);
        cache.fill(cache.ticket(), Uuid::new_v4(), cached(1));
        assert!(cache.len() <= 4);
        assert!(cache.get(ids[0]).is_some() && cache.get(ids[1]).is_some());
        assert!(cache.get(ids[2]).is_none() && cache.get(ids[3]).is_none());
    }
}
