//! Query plans of the list queries, on both backends: every list, filter, page, purge and
//! lookup the service runs on a large table seeks an index, in the order it is read, and no
//! query sorts or scans a whole table. The SQL is what the repository functions really run
//! (recorded through diesel's instrumentation); SQLite's `EXPLAIN QUERY PLAN` must show a
//! `SEARCH` (or, for a first page with no filter, an ordered `SCAN … USING INDEX`) on the
//! expected index and no `USE TEMP B-TREE`; PostgreSQL's `EXPLAIN` of the generic plan, with
//! sequential scans disabled, an index scan on the expected index and no `Sort`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "plans/explain.rs"]
mod explain;
mod fixtures;

use chrono::{TimeZone, Utc};
use common::{recorded, TestDb};
use diesel::prelude::*;
use domain::estimate::{Basis, NodeWork, ProgressSample, Sizing};
use domain::{JobOrigin, JobStatus, TaskKind, TimelineEntry, TimelineKind, Volume};
use explain::{assert_plan, assert_plan_any, reading, Access};
use fixtures::{job_in, node, volume, CLUSTER};
use persistence::repo::{clusters, jobs, timeline, volumes};
use persistence::schema::job_steps;
use persistence::{Backend, JobFilter, Store};
use uuid::Uuid;

conformance!(
    each_job_list_filter_seeks_its_own_index_in_list_order,
    a_page_deep_in_the_list_seeks_the_cursor,
    a_page_loads_steps_and_nodes_by_job_through_their_indexes,
    the_purge_and_the_tracked_jobs_seek_a_cluster_s_jobs_by_state,
    steps_are_found_by_parent_through_an_index,
    volume_pages_seek_by_name_and_load_bricks_and_activity_by_index,
    the_change_feed_seeks_the_sequence,
    samples_sizing_and_the_timeline_are_read_by_job_through_their_indexes,
    the_job_counts_read_one_index_alone,
);

/// Ten volumes and 60 jobs with steps and node rows, one of them running per volume.
fn fill(s: &Store) {
    let vols: Vec<Volume> = (1..=10).map(|i| volume(&format!("v{i:02}"), i)).collect();
    s.write(|c| {
        clusters::ensure(c, CLUSTER, "c", Utc::now())?;
        volumes::replace_inventory(c, CLUSTER, &vols)
    })
    .unwrap();
    for i in 0..60i64 {
        let vol = u128::try_from(i % 10).unwrap() + 1;
        let status = if i >= 50 {
            JobStatus::Running
        } else {
            JobStatus::Succeeded
        };
        let j = job_in(Uuid::from_u128(vol), i * 60, status);
        s.write(|c| {
            jobs::insert(c, &j, &j.initial_steps())?;
            jobs::set_nodes(c, j.id, &[node(1), node(2)], &[], j.created_at)
        })
        .unwrap();
    }
}

/// The statement that read the jobs of a page listed with `filter`.
fn job_page_sql(s: &Store, filter: &JobFilter, cursor: Option<&str>) -> String {
    let (page, sqls) = recorded(s, |c| jobs::list(c, filter, 5, cursor));
    assert!(!page.items.is_empty(), "the page has jobs");
    reading(&sqls, "jobs").to_owned()
}

fn each_job_list_filter_seeks_its_own_index_in_list_order(db: &TestDb) {
    let s = db.store();
    fill(s);
    let all = JobFilter::default();
    assert_plan(
        s,
        &job_page_sql(s, &all, None),
        "jobs_newest_first",
        Access::Ordered,
    );
    let cases = [
        (
            JobFilter {
                status: Some(JobStatus::Succeeded),
                ..JobFilter::default()
            },
            "jobs_by_status_newest",
        ),
        (
            JobFilter {
                kind: Some(TaskKind::Rebalance),
                ..JobFilter::default()
            },
            "jobs_by_kind_newest",
        ),
        (
            JobFilter {
                volume_id: Some(Uuid::from_u128(3)),
                ..JobFilter::default()
            },
            "jobs_by_volume_newest",
        ),
        (
            JobFilter {
                cluster_id: Some(CLUSTER),
                ..JobFilter::default()
            },
            "jobs_by_cluster_newest",
        ),
        (
            JobFilter {
                origin: Some(JobOrigin::Api),
                ..JobFilter::default()
            },
            "jobs_by_origin_newest",
        ),
        (
            JobFilter {
                created_after: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 10, 0).unwrap()),
                ..JobFilter::default()
            },
            "jobs_newest_first",
        ),
    ];
    for (filter, index) in cases {
        assert_plan(s, &job_page_sql(s, &filter, None), index, Access::Seek);
    }
}

fn a_page_deep_in_the_list_seeks_the_cursor(db: &TestDb) {
    let s = db.store();
    fill(s);
    for (filter, index) in [
        (JobFilter::default(), "jobs_newest_first"),
        (
            JobFilter {
                status: Some(JobStatus::Succeeded),
                ..JobFilter::default()
            },
            "jobs_by_status_newest",
        ),
        (
            JobFilter {
                volume_id: Some(Uuid::from_u128(3)),
                ..JobFilter::default()
            },
            "jobs_by_volume_newest",
        ),
    ] {
        let first = s.read(|c| jobs::list(c, &filter, 2, None)).unwrap();
        let cursor = first.next_cursor.expect("more than one page");
        assert_plan(
            s,
            &job_page_sql(s, &filter, Some(&cursor)),
            index,
            Access::Seek,
        );
    }
}

