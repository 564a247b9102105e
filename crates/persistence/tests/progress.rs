//! Progress on both backends: a job's estimate and its nodes' round-trip with the job and its
//! node rows, how a task was sized is kept apart from the job's other fields, samples are kept
//! in order and thinned to a bound (the first and the newest polls stay), and a purged or
//! deleted job takes its sizing, samples and timeline with it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
mod fixtures;

use chrono::{DateTime, Duration, Utc};
use common::TestDb;
use diesel::prelude::*;
use domain::estimate::{
    Basis, JobProgress, NodeEstimate, NodeWork, ProgressNote, ProgressSample, Sizing,
};
use domain::{JobStatus, TimelineEntry, TimelineKind};
use fixtures::{job_in, job_on, node, setup, t0, CLUSTER};
use persistence::repo::{jobs, timeline};
use persistence::schema::{job_samples, job_timeline, job_work};
use persistence::{JobFilter, Store};
use std::collections::BTreeSet;
use uuid::Uuid;

conformance!(
    a_job_s_progress_round_trips_through_insert_update_and_lists,
    node_estimates_are_matched_by_peer_and_come_in_node_order,
    sizing_is_none_until_set_replaced_by_a_new_one_and_kept_by_updates,
    samples_come_by_time_and_peer_and_are_thinned_to_the_bound,
    a_purged_or_deleted_job_takes_its_sizing_samples_and_timeline_along,
);

fn at(secs: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(secs)
}

fn sample(secs: i64, peer: u128, done: i64) -> ProgressSample {
    ProgressSample {
        at: at(secs),
        peer_id: Uuid::from_u128(peer),
        done,
        files: done / 2,
        size_bytes: done * 10,
        scanned: done + 1,
        failures: 1,
        runtime_secs: 0.5 + secs as f64,
    }
}

fn estimate(peer: u128, done: i64) -> NodeEstimate {
    NodeEstimate {
        peer_id: Uuid::from_u128(peer),
        total: Some(1000),
        done,
        percent: Some(done as f64 / 10.0),
        rate: Some(2.5),
        estimated_end_at: Some(at(900)),
        progressed_at: Some(at(60)),
        stalled_since: Some(at(30)),
    }
}

/// How many rows of job `id` the table `$t` holds.
macro_rules! rows_of {
    ($s:expr, $t:ident, $id:expr) => {
        $s.read(|c| {
            Ok($t::table
                .filter($t::job_id.eq($id.to_string()))
                .count()
                .get_result::<i64>(c)?)
        })
        .unwrap()
    };
}

fn a_job_s_progress_round_trips_through_insert_update_and_lists(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut job = job_on(1, 0);
    job.progress = JobProgress {
        percent: Some(12.5),
        estimated_end_at: Some(at(3600)),
        rate: Some(40.25),
        basis: Some(Basis::Files),
        note: Some(ProgressNote::Measuring),
    };
    s.write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    let got = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    assert_eq!(got.job.progress, job.progress);
    job.progress = JobProgress {
        percent: Some(99.0),
        estimated_end_at: None,
        rate: None,
        basis: Some(Basis::Files),
        note: Some(ProgressNote::BeyondEstimate),
    };
    s.write(|c| jobs::update(c, &job)).unwrap();
    let got = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    assert_eq!(got.job, job, "every field, the progress too");
    job.progress = JobProgress::default();
    s.write(|c| jobs::update(c, &job)).unwrap();
    let page = s
        .read(|c| jobs::list(c, &JobFilter::default(), 10, None))
        .unwrap();
    assert_eq!(
        page.items[0].job.progress,
        JobProgress::default(),
        "cleared"
    );
}

