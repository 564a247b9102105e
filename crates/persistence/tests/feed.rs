//! The change feed on both backends: sequences handed out by several writers through several
//! Stores (on PostgreSQL, two Stores are two replicas) are unique and increasing, a reader that
//! follows `change_seq > last` while they write never misses a change nor sees one twice, and
//! a Store hears the changes written through another.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use chrono::{TimeZone, Utc};
use common::FreshDb;
use domain::{Job, JobOrigin, JobStatus, TaskKind, TaskParams, Volume, VolumeLayout};
use domain::{VolumeStatus, VolumeType};
use persistence::repo::{clusters, jobs, volumes};
use persistence::{Change, JobFilter, Store};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const CLUSTER: Uuid = Uuid::from_u128(7);
const WRITERS_PER_STORE: usize = 3;
const WRITES_PER_WRITER: usize = 25;

conformance!(
    sequences_from_several_stores_and_threads_are_unique_and_increasing,
    a_reader_following_the_feed_misses_nothing_and_sees_nothing_twice,
    a_store_hears_what_another_store_wrote_and_deleted,
);

fn volume(n: u128) -> Volume {
    Volume {
        id: Uuid::from_u128(n),
        cluster_id: CLUSTER,
        name: format!("v{n}"),
        vol_type: VolumeType::Distribute,
        status: VolumeStatus::Started,
        layout: VolumeLayout::default(),
        bricks: Vec::new(),
        refreshed_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

/// Two Stores on `db`, with a cluster and one volume per writer thread.
fn stores(db: &FreshDb) -> [Store; 2] {
    let a = Store::open(db.url(), 4).unwrap();
    let b = Store::open(db.url(), 4).unwrap();
    let vols: Vec<Volume> = (0..2 * WRITERS_PER_STORE as u128)
        .map(|i| volume(100 + i))
        .collect();
    a.write(|c| {
        clusters::ensure(c, CLUSTER, "c", Utc::now())?;
        volumes::replace_inventory(c, CLUSTER, &vols)
    })
    .unwrap();
    [a, b]
}

/// Writer `w`: a job on its own volume, then changes of every kind; returns each committed
/// (job, sequence) in the order it wrote them.
fn write_some(s: &Store, w: usize) -> Vec<(Uuid, i64)> {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut job = Job::new_pending(
        TaskKind::Rebalance,
        JobOrigin::Api,
        Uuid::from_u128(100 + w as u128),
        "v",
        CLUSTER,
        TaskParams::default(),
        at,
    );
    let steps = job.initial_steps();
    let seq = s.write(|c| jobs::insert(c, &job, &steps)).unwrap();
    let mut out = vec![(job.id, seq)];
    job.transition(JobStatus::Running, at).unwrap();
    for i in 0..WRITES_PER_WRITER {
        let id = job.id;
        let seq = s
            .write(|c| {
                match i % 3 {
                    0 => jobs::update(c, &job)?,
                    1 => jobs::update_steps(c, &steps)?,
                    _ => jobs::mark_polled(c, &[id], Utc::now())?,
                }
                Ok(jobs::get(c, id)?.unwrap().change_seq)
            })
            .unwrap();
        out.push((job.id, seq));
    }
    out
}

fn sequences_from_several_stores_and_threads_are_unique_and_increasing(db: &FreshDb) {
    let stores = stores(db);
    let before = stores[0].read(jobs::feed::counter).unwrap().0;
    let written: Vec<Vec<(Uuid, i64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2 * WRITERS_PER_STORE)
            .map(|w| {
                let s = &stores[w % 2];
                scope.spawn(move || write_some(s, w))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for one in &written {
        assert!(
            one.windows(2).all(|p| p[0].1 < p[1].1),
            "each writer's sequences rise: {one:?}"
        );
    }
    let mut all: Vec<i64> = written.iter().flatten().map(|(_, s)| *s).collect();
    all.sort_unstable();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "no sequence handed out twice");
    assert!(all[0] > before);
    assert_eq!(
        stores[0].read(jobs::feed::counter).unwrap().0,
        before + n as i64,
        "each write took exactly one"
    );
}

fn a_reader_following_the_feed_misses_nothing_and_sees_nothing_twice(db: &FreshDb) {
    let stores = stores(db);
    let reader = Store::open(db.url(), 2).unwrap();
    let done = AtomicBool::new(false);
    let (written, seen) = std::thread::scope(|scope| {
        let follow = scope.spawn(|| {
            let mut last = reader.read(jobs::feed::counter).unwrap().0;
            let mut seen: Vec<(Uuid, i64)> = Vec::new();
            loop {
                // Read `done` first: a batch read after it contains every committed write.
                let finished = done.load(Ordering::Acquire);
                let batch = reader
                    .read(|c| jobs::feed::since(c, &JobFilter::default(), last, 7))
                    .unwrap();
                for r in &batch {
                    assert!(r.change_seq > last, "out of order or repeated");
                    last = r.change_seq;
                    seen.push((r.job.id, r.change_seq));
                }
                if finished && batch.is_empty() {
                    return seen;
                }
            }
        });
        let handles: Vec<_> = (0..2 * WRITERS_PER_STORE)
            .map(|w| {
                let s = &stores[w % 2];
                scope.spawn(move || write_some(s, w))
            })
            .collect();
        let written: Vec<(Uuid, i64)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        done.store(true, Ordering::Release);
        (written, follow.join().unwrap())
    });
    let committed: HashMap<(Uuid, i64), ()> = written.iter().map(|k| (*k, ())).collect();
    let mut latest_seen: BTreeMap<Uuid, i64> = BTreeMap::new();
    for (job, seq) in &seen {
        assert!(
            committed.contains_key(&(*job, *seq)),
            "seen but never written"
        );
        latest_seen.insert(*job, *seq);
    }
    // Every change was seen, or a later change of the same job was (one read shows a job as
    // it is now).
    for (job, seq) in &written {
        let saw = seen.iter().any(|(j, s)| j == job && s >= seq);
        assert!(saw, "change {seq} of job {job} missed");
    }
    let finals: BTreeMap<Uuid, i64> = written.iter().fold(BTreeMap::new(), |mut m, (j, s)| {
        let e = m.entry(*j).or_insert(*s);
        *e = (*e).max(*s);
        m
    });
    assert_eq!(
        latest_seen, finals,
        "the last look shows every job as it ended"
    );
}

fn a_store_hears_what_another_store_wrote_and_deleted(db: &FreshDb) {
    let [a, b] = stores(db);
    let heard: Arc<Mutex<Vec<Change>>> = Arc::default();
    let h = heard.clone();
    a.on_change(move |c| h.lock().unwrap().push(c.clone()));
    let written = write_some(&b, 0);
    let (job, seq) = (written[0].0, written.last().unwrap().1);
    // On SQLite the Stores of a file share one publisher; on PostgreSQL A's watcher reads the
    // counter. Wait for it, failing only if it never comes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while a.change_seq() < seq {
        assert!(
            std::time::Instant::now() < deadline,
            "A never heard of {seq}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(heard
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.jobs.iter().any(|(j, _)| *j == job)));
    b.write(|c| jobs::delete(c, job)).unwrap();
    while !heard
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.removed.contains(&job) || c.removed_unknown)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "A never heard of the deletion"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