fn a_page_loads_steps_and_nodes_by_job_through_their_indexes(db: &TestDb) {
    let s = db.store();
    fill(s);
    let (_, sqls) = recorded(s, |c| jobs::list(c, &JobFilter::default(), 20, None));
    assert_plan(
        s,
        reading(&sqls, "job_steps"),
        "job_steps_by_job",
        Access::Seek,
    );
    let nodes_key = match s.backend() {
        Backend::Sqlite => "sqlite_autoindex_job_nodes_1",
        Backend::Postgres => "job_nodes_pkey",
    };
    assert_plan(s, reading(&sqls, "job_nodes"), nodes_key, Access::Seek);
}

fn the_purge_and_the_tracked_jobs_seek_a_cluster_s_jobs_by_state(db: &TestDb) {
    let s = db.store();
    fill(s);
    // A cutoff before every job ended: the purge selects, finds nothing, writes nothing.
    let long_ago = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let (n, sqls) = recorded(s, |c| {
        jobs::purge_ended(c, CLUSTER, long_ago, long_ago, 100)
    });
    assert_eq!(n, 0);
    assert_plan(
        s,
        reading(&sqls, "jobs"),
        "jobs_by_cluster_needs_stop",
        Access::Seek,
    );
    let (tracked, sqls) = recorded(s, |c| jobs::tracked(c, CLUSTER));
    assert_eq!(tracked.len(), 10, "the running jobs");
    let of_jobs: Vec<&String> = sqls
        .iter()
        .filter(|q| q.contains("FROM `jobs`") || q.contains("FROM \"jobs\""))
        .collect();
    assert_eq!(
        of_jobs.len(),
        2,
        "one query per kind of tracked job: {sqls:#?}"
    );
    // Jobs in the tracked states: both indexes lead with the cluster and hold the state (the
    // second after needs_stop); PostgreSQL without statistics may take either.
    assert_plan_any(
        s,
        of_jobs[0],
        &["jobs_by_cluster_status_ended", "jobs_by_cluster_needs_stop"],
        Access::Seek,
    );
    assert_plan(s, of_jobs[1], "jobs_by_cluster_needs_stop", Access::Seek);
}

fn steps_are_found_by_parent_through_an_index(db: &TestDb) {
    let s = db.store();
    fill(s);
    // The lookup a cascading delete of a step makes for its children.
    let (_, sqls) = recorded(s, |c| {
        Ok(job_steps::table
            .filter(job_steps::parent_id.eq(Uuid::from_u128(1).to_string()))
            .select(job_steps::id)
            .load::<String>(c)?)
    });
    assert_plan(
        s,
        reading(&sqls, "job_steps"),
        "job_steps_by_parent",
        Access::Seek,
    );
}

fn volume_pages_seek_by_name_and_load_bricks_and_activity_by_index(db: &TestDb) {
    let s = db.store();
    fill(s);
    let first = s.read(|c| volumes::list_page(c, None, 3, None)).unwrap();
    let cursor = first.next_cursor.expect("more than one page");
    let (page, sqls) = recorded(s, |c| {
        let page = volumes::list_page(c, None, 3, Some(&cursor))?;
        let ids: Vec<Uuid> = page.items.iter().map(|v| v.id).collect();
        jobs::active_for_volumes(c, &ids)?;
        Ok(page)
    });
    assert_eq!(page.items.len(), 3);
    assert_plan(
        s,
        reading(&sqls, "volumes"),
        "volumes_by_name",
        Access::Seek,
    );
    assert_plan(
        s,
        reading(&sqls, "bricks"),
        "bricks_by_volume",
        Access::Seek,
    );
    // The active job of each volume: by volume, or by state (active jobs are few).
    assert_plan_any(
        s,
        reading(&sqls, "jobs"),
        &["jobs_by_volume_newest", "jobs_by_status_newest"],
        Access::Seek,
    );
    let (_, sqls) = recorded(s, |c| {
        volumes::list_page(c, Some(CLUSTER), 3, Some(&cursor))
    });
    assert_plan(
        s,
        reading(&sqls, "volumes"),
        "volumes_by_cluster_name",
        Access::Seek,
    );
    let (_, sqls) = recorded(s, |c| volumes::list_page(c, None, 3, None));
    assert_plan(
        s,
        reading(&sqls, "volumes"),
        "volumes_by_name",
        Access::Ordered,
    );
}

