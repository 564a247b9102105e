//! The persistence conformance suite: every repository behaviour, run twice — on a real SQLite
//! file and on the PostgreSQL server (`GLUSTER_TASKS_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`; skipped without a server unless
//! `GLUSTER_TASKS_REQUIRE_POSTGRES=1`), each test in a database of its own so tests run
//! in parallel. Round trips, the one-active-job rule enforced by the database (also under
//! concurrent inserts), stable cursor pagination, inventory replacement, leases, the atomic
//! commit claim, and migrations started by several processes at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use chrono::{Duration, TimeZone, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use domain::{
    Brick, Job, JobOrigin, JobStatus, NodeProgress, StepStatus, TaskKind, TaskParams, TaskStatus,
    Volume, VolumeLayout, VolumeStatus, VolumeType,
};
use persistence::repo::idempotency::{self, Claim, StoredAnswer};
use persistence::repo::{clusters, jobs, leases, volumes};
use persistence::{JobFilter, PersistenceError, Store};
use uuid::Uuid;

/// A fresh database of one backend; dropped (PostgreSQL: the database too) at the end.
struct TestDb {
    store: Option<Store>,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.store.take();
        if let Some(name) = &self.pg_name {
            let mut admin = PgConnection::establish(&pg_admin_url()).unwrap();
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .unwrap();
        }
    }
}

/// The PostgreSQL server's admin URL; `None`: no server, skip (see `persistence::test_postgres`).
fn pg_server() -> Option<String> {
    persistence::test_postgres::admin_url().unwrap()
}

fn pg_admin_url() -> String {
    pg_server().expect("only asked once a PostgreSQL test runs")
}

fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    TestDb {
        store: Some(Store::open(&url, 4).unwrap()),
        _dir: Some(dir),
        pg_name: None,
    }
}

/// Creates `gt_test_<random>` on the PostgreSQL server; `None` when there is none to use
/// (the test is skipped, unless `GLUSTER_TASKS_REQUIRE_POSTGRES=1` makes that a failure).
fn postgres_db() -> Option<TestDb> {
    pg_server()?;
    let (url, _, name) = postgres_db_unopened();
    Some(TestDb {
        store: Some(Store::open(&url, 4).unwrap()),
        _dir: None,
        pg_name: name,
    })
}

/// Runs each listed test once per backend: `sqlite::NAME` and `postgres::NAME`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::sqlite_db()) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(db) = super::postgres_db() {
                    super::$name(&db)
                }
            } )*
        }
    };
}

conformance!(
    jobs_round_trip_with_steps_and_nodes,
    the_database_allows_one_active_job_per_volume,
    concurrent_starts_on_one_volume_make_one_job,
    pages_are_newest_first_stable_and_complete,
    inventory_replacement_updates_drops_and_renames,
    an_older_inventory_read_never_overwrites_a_newer_one,
    leases_have_one_holder_expire_and_can_be_released,
    replicas_count_while_they_beat,
    a_step_is_claimed_once,
    staleness_is_set_once_and_cleared_by_a_poll,
    migrations_started_together_by_several_processes_all_succeed,
    lists_filter_by_creation_time,
    only_jobs_that_ended_before_the_cutoff_are_purged,
    an_idempotency_key_is_claimed_once_answered_then_replayed,
    an_abandoned_idempotency_claim_is_taken_over_and_old_keys_are_purged,
    changes_are_listed_in_sequence_order_after_a_sequence_and_filtered,
);

const CLUSTER: Uuid = Uuid::from_u128(7);