fn node_estimates_are_matched_by_peer_and_come_in_node_order(db: &TestDb) {
    let s = db.store();
    setup(s);
    let job = job_on(1, 0);
    // Nodes n3, n1, n2; estimates for n2 and n3 only, in yet another order.
    let given = [estimate(2, 200), estimate(3, 300)];
    s.write(|c| {
        jobs::insert(c, &job, &job.initial_steps())?;
        jobs::set_nodes(c, job.id, &[node(3), node(1), node(2)], &given, t0())
    })
    .unwrap();
    let rec = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    let names: Vec<&str> = rec.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["n1", "n2", "n3"]);
    let empty = NodeEstimate {
        peer_id: Uuid::from_u128(1),
        ..NodeEstimate::default()
    };
    assert_eq!(rec.estimates, [empty, estimate(2, 200), estimate(3, 300)]);
    // The same through a page (one query for all node rows) and the poller's read.
    let page = s
        .read(|c| jobs::list(c, &JobFilter::default(), 10, None))
        .unwrap();
    assert_eq!(page.items[0].estimates, rec.estimates);
    // Writing the nodes again with the record's estimates keeps them.
    s.write(|c| jobs::set_nodes(c, job.id, &rec.nodes, &rec.estimates, at(5)))
        .unwrap();
    let again = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    assert_eq!(again.estimates, rec.estimates);
    assert!(
        again.change_seq > rec.change_seq,
        "a node write stamps the job"
    );
}

fn sizing_is_none_until_set_replaced_by_a_new_one_and_kept_by_updates(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut job = job_on(1, 0);
    s.write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    assert_eq!(s.read(|c| jobs::sizing(c, job.id)).unwrap(), None);
    let work = |peer: u128, total: i64| NodeWork {
        peer_id: Uuid::from_u128(peer),
        basis: Basis::Files,
        total,
    };
    let first = Sizing {
        basis: Some(Basis::Files),
        nodes: vec![work(2, 20), work(1, 10)],
        note: Some(ProgressNote::SharedFilesystem),
    };
    let seq = s
        .read(|c| jobs::get(c, job.id))
        .unwrap()
        .unwrap()
        .change_seq;
    s.write(|c| jobs::set_sizing(c, job.id, &first, at(1)))
        .unwrap();
    let got = s.read(|c| jobs::sizing(c, job.id)).unwrap().unwrap();
    assert_eq!(got.basis, first.basis);
    assert_eq!(got.note, first.note);
    assert_eq!(got.nodes, [work(1, 10), work(2, 20)], "by peer id");
    let rec = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    assert_eq!(rec.change_seq, seq, "sizing alone does not stamp the job");
    // A job update writes every field of the job, and leaves the sizing alone.
    job.reason = Some("r".into());
    s.write(|c| jobs::update(c, &job)).unwrap();
    assert_eq!(s.read(|c| jobs::sizing(c, job.id)).unwrap(), Some(got));
    // A fix-layout cannot be sized: no basis, no nodes, and a note why.
    let unsized_ = Sizing {
        basis: None,
        nodes: Vec::new(),
        note: Some(ProgressNote::FixLayout),
    };
    s.write(|c| jobs::set_sizing(c, job.id, &unsized_, at(2)))
        .unwrap();
    assert_eq!(
        s.read(|c| jobs::sizing(c, job.id)).unwrap(),
        Some(unsized_),
        "replaced, nodes too"
    );
    assert_eq!(rows_of!(s, job_work, job.id), 0);
    let missing = s.write(|c| jobs::set_sizing(c, Uuid::from_u128(77), &first, at(3)));
    assert!(matches!(
        missing,
        Err(persistence::PersistenceError::NotFound(_))
    ));
}