fn the_change_feed_seeks_the_sequence(db: &TestDb) {
    // What `/events` reads after each wake, and what a replica's watcher reads when the
    // counter moved: the jobs above a sequence, lowest first.
    let s = db.store();
    fill(s);
    let (changed, sqls) = recorded(s, |c| jobs::feed::since(c, &JobFilter::default(), 3, 5));
    assert!(!changed.is_empty(), "jobs changed after 3");
    assert_plan(s, reading(&sqls, "jobs"), "jobs_change_seq", Access::Seek);
    let (ids, sqls) = recorded(s, |c| jobs::feed::ids_since(c, 3, 5));
    assert!(!ids.is_empty(), "ids changed after 3");
    assert_plan(s, reading(&sqls, "jobs"), "jobs_change_seq", Access::Seek);
}

fn samples_sizing_and_the_timeline_are_read_by_job_through_their_indexes(db: &TestDb) {
    // What a job's page, its plot, the poller's rate window and a resumed event stream read.
    let s = db.store();
    fill(s);
    let page = s
        .read(|c| jobs::list(c, &JobFilter::default(), 60, None))
        .unwrap();
    let t0 = fixtures::t0();
    for (i, r) in page.items.iter().enumerate() {
        let id = r.job.id;
        s.write(|c| {
            for poll in 0..5i64 {
                let at = t0 + chrono::Duration::seconds(poll * 10);
                let samples: Vec<ProgressSample> = [1u128, 2]
                    .into_iter()
                    .map(|peer| ProgressSample {
                        at,
                        peer_id: Uuid::from_u128(peer),
                        done: poll,
                        files: poll,
                        size_bytes: poll,
                        scanned: poll,
                        failures: 0,
                        runtime_secs: 1.0,
                    })
                    .collect();
                jobs::record_samples(c, id, &samples, 4)?;
            }
            let sizing = Sizing {
                basis: Some(Basis::Files),
                nodes: vec![NodeWork {
                    peer_id: Uuid::from_u128(1),
                    basis: Basis::Files,
                    total: 10,
                }],
                note: None,
            };
            jobs::set_sizing(c, id, &sizing, t0)?;
            let warning = TimelineEntry::new(id, t0, TimelineKind::Warning).saying(format!("{i}"));
            timeline::append(c, &warning)?;
            Ok(())
        })
        .unwrap();
    }
    let id = page.items[7].job.id;
    let (all, sqls) = recorded(s, |c| jobs::samples(c, id));
    assert_eq!(all.len(), 8, "two nodes at each of the four polls kept");
    assert_plan(
        s,
        reading(&sqls, "job_samples"),
        "job_samples_by_job_at",
        Access::Seek,
    );
    let since = t0 + chrono::Duration::seconds(30);
    let (recent, sqls) = recorded(s, |c| jobs::samples_since(c, id, since));
    assert_eq!(recent.len(), 4);
    assert_plan(
        s,
        reading(&sqls, "job_samples"),
        "job_samples_by_job_at",
        Access::Seek,
    );
    // The thinning's read of a job's poll instants.
    let (_, sqls) = recorded(s, |c| jobs::record_samples(c, id, &[], 4));
    assert_plan(
        s,
        reading(&sqls, "job_samples"),
        "job_samples_by_job_at",
        Access::Seek,
    );
    let (sizing, sqls) = recorded(s, |c| jobs::sizing(c, id));
    assert!(sizing.is_some());
    let work_key = match s.backend() {
        Backend::Sqlite => "sqlite_autoindex_job_work_1",
        Backend::Postgres => "job_work_pkey",
    };
    assert_plan(s, reading(&sqls, "job_work"), work_key, Access::Seek);
    let (entries, sqls) = recorded(s, |c| timeline::list(c, id));
    assert_eq!(entries.len(), 2, "created, warning");
    // Both indexes lead with the job; PostgreSQL without statistics may take either (for
    // `since` too, filtering the job's few entries by sequence).
    assert_plan_any(
        s,
        reading(&sqls, "job_timeline"),
        &["job_timeline_by_job", "job_timeline_by_job_seq"],
        Access::Seek,
    );
    let ids: Vec<Uuid> = page.items[..3].iter().map(|r| r.job.id).collect();
    let (by_job, sqls) = recorded(s, |c| timeline::for_jobs(c, &ids, 0));
    assert_eq!(by_job.len(), 3);
    assert_plan_any(
        s,
        reading(&sqls, "job_timeline"),
        &["job_timeline_by_job_seq", "job_timeline_by_job"],
        Access::Seek,
    );
    let (after, sqls) = recorded(s, |c| timeline::since(c, id, entries[0].seq));
    assert_eq!(after.len(), 1);
    assert_plan_any(
        s,
        reading(&sqls, "job_timeline"),
        &["job_timeline_by_job_seq", "job_timeline_by_job"],
        Access::Seek,
    );
}

fn the_job_counts_read_one_index_alone(db: &TestDb) {
    // What every scrape of /metrics reads: jobs by state and kind, from the index alone.
    let s = db.store();
    fill(s);
    let (counts, sqls) = recorded(s, jobs::counts);
    assert_eq!(counts.iter().map(|(_, _, n)| n).sum::<i64>(), 60);
    let running: i64 = counts
        .iter()
        .filter(|(_, st, _)| *st == JobStatus::Running)
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(running, 10);
    assert_plan(
        s,
        reading(&sqls, "jobs"),
        "jobs_by_kind_status",
        Access::Ordered,
    );
}