fn volume(name: &str, id: u128) -> Volume {
    let vid = Uuid::from_u128(id);
    Volume {
        id: vid,
        cluster_id: CLUSTER,
        name: name.into(),
        vol_type: VolumeType::Distribute,
        status: VolumeStatus::Started,
        layout: VolumeLayout {
            brick_count: 2,
            distribute_count: 2,
            replica_count: 1,
            ..Default::default()
        },
        bricks: (0..2)
            .map(|i| {
                let n = format!("h{i}:/b/{name}");
                Brick {
                    id: Brick::id_for(vid, &n),
                    name: n,
                    position: i,
                    peer_id: Some(Uuid::from_u128(9)),
                    is_arbiter: false,
                }
            })
            .collect(),
        refreshed_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn job_on(vol: u128, at_secs: i64) -> Job {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(at_secs);
    Job::new_pending(
        TaskKind::Rebalance,
        JobOrigin::Api,
        Uuid::from_u128(vol),
        "v",
        CLUSTER,
        TaskParams {
            fix_layout: true,
            ..TaskParams::default()
        },
        at,
    )
}

fn setup(s: &Store) {
    s.write(|c| {
        clusters::ensure(c, CLUSTER, "c", Utc::now())?;
        volumes::replace_inventory(c, CLUSTER, &[volume("a", 1), volume("b", 2)])
    })
    .unwrap();
}

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
        jobs::set_nodes(c, job.id, std::slice::from_ref(&node), Utc::now())
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

/// Runs `f(i)` on `n` threads released at the same instant; their results in order.
fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, f) = (&barrier, &f);
                scope.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn concurrent_starts_on_one_volume_make_one_job(db: &TestDb) {
    let s = db.store();
    setup(s);
    let jobs: Vec<Job> = (0..4).map(|i| job_on(1, i)).collect();
    let results = race(4, |i| {
        s.write(|c| jobs::insert(c, &jobs[i], &jobs[i].initial_steps()))
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, PersistenceError::ActiveJobExists)));
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

fn leases_have_one_holder_expire_and_can_be_released(db: &TestDb) {
    let s = db.store();
    setup(s);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let secs = |n| t0 + Duration::seconds(n);
    let take = |who: &str, now, until| {
        s.write(|c| leases::acquire(c, CLUSTER, who, now, until))
            .unwrap()
    };
    assert!(take("a", t0, secs(15)));
    assert!(!take("b", secs(1), secs(16)), "held by a");
    assert!(take("a", secs(10), secs(25)), "a renews");
    assert!(!take("b", secs(20), secs(35)), "renewed lease still held");
    assert_eq!(s.read(|c| leases::held_by(c, "a", secs(20))).unwrap(), 1);
    assert!(take("b", secs(26), secs(41)), "expired: b takes over");
    assert!(!take("a", secs(27), secs(42)), "a lost it");
    let (owner, until) = s.read(|c| leases::holder(c, CLUSTER)).unwrap().unwrap();
    assert_eq!((owner.as_str(), until), ("b", secs(41)));
    assert!(!s.write(|c| leases::release(c, CLUSTER, "a")).unwrap());
    assert!(s.write(|c| leases::release(c, CLUSTER, "b")).unwrap());
    assert!(take("a", secs(28), secs(43)), "released: free at once");
    // Many replicas racing for a free lease: exactly one wins.
    let other = Uuid::from_u128(99);
    let wins = race(4, |i| {
        s.write(|c| leases::acquire(c, other, &format!("r{i}"), t0, secs(15)))
            .unwrap()
    })
    .into_iter()
    .filter(|won| *won)
    .count();
    assert_eq!(wins, 1);
}

fn replicas_count_while_they_beat(db: &TestDb) {
    let s = db.store();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for (who, at) in [("a", 0), ("b", 5), ("a", 10)] {
        s.write(|c| leases::heartbeat(c, who, t0 + Duration::seconds(at)))
            .unwrap();
    }
    let live = |since| {
        s.read(|c| leases::live_replicas(c, t0 + Duration::seconds(since)))
            .unwrap()
    };
    assert_eq!(live(0), 2);
    assert_eq!(live(6), 1, "b was not seen since 5");
    s.write(|c| leases::leave(c, "a", t0)).unwrap();
    assert_eq!(live(0), 1, "a left; b remains");
}

fn a_step_is_claimed_once(db: &TestDb) {
    let s = db.store();
    setup(s);
    let job = job_on(1, 0);
    let steps = job.initial_steps();
    s.write(|c| jobs::insert(c, &job, &steps)).unwrap();
    let step = steps.last().unwrap().clone();
    let wins = race(3, |_| {
        s.write(|c| {
            jobs::claim_step(
                c,
                &step,
                StepStatus::Pending,
                StepStatus::Running,
                Utc::now(),
            )
        })
        .unwrap()
    })
    .into_iter()
    .filter(|w| *w)
    .count();
    assert_eq!(wins, 1);
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

fn migrations_started_together_by_several_processes_all_succeed(db: &TestDb) {
    // A second database of the same backend, opened by several pools at once (as replicas
    // starting together would): every one succeeds and the schema is there once.
    let fresh = if db.pg_name.is_some() {
        postgres_db_unopened()
    } else {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("m.db").display());
        (url, Some(dir), None)
    };
    let (url, _dir, pg) = fresh;
    for opened in race(3, |_| Store::open(&url, 2).map(|_| ())) {
        opened.unwrap();
    }
    let s = Store::open(&url, 1).unwrap();
    setup(&s);
    drop(s);
    if let Some(name) = pg {
        let mut admin = PgConnection::establish(&pg_admin_url()).unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
    }
}

/// Creates `gt_test_<random>` on the PostgreSQL server, empty (no migrations yet): its URL and
/// name.
fn postgres_db_unopened() -> (String, Option<tempfile::TempDir>, Option<String>) {
    let admin = pg_admin_url();
    let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin} does not answer ({e}); start it or set GLUSTER_TASKS_TEST_POSTGRES")
    });
    let name = format!("gt_test_{}", Uuid::new_v4().simple());
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    (format!("{base}/{name}"), None, Some(name))
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