fn samples_come_by_time_and_peer_and_are_thinned_to_the_bound(db: &TestDb) {
    let s = db.store();
    setup(s);
    let job = job_on(1, 0);
    s.write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    let seq = s
        .read(|c| jobs::get(c, job.id))
        .unwrap()
        .unwrap()
        .change_seq;
    const MAX: usize = 10;
    for poll in 0..40i64 {
        // Two nodes per poll, the second peer first.
        let batch = [sample(poll * 10, 2, poll * 3), sample(poll * 10, 1, poll)];
        s.write(|c| jobs::record_samples(c, job.id, &batch, MAX))
            .unwrap();
        let stored = s.read(|c| jobs::samples(c, job.id)).unwrap();
        let ats: BTreeSet<DateTime<Utc>> = stored.iter().map(|x| x.at).collect();
        assert!(ats.len() <= MAX, "poll {poll}: {} polls kept", ats.len());
        assert_eq!(ats.first(), Some(&at(0)), "poll {poll}: the first stays");
        assert_eq!(ats.last(), Some(&at(poll * 10)), "poll {poll}: the newest");
        assert_eq!(stored.len(), 2 * ats.len(), "both nodes of each kept poll");
    }
    let stored = s.read(|c| jobs::samples(c, job.id)).unwrap();
    let keys: Vec<(DateTime<Utc>, Uuid)> = stored.iter().map(|x| (x.at, x.peer_id)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "by time, then peer");
    assert_eq!(
        stored.last(),
        Some(&sample(390, 2, 117)),
        "fields round-trip"
    );
    let kept: BTreeSet<DateTime<Utc>> = stored.iter().map(|x| x.at).collect();
    let drop = domain::estimate::history::thin(&kept.iter().copied().collect::<Vec<_>>(), MAX);
    assert!(drop.is_empty(), "what is stored is within the bound");
    // The newest MAX / 2 polls are all there.
    for poll in 35..40 {
        assert!(kept.contains(&at(poll * 10)), "poll {poll}");
    }
    let recent = s.read(|c| jobs::samples_since(c, job.id, at(370))).unwrap();
    let recent_ats: BTreeSet<DateTime<Utc>> = recent.iter().map(|x| x.at).collect();
    assert_eq!(
        recent_ats.into_iter().collect::<Vec<_>>(),
        [at(370), at(380), at(390)],
        "from the instant on, inclusive"
    );
    let rec = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
    assert_eq!(rec.change_seq, seq, "samples alone do not stamp the job");
    // Another job's samples are its own.
    let other = job_on(2, 5);
    s.write(|c| {
        jobs::insert(c, &other, &other.initial_steps())?;
        jobs::record_samples(c, other.id, &[sample(0, 1, 1)], MAX)
    })
    .unwrap();
    assert_eq!(s.read(|c| jobs::samples(c, other.id)).unwrap().len(), 1);
    assert_eq!(s.read(|c| jobs::samples(c, job.id)).unwrap(), stored);
}

/// A job with node rows, estimates, sizing, samples and timeline entries.
fn with_history(s: &Store, j: &domain::Job) {
    s.write(|c| {
        jobs::insert(c, j, &j.initial_steps())?;
        jobs::set_nodes(c, j.id, &[node(1)], &[estimate(1, 5)], j.created_at)?;
        let sizing = Sizing {
            basis: Some(Basis::Files),
            nodes: vec![NodeWork {
                peer_id: Uuid::from_u128(1),
                basis: Basis::Files,
                total: 10,
            }],
            note: None,
        };
        jobs::set_sizing(c, j.id, &sizing, j.created_at)?;
        jobs::record_samples(c, j.id, &[sample(0, 1, 1), sample(10, 1, 5)], 100)?;
        timeline::append(
            c,
            &TimelineEntry::new(j.id, j.created_at, TimelineKind::Warning).saying("w"),
        )?;
        Ok(())
    })
    .unwrap();
}

fn a_purged_or_deleted_job_takes_its_sizing_samples_and_timeline_along(db: &TestDb) {
    let s = db.store();
    setup(s);
    let old = job_in(Uuid::from_u128(1), 0, JobStatus::Succeeded);
    let running = job_in(Uuid::from_u128(2), 0, JobStatus::Running);
    let refused = job_on(1, 30);
    for j in [&old, &running, &refused] {
        with_history(s, j);
        assert_eq!(rows_of!(s, job_samples, j.id), 2);
        assert_eq!(rows_of!(s, job_work, j.id), 1);
        assert_eq!(rows_of!(s, job_timeline, j.id), 2, "created, warning");
    }
    let cutoff = at(3600);
    let purged = s
        .write(|c| jobs::purge_ended(c, CLUSTER, cutoff, cutoff, 10))
        .unwrap();
    assert_eq!(purged, 1);
    s.write(|c| jobs::delete(c, refused.id)).unwrap();
    for gone in [&old, &refused] {
        assert!(s.read(|c| jobs::get(c, gone.id)).unwrap().is_none());
        assert_eq!(rows_of!(s, job_samples, gone.id), 0);
        assert_eq!(rows_of!(s, job_work, gone.id), 0);
        assert_eq!(rows_of!(s, job_timeline, gone.id), 0);
        assert_eq!(s.read(|c| jobs::sizing(c, gone.id)).unwrap(), None);
        assert!(s.read(|c| timeline::list(c, gone.id)).unwrap().is_empty());
    }
    assert_eq!(
        rows_of!(s, job_samples, running.id),
        2,
        "the running job keeps its own"
    );
    assert_eq!(rows_of!(s, job_timeline, running.id), 2);
}
