//! The persistence conformance suite, first half: every repository behaviour of jobs and
//! volumes, run twice — on a real SQLite file and on the PostgreSQL server
//! (`GLUSTER_TASKS_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`; skipped
//! without a server unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1`), each test in a database of its
//! own so tests run in parallel. Round trips, the one-active-job rule enforced by the database,
//! stable cursor pagination and filters, staleness, purges, the change list, and inventory
//! replacement. `coordination.rs` holds the rest: what replicas share and race for.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
mod fixtures;

use chrono::{Duration, TimeZone, Utc};
use common::TestDb;
use domain::{JobStatus, NodeProgress, TaskStatus, VolumeStatus};
use fixtures::{job_on, setup, volume, CLUSTER};
use persistence::repo::{clusters, jobs, volumes};
use persistence::{JobFilter, PersistenceError};
use uuid::Uuid;

conformance!(
    jobs_round_trip_with_steps_and_nodes,
    the_database_allows_one_active_job_per_volume,
    pages_are_newest_first_stable_and_complete,
    lists_filter_by_creation_time,
    staleness_is_set_once_and_cleared_by_a_poll,
    only_jobs_that_ended_before_the_cutoff_are_purged,
    changes_are_listed_in_sequence_order_after_a_sequence_and_filtered,
    inventory_replacement_updates_drops_and_renames,
    an_older_inventory_read_never_overwrites_a_newer_one,
);

fn jobs_round_trip_with_steps_and_nodes(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut job = job_on(1, 0);
    let steps = job.initial_steps();
    s.write(|c| jobs::insert(c, &job, &steps)).unwrap();
    job.gluster_task_id = Some(Uuid::new_v4());
    job.task_status = Some(TaskStatus::FixLayoutInProgress);
    job.transition(JobStatus::Running, job.created_at).unwrap();
    let node = NodeProgress {
        peer_id: Uuid::from_u128(9),
        name: "localhost".into(),
        files: 1,
        size_bytes: 2,
        scanned: 3,
        failures: 4,
        skipped: 5,
        status: TaskStatus::FixLayoutInProgress,
        runtime_secs: 6.25,
    };
    s.write(|c| {
        jobs::update(c, &job)?;
        jobs::set_nodes(c, job.id, std::slice::from_ref(&node), &[], Utc::now())
    })
    .unwrap();
    let rec = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    assert_eq!(rec.job, job);
    assert_eq!(rec.steps.len(), 2);
    assert_eq!(rec.steps[0].parent_id, None);
    assert_eq!(rec.nodes, vec![node]);
    assert_eq!(
        s.read(|c| jobs::by_task_id(c, job.gluster_task_id.unwrap()))
            .unwrap()
            .unwrap()
            .job
            .id,
        job.id
    );
}

fn the_database_allows_one_active_job_per_volume(db: &TestDb) {
    let s = db.store();
    setup(s);
    let first = job_on(1, 0);
    s.write(|c| jobs::insert(c, &first, &first.initial_steps()))
        .unwrap();
    let second = job_on(1, 1);
    let err = s
        .write(|c| jobs::insert(c, &second, &second.initial_steps()))
        .unwrap_err();
    assert!(matches!(err, PersistenceError::ActiveJobExists), "{err:?}");
    // Nothing of the refused job was written (one transaction).
    assert!(s.read(|c| jobs::get(c, second.id)).unwrap().is_none());
    // Another volume is free, and a finished job frees its volume.
    let other = job_on(2, 2);
    s.write(|c| jobs::insert(c, &other, &other.initial_steps()))
        .unwrap();
    let mut done = first.clone();
    done.transition(JobStatus::Succeeded, Utc::now()).unwrap();
    s.write(|c| jobs::update(c, &done)).unwrap();
    s.write(|c| jobs::insert(c, &second, &second.initial_steps()))
        .unwrap();
    assert_eq!(
        s.read(|c| jobs::active_for_volume(c, Uuid::from_u128(1)))
            .unwrap()
            .unwrap()
            .job
            .id,
        second.id
    );
}

fn pages_are_newest_first_stable_and_complete(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut j = job_on(1, i / 2); // pairs share a timestamp: ties are broken by id
        j.transition(JobStatus::Succeeded, j.created_at).unwrap();
        s.write(|c| jobs::insert(c, &j, &j.initial_steps()))
            .unwrap();
        ids.push((j.created_at, j.id));
    }
    ids.sort();
    ids.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .read(|c| jobs::list(c, &JobFilter::default(), 3, cursor.as_deref()))
            .unwrap();
        seen.extend(page.items.iter().map(|r| (r.job.created_at, r.job.id)));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert!(matches!(
        s.read(|c| jobs::list(c, &JobFilter::default(), 3, Some("garbage"))),
        Err(PersistenceError::InvalidCursor)
    ));
    let filtered = s
        .read(|c| {
            jobs::list(
                c,
                &JobFilter {
                    status: Some(JobStatus::Running),
                    ..Default::default()
                },
                10,
                None,
            )
        })
        .unwrap();
    assert!(filtered.items.is_empty());
}

