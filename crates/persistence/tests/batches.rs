//! Work that must cost the same whatever its size, on both backends: a page of jobs or volumes
//! costs the same number of statements for 1, 10 or 100 items (counted through diesel's
//! connection instrumentation), an inventory refresh of unchanged volumes the same for 10 or 100
//! volumes, and the purge deletes at most one batch per call.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
mod fixtures;

use chrono::{Duration, Utc};
use common::{recorded, TestDb};
use diesel::prelude::*;
use domain::estimate::{NodeEstimate, ProgressSample};
use domain::{Job, JobStatus, Volume};
use domain::{TimelineEntry, TimelineKind};
use fixtures::{job_in as job, node, t0, volume_at, CLUSTER};
use persistence::repo::{clusters, jobs, timeline, volumes};
use persistence::schema::job_samples;
use persistence::{JobFilter, Store};
use uuid::Uuid;

conformance!(
    a_job_page_costs_the_same_queries_for_1_10_and_100_jobs,
    a_volume_page_costs_the_same_queries_for_1_10_and_100_volumes,
    an_unchanged_inventory_costs_the_same_queries_for_10_and_100_volumes,
    a_purge_call_deletes_one_batch_and_repeated_calls_leave_tombstones_for_all,
);

/// Volume `volNNN` of the size tests, read at `at`.
fn volume(i: u128, at: chrono::DateTime<Utc>) -> Volume {
    volume_at(&format!("vol{i:03}"), Uuid::from_u128(1000 + i), at)
}

/// Node 2's estimate.
fn estimate() -> NodeEstimate {
    NodeEstimate {
        peer_id: Uuid::from_u128(2),
        total: Some(10),
        done: 4,
        percent: Some(40.0),
        ..NodeEstimate::default()
    }
}

/// Inserts `j` with two node rows (node 2 with an estimate), two polls of samples and a
/// timeline entry besides its own.
fn insert(s: &Store, j: &Job) {
    s.write(|c| {
        jobs::insert(c, j, &j.initial_steps())?;
        jobs::set_nodes(c, j.id, &[node(2), node(1)], &[estimate()], j.created_at)?;
        let samples: Vec<ProgressSample> = [0, 10]
            .into_iter()
            .map(|secs| ProgressSample {
                at: j.created_at + Duration::seconds(secs),
                peer_id: Uuid::from_u128(2),
                done: secs,
                files: 0,
                size_bytes: 0,
                scanned: 0,
                failures: 0,
                runtime_secs: 0.0,
            })
            .collect();
        jobs::record_samples(c, j.id, &samples, 100)?;
        timeline::append(
            c,
            &TimelineEntry::new(j.id, j.created_at, TimelineKind::Warning),
        )?;
        Ok(())
    })
    .unwrap();
}

fn with_volumes(s: &Store, n: u128) -> Vec<Volume> {
    let vols: Vec<Volume> = (0..n).map(|i| volume(i, t0())).collect();
    s.write(|c| {
        clusters::ensure(c, CLUSTER, "c", t0())?;
        volumes::replace_inventory(c, CLUSTER, &vols)
    })
    .unwrap();
    vols
}

fn a_job_page_costs_the_same_queries_for_1_10_and_100_jobs(db: &TestDb) {
    let s = db.store();
    let vols = with_volumes(s, 1);
    for i in 0..100 {
        insert(s, &job(vols[0].id, i, JobStatus::Succeeded));
    }
    let mut counts = Vec::new();
    for limit in [1, 10, 100] {
        let (page, sqls) = recorded(s, |c| jobs::list(c, &JobFilter::default(), limit, None));
        assert_eq!(page.items.len(), usize::try_from(limit).unwrap());
        for r in &page.items {
            assert_eq!(r.steps.len(), 2, "each job's own steps");
            assert!(r.steps[0].parent_id.is_none(), "the parent first");
            let names: Vec<&str> = r.nodes.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(names, ["n1", "n2"], "nodes by name");
            assert_eq!(r.estimates[1], estimate(), "estimates in node order");
            assert_eq!(r.estimates[0].total, None, "n1 has none");
            assert!(r.steps.iter().all(|st| st.job_id == r.job.id));
        }
        counts.push(sqls.len());
    }
    assert_eq!(
        counts,
        [3, 3, 3],
        "jobs, their steps, their nodes with their estimates"
    );
}

