//! Repository behaviour on a real SQLite file: round trips, the one-active-job rule enforced by
//! the database, stable cursor pagination, and inventory replacement.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use chrono::{Duration, TimeZone, Utc};
use domain::{
    Brick, Job, JobOrigin, JobStatus, NodeProgress, TaskKind, TaskParams, TaskStatus, Volume,
    VolumeLayout, VolumeStatus, VolumeType,
};
use persistence::repo::{clusters, jobs, volumes};
use persistence::{JobFilter, PersistenceError, Store};
use uuid::Uuid;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&format!("sqlite:{}", dir.path().join("t.db").display()), 4).unwrap();
    (dir, s)
}

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

#[test]
fn jobs_round_trip_with_steps_and_nodes() {
    let (_d, s) = store();
    setup(&s);
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

#[test]
fn the_database_allows_one_active_job_per_volume() {
    let (_d, s) = store();
    setup(&s);
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

#[test]
fn pages_are_newest_first_stable_and_complete() {
    let (_d, s) = store();
    setup(&s);
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

#[test]
fn inventory_replacement_updates_drops_and_renames() {
    let (_d, s) = store();
    setup(&s);
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