fn lists_filter_by_creation_time(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut made = Vec::new();
    for i in 0..4 {
        let mut j = job_on(1, i * 60);
        j.transition(JobStatus::Succeeded, j.created_at).unwrap();
        s.write(|c| jobs::insert(c, &j, &j.initial_steps()))
            .unwrap();
        made.push(j);
    }
    let page = s
        .read(|c| {
            jobs::list(
                c,
                &JobFilter {
                    created_after: Some(made[1].created_at),
                    created_before: Some(made[3].created_at),
                    ..Default::default()
                },
                10,
                None,
            )
        })
        .unwrap();
    let got: Vec<Uuid> = page.items.iter().map(|r| r.job.id).collect();
    assert_eq!(
        got,
        vec![made[2].id, made[1].id],
        "after is inclusive, before is not"
    );
}

fn staleness_is_set_once_and_cleared_by_a_poll(db: &TestDb) {
    let s = db.store();
    setup(s);
    let job = job_on(1, 0);
    s.write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    s.write(|c| jobs::mark_stale(c, &[job.id], t0)).unwrap();
    s.write(|c| jobs::mark_stale(c, &[job.id], t0 + Duration::seconds(9)))
        .unwrap();
    let get = || s.read(|c| jobs::get(c, job.id)).unwrap().unwrap().job;
    assert_eq!(get().stale_since, Some(t0), "the first failure counts");
    s.write(|c| jobs::mark_polled(c, &[job.id], t0 + Duration::seconds(10)))
        .unwrap();
    assert_eq!(get().stale_since, None);
    assert_eq!(get().polled_at, Some(t0 + Duration::seconds(10)));

    // Stopped while a cycle that began before the stop was asking gluster: the cycle's stamp
    // leaves the ended job as it ended. A job the cycle itself ended (at its own time) is
    // stamped.
    let mut ended = get();
    ended
        .transition(JobStatus::Stopped, t0 + Duration::seconds(30))
        .unwrap();
    s.write(|c| jobs::update(c, &ended)).unwrap();
    s.write(|c| jobs::mark_polled(c, &[job.id], t0 + Duration::seconds(20)))
        .unwrap();
    assert_eq!(get().polled_at, Some(t0 + Duration::seconds(10)));
    s.write(|c| jobs::mark_polled(c, &[job.id], t0 + Duration::seconds(30)))
        .unwrap();
    assert_eq!(get().polled_at, Some(t0 + Duration::seconds(30)));
}

fn only_jobs_that_ended_before_the_cutoff_are_purged(db: &TestDb) {
    let s = db.store();
    setup(s);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let ended = |vol: u128, at: i64, status: JobStatus| {
        let mut j = job_on(vol, at);
        let steps = j.initial_steps();
        s.write(|c| jobs::insert(c, &j, &steps)).unwrap();
        j.transition(JobStatus::Running, j.created_at).unwrap();
        j.transition(status, j.created_at + Duration::seconds(10))
            .unwrap();
        s.write(|c| {
            jobs::update(c, &j)?;
            jobs::set_nodes(
                c,
                j.id,
                &[NodeProgress {
                    peer_id: Uuid::from_u128(9),
                    name: "localhost".into(),
                    files: 1,
                    size_bytes: 1,
                    scanned: 1,
                    failures: 0,
                    skipped: 0,
                    status: TaskStatus::Completed,
                    runtime_secs: 1.0,
                }],
                &[],
                j.created_at,
            )
        })
        .unwrap();
        j
    };
    let old = ended(1, 0, JobStatus::Succeeded);
    let old_stopped = ended(2, 5, JobStatus::Stopped);
    let recent = ended(1, 1000, JobStatus::Failed);
    let unknown = ended(1, 2000, JobStatus::Unknown);
    let mut running = job_on(2, 3000);
    s.write(|c| jobs::insert(c, &running, &running.initial_steps()))
        .unwrap();
    running.transition(JobStatus::Running, t0).unwrap();
    s.write(|c| jobs::update(c, &running)).unwrap();

    // Another cluster's old job is not this cluster's to purge.
    let other = Uuid::from_u128(8);
    s.write(|c| clusters::ensure(c, other, "other", t0))
        .unwrap();
    let mut foreign = job_on(1, 0);
    foreign.cluster_id = other;
    foreign.transition(JobStatus::Succeeded, t0).unwrap();
    s.write(|c| jobs::insert(c, &foreign, &foreign.initial_steps()))
        .unwrap();

    let cutoff = t0 + Duration::seconds(500);
    let purged = s
        .write(|c| jobs::purge_ended(c, CLUSTER, cutoff, cutoff, 100))
        .unwrap();
    assert_eq!(purged, 2);
    for gone in [&old, &old_stopped] {
        assert!(s.read(|c| jobs::get(c, gone.id)).unwrap().is_none());
    }
    for kept in [&recent, &unknown, &running, &foreign] {
        assert!(s.read(|c| jobs::get(c, kept.id)).unwrap().is_some());
    }
    // The purged jobs had steps and per-node rows: both backends enforce the foreign keys, so
    // the delete succeeding means those rows went with them (ON DELETE CASCADE).
    let all = s
        .read(|c| jobs::list(c, &JobFilter::default(), 100, None))
        .unwrap();
    assert_eq!(all.items.len(), 4);
    assert_eq!(
        s.write(|c| jobs::purge_ended(c, CLUSTER, cutoff, cutoff, 100))
            .unwrap(),
        0,
        "a second purge finds nothing"
    );
}