fn a_volume_page_costs_the_same_queries_for_1_10_and_100_volumes(db: &TestDb) {
    let s = db.store();
    let vols = with_volumes(s, 120);
    // Every other volume has a running job.
    for v in vols.iter().step_by(2) {
        insert(s, &job(v.id, 0, JobStatus::Running));
    }
    let mut counts = Vec::new();
    for limit in [1, 10, 100] {
        let ((page, active), sqls) = recorded(s, |c| {
            let page = volumes::list_page(c, Some(CLUSTER), limit, None)?;
            let ids: Vec<Uuid> = page.items.iter().map(|v| v.id).collect();
            let active = jobs::active_for_volumes(c, &ids)?;
            Ok((page, active))
        });
        assert_eq!(page.items.len(), usize::try_from(limit).unwrap());
        assert!(page.items.iter().all(|v| v.bricks.len() == 2));
        assert_eq!(active.len(), page.items.len().div_ceil(2));
        for (vid, r) in &active {
            assert_eq!(r.job.volume_id, *vid);
        }
        counts.push(sqls.len());
    }
    assert_eq!(counts, [5, 5, 5], "volumes, bricks, jobs, steps, nodes");
    // Paging through the whole list visits every volume once, in name order.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .read(|c| volumes::list_page(c, None, 7, cursor.as_deref()))
            .unwrap();
        seen.extend(page.items.into_iter().map(|v| v.name));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let mut expected: Vec<String> = vols.iter().map(|v| v.name.clone()).collect();
    expected.sort();
    assert_eq!(seen, expected);
}

fn an_unchanged_inventory_costs_the_same_queries_for_10_and_100_volumes(db: &TestDb) {
    let s = db.store();
    let mut counts = Vec::new();
    for n in [10, 100] {
        with_volumes(s, n);
        let later = t0() + Duration::seconds(60);
        let again: Vec<Volume> = (0..n).map(|i| volume(i, later)).collect();
        let ((), sqls) = recorded(s, |c| volumes::replace_inventory(c, CLUSTER, &again));
        counts.push(sqls.len());
        // The read is still stamped on every volume.
        let stored = s.read(|c| volumes::list(c, Some(CLUSTER))).unwrap();
        assert_eq!(stored.len(), usize::try_from(n).unwrap());
        assert!(stored.iter().all(|v| v.refreshed_at == later));
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
    // A changed volume is written in full.
    let mut changed = volume(3, t0() + Duration::seconds(120));
    changed.bricks.pop();
    changed.layout.brick_count = 1;
    let mut all: Vec<Volume> = (0..100)
        .map(|i| volume(i, t0() + Duration::seconds(120)))
        .collect();
    all[3] = changed.clone();
    s.write(|c| volumes::replace_inventory(c, CLUSTER, &all))
        .unwrap();
    let got = s.read(|c| volumes::get(c, changed.id)).unwrap().unwrap();
    assert_eq!(got, changed);
}

fn a_purge_call_deletes_one_batch_and_repeated_calls_leave_tombstones_for_all(db: &TestDb) {
    let s = db.store();
    let vols = with_volumes(s, 4);
    const BATCH: usize = 5;
    let expired: Vec<Job> = (0..3 * BATCH + 1)
        .map(|i| job(vols[0].id, i64::try_from(i).unwrap(), JobStatus::Succeeded))
        .collect();
    for j in &expired {
        insert(s, j);
    }
    let running = job(vols[1].id, 0, JobStatus::Running);
    let unknown = job(vols[2].id, 0, JobStatus::Unknown);
    let mut held = job(vols[3].id, 0, JobStatus::Failed);
    held.tracking.needs_stop = true;
    for j in [&running, &unknown, &held] {
        insert(s, j);
    }
    let cutoff = t0() + Duration::hours(1);
    // Each call in a transaction of its own; the statements it runs are recorded: the jobs'
    // steps, nodes, samples, sizing and timeline go by cascade, in the one delete of the jobs,
    // so full batches cost the same and no statement names those tables.
    let purge = || {
        recorded(s, |c| {
            c.transaction(|c| jobs::purge_ended(c, CLUSTER, cutoff, cutoff, BATCH))
        })
    };
    let mut calls = Vec::new();
    let mut statements = Vec::new();
    loop {
        let (n, sqls) = purge();
        for table in [
            "job_samples",
            "job_timeline",
            "job_work",
            "job_nodes",
            "job_steps",
        ] {
            assert!(
                !sqls.iter().any(|q| q.contains(table)),
                "{table} by cascade: {sqls:#?}"
            );
        }
        calls.push(n);
        statements.push(sqls.len());
        if n < BATCH {
            break;
        }
    }
    assert_eq!(calls, [BATCH, BATCH, BATCH, 1], "one call purges one batch");
    assert!(
        statements[..3].windows(2).all(|w| w[0] == w[1]),
        "full batches cost the same statements: {statements:?}"
    );
    let left: i64 = s
        .read(|c| Ok(job_samples::table.count().get_result(c)?))
        .unwrap();
    assert_eq!(left, 2 * 3, "only the kept jobs' samples are left");
    for j in &expired {
        assert!(s.read(|c| jobs::get(c, j.id)).unwrap().is_none());
    }
    let tasks: Vec<Uuid> = expired.iter().filter_map(|j| j.gluster_task_id).collect();
    let known = s.read(|c| jobs::known_task_ids(c, &tasks)).unwrap();
    assert_eq!(
        known.len(),
        tasks.len(),
        "every purged task left a tombstone"
    );
    for j in [&running, &unknown, &held] {
        assert!(
            s.read(|c| jobs::get(c, j.id)).unwrap().is_some(),
            "{:?} kept",
            j.status
        );
    }
}