fn an_idempotency_key_is_claimed_once_answered_then_replayed(db: &TestDb) {
    let s = db.store();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let long_ago = t0 - Duration::hours(1);
    let claims = race(4, |_| {
        s.write(|c| idempotency::claim(c, "k1", "fp-a", t0, long_ago))
    });
    let claimed = claims
        .iter()
        .filter(|c| matches!(c, Ok(Claim::Claimed)))
        .count();
    assert_eq!(claimed, 1, "{claims:?}");
    assert!(claims
        .iter()
        .all(|c| matches!(c, Ok(Claim::Claimed | Claim::InProgress))));
    assert_eq!(
        s.write(|c| idempotency::claim(c, "k1", "fp-b", t0, long_ago))
            .unwrap(),
        Claim::Mismatch
    );
    let answer = StoredAnswer {
        status: 202,
        content_type: Some("application/json".into()),
        location: Some("/api/v1/jobs/x".into()),
        body: "{\"id\":\"x\"}".into(),
    };
    s.write(|c| idempotency::answer(c, "k1", &answer)).unwrap();
    assert_eq!(
        s.write(|c| idempotency::claim(c, "k1", "fp-a", t0, long_ago))
            .unwrap(),
        Claim::Answered(answer)
    );
    // A released key is new again.
    s.write(|c| idempotency::release(c, "k1")).unwrap();
    assert_eq!(
        s.write(|c| idempotency::claim(c, "k1", "fp-b", t0, long_ago))
            .unwrap(),
        Claim::Claimed
    );
}

fn an_abandoned_idempotency_claim_is_taken_over_and_old_keys_are_purged(db: &TestDb) {
    let s = db.store();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let claim = |key: &str, fp: &str, now, abandoned_before| {
        s.write(|c| idempotency::claim(c, key, fp, now, abandoned_before))
            .unwrap()
    };
    assert_eq!(claim("k", "fp", t0, t0), Claim::Claimed);
    let later = t0 + Duration::minutes(5);
    // Not yet abandoned (claimed after the cut-off): still in progress.
    assert_eq!(claim("k", "fp", later, t0), Claim::InProgress);
    // Claimed before the cut-off and never answered: the same request takes it over, once.
    let cutoff = t0 + Duration::seconds(1);
    assert_eq!(claim("k", "fp", later, cutoff), Claim::Claimed);
    assert_eq!(claim("k", "fp", later, cutoff), Claim::InProgress);
    // Another request never takes it over.
    assert_eq!(
        claim("k", "other", later, later + Duration::hours(1)),
        Claim::Mismatch
    );

    assert_eq!(
        claim("young", "fp", later + Duration::hours(2), t0),
        Claim::Claimed
    );
    let purged = s
        .write(|c| idempotency::purge_older_than(c, later + Duration::hours(1)))
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(
        claim("k", "new", later, t0),
        Claim::Claimed,
        "purged keys are free"
    );
    assert_eq!(
        claim("young", "other", later, t0),
        Claim::Mismatch,
        "younger keys stay"
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