fn changes_are_listed_in_sequence_order_after_a_sequence_and_filtered(db: &TestDb) {
    let s = db.store();
    setup(s);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut on_a = job_on(1, 0);
    let on_b = job_on(2, 10);
    let start = s.read(jobs::feed::counter).unwrap().0;
    for j in [&on_a, &on_b] {
        s.write(|c| jobs::insert(c, j, &j.initial_steps())).unwrap();
    }
    // a changes last.
    on_a.transition(JobStatus::Running, t0 + Duration::seconds(20))
        .unwrap();
    s.write(|c| jobs::update(c, &on_a)).unwrap();
    let seqs = |after, filter: &JobFilter| -> Vec<(Uuid, i64)> {
        s.read(|c| jobs::feed::since(c, filter, after, 10))
            .unwrap()
            .into_iter()
            .map(|r| (r.job.id, r.change_seq))
            .collect()
    };
    let all = JobFilter::default();
    assert_eq!(
        seqs(start, &all),
        vec![(on_b.id, start + 2), (on_a.id, start + 3)]
    );
    assert_eq!(
        seqs(start + 2, &all),
        vec![(on_a.id, start + 3)],
        "exclusive"
    );
    assert!(seqs(start + 3, &all).is_empty());
    assert_eq!(s.read(jobs::feed::counter).unwrap().0, start + 3);
    assert_eq!(
        s.change_seq(),
        start + 3,
        "local writes raise the mark at once"
    );
    let only_b = JobFilter {
        volume_id: Some(Uuid::from_u128(2)),
        ..JobFilter::default()
    };
    assert_eq!(seqs(start, &only_b), vec![(on_b.id, start + 2)]);
}

#[test]
fn urls_choose_the_backend_and_refuse_memory_databases() {
    use persistence::Backend;
    assert_eq!(
        Backend::from_url("sqlite:/x/y.db").unwrap(),
        (Backend::Sqlite, "/x/y.db".into())
    );
    assert_eq!(Backend::from_url("sqlite:///x/y.db").unwrap().1, "/x/y.db");
    assert_eq!(
        Backend::from_url("rel.db").unwrap(),
        (Backend::Sqlite, "rel.db".into())
    );
    assert_eq!(
        Backend::from_url("postgres://h/db").unwrap().0,
        Backend::Postgres
    );
    assert!(Backend::from_url("sqlite::memory:").is_err());
    assert!(Backend::from_url("mysql://h/db").is_err());
}

fn inventory_replacement_updates_drops_and_renames(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut a = volume("a", 1);
    a.status = VolumeStatus::Stopped;
    a.bricks.truncate(1);
    // "b" is gone; a volume re-created under the name "c" appears.
    s.write(|c| volumes::replace_inventory(c, CLUSTER, &[a.clone(), volume("c", 3)]))
        .unwrap();
    let all = s.read(|c| volumes::list(c, Some(CLUSTER))).unwrap();
    assert_eq!(
        all.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["a", "c"]
    );
    assert_eq!(all[0], a);
    // Same name, new id (deleted and re-created): the old row gives way.
    s.write(|c| volumes::upsert(c, &volume("c", 4))).unwrap();
    let c = s
        .read(|c| volumes::find_by_name(c, CLUSTER, "c"))
        .unwrap()
        .unwrap();
    assert_eq!(c.id, Uuid::from_u128(4));
}

fn an_older_inventory_read_never_overwrites_a_newer_one(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut fresh = volume("a", 1);
    fresh.bricks.truncate(1);
    fresh.refreshed_at += Duration::seconds(10);
    s.write(|c| volumes::upsert(c, &fresh)).unwrap();
    let mut stale = volume("a", 1);
    stale.refreshed_at += Duration::seconds(5);
    s.write(|c| volumes::replace_inventory(c, CLUSTER, &[stale, volume("b", 2)]))
        .unwrap();
    let a = s
        .read(|c| volumes::get(c, Uuid::from_u128(1)))
        .unwrap()
        .unwrap();
    assert_eq!(a.bricks.len(), 1, "the later read stays");
    let mut later = volume("a", 1);
    later.refreshed_at += Duration::seconds(20);
    s.write(|c| volumes::upsert(c, &later)).unwrap();
    let a = s
        .read(|c| volumes::get(c, Uuid::from_u128(1)))
        .unwrap()
        .unwrap();
    assert_eq!(a.bricks.len(), 2);
}
