//! A job's timeline on both backends: entries come in the order they were appended, each with
//! the change sequence it gave its job; `since` resumes after a sequence, `for_jobs` does it for
//! several jobs at once; creation, adoption and state changes are entered by the job writes
//! themselves, in their transaction.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
mod fixtures;

use chrono::Duration;
use common::TestDb;
use domain::timeline::actors;
use domain::{JobOrigin, JobStatus, TimelineEntry, TimelineKind};
use fixtures::{job_on, setup, t0};
use persistence::repo::{jobs, timeline};
use persistence::PersistenceError;
use uuid::Uuid;

conformance!(
    entries_come_in_append_order_with_the_sequence_they_gave_the_job,
    since_and_for_jobs_resume_after_a_sequence,
    creation_adoption_and_state_changes_are_entered_by_the_job_writes,
    an_entry_of_a_failed_write_is_not_kept,
);

fn entries_come_in_append_order_with_the_sequence_they_gave_the_job(db: &TestDb) {
    let s = db.store();
    setup(s);
    let job = job_on(1, 0);
    s.write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    let mut entries = Vec::new();
    for (i, kind) in [
        TimelineKind::Accepted,
        TimelineKind::StallStarted,
        TimelineKind::StallEnded,
        TimelineKind::StopRequested,
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = TimelineEntry::new(job.id, t0() + Duration::seconds(10 - 2 * i as i64), kind)
            .by(Some("alice"))
            .saying(format!("entry {i}"));
        e.node = Some(format!("n{i}"));
        let seq = s.write(|c| timeline::append(c, &e)).unwrap();
        let rec = s.read(|c| jobs::get(c, job.id)).unwrap().unwrap();
        assert_eq!(rec.change_seq, seq, "the entry stamped its job");
        entries.push((seq, e));
    }
    let got = s.read(|c| timeline::list(c, job.id)).unwrap();
    assert_eq!(got.len(), 5, "created, then the four appended");
    assert_eq!(got[0].entry.kind, TimelineKind::Created);
    // Append order, not time order (the times above go backwards).
    for (r, (seq, e)) in got[1..].iter().zip(&entries) {
        assert_eq!(&r.entry, e);
        assert_eq!(r.seq, *seq);
    }
    assert!(got
        .windows(2)
        .all(|w| w[0].id < w[1].id && w[0].seq < w[1].seq));
    let missing = TimelineEntry::new(Uuid::from_u128(99), t0(), TimelineKind::Warning);
    assert!(matches!(
        s.write(|c| timeline::append(c, &missing)),
        Err(PersistenceError::NotFound(_))
    ));
}

fn since_and_for_jobs_resume_after_a_sequence(db: &TestDb) {
    let s = db.store();
    setup(s);
    let a = job_on(1, 0);
    let b = job_on(2, 1);
    let warn = |id, text: &str| {
        TimelineEntry::new(id, t0(), TimelineKind::Warning).saying(text.to_owned())
    };
    let mut seqs = Vec::new();
    s.write(|c| {
        jobs::insert(c, &a, &a.initial_steps())?;
        jobs::insert(c, &b, &b.initial_steps())?;
        for (id, text) in [(a.id, "a1"), (b.id, "b1"), (a.id, "a2"), (b.id, "b2")] {
            seqs.push(timeline::append(c, &warn(id, text))?);
        }
        Ok(())
    })
    .unwrap();
    let texts = |rs: &[persistence::TimelineRecord]| -> Vec<String> {
        rs.iter()
            .map(|r| r.entry.message.clone().unwrap_or_default())
            .collect()
    };
    let after_a1 = s.read(|c| timeline::since(c, a.id, seqs[0])).unwrap();
    assert_eq!(texts(&after_a1), ["a2"]);
    let before_all = s.read(|c| timeline::since(c, a.id, 0)).unwrap();
    assert_eq!(texts(&before_all), ["", "a1", "a2"], "created first");
    let none = s.read(|c| timeline::since(c, a.id, seqs[3])).unwrap();
    assert!(none.is_empty());
    let by_job = s
        .read(|c| timeline::for_jobs(c, &[a.id, b.id, Uuid::from_u128(5)], seqs[0]))
        .unwrap();
    assert_eq!(by_job.len(), 2, "jobs with no such entry are absent");
    assert_eq!(texts(&by_job[&a.id]), ["a2"]);
    assert_eq!(texts(&by_job[&b.id]), ["b1", "b2"]);
    assert!(s
        .read(|c| timeline::for_jobs(c, &[], 0))
        .unwrap()
        .is_empty());
}

fn creation_adoption_and_state_changes_are_entered_by_the_job_writes(db: &TestDb) {
    let s = db.store();
    setup(s);
    let mut api = job_on(1, 0);
    api.initiator = Some("ops-token".into());
    let mut cli = job_on(2, 0);
    cli.origin = JobOrigin::Cli;
    cli.initiator = Some("ignored".into());
    let (api_seq, cli_seq) = s
        .write(|c| {
            Ok((
                jobs::insert(c, &api, &api.initial_steps())?,
                jobs::insert(c, &cli, &cli.initial_steps())?,
            ))
        })
        .unwrap();
    let created = s.read(|c| timeline::list(c, api.id)).unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].entry,
        TimelineEntry::new(api.id, api.created_at, TimelineKind::Created).by(Some("ops-token"))
    );
    assert_eq!(created[0].seq, api_seq, "the insert's own sequence");
    let adopted = s.read(|c| timeline::list(c, cli.id)).unwrap();
    assert_eq!(
        adopted[0].entry,
        TimelineEntry::new(cli.id, cli.created_at, TimelineKind::Adopted)
            .by(Some(actors::GLUSTER_CLI))
    );
    assert_eq!(adopted[0].seq, cli_seq);
    // An update that keeps the state adds nothing; each change of state adds one entry.
    let later = api.created_at + Duration::seconds(5);
    api.reason = Some("still pending".into());
    s.write(|c| jobs::update(c, &api)).unwrap();
    assert_eq!(s.read(|c| timeline::list(c, api.id)).unwrap().len(), 1);
    api.transition(JobStatus::Running, later).unwrap();
    api.reason = None;
    s.write(|c| jobs::update(c, &api)).unwrap();
    let end = later + Duration::seconds(5);
    api.transition(JobStatus::Failed, end).unwrap();
    api.reason = Some("gluster says failed".into());
    s.write(|c| jobs::update(c, &api)).unwrap();
    let all = s.read(|c| timeline::list(c, api.id)).unwrap();
    let rec = s.read(|c| jobs::get(c, api.id)).unwrap().unwrap();
    assert_eq!(all.len(), 3);
    let running =
        TimelineEntry::state_change(api.id, later, JobStatus::Pending, JobStatus::Running)
            .by(Some(actors::SERVICE));
    assert_eq!(all[1].entry, running, "at the change, with no reason");
    let failed = TimelineEntry::state_change(api.id, end, JobStatus::Running, JobStatus::Failed)
        .by(Some(actors::SERVICE))
        .saying("gluster says failed");
    assert_eq!(all[2].entry, failed);
    assert_eq!(all[2].seq, rec.change_seq, "the update's own sequence");
}

fn an_entry_of_a_failed_write_is_not_kept(db: &TestDb) {
    let s = db.store();
    setup(s);
    let job = job_on(1, 0);
    s.write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    let failed: Result<(), PersistenceError> = s.write(|c| {
        timeline::append(c, &TimelineEntry::new(job.id, t0(), TimelineKind::Warning))?;
        Err(PersistenceError::NotFound("a later step of the same write"))
    });
    assert!(failed.is_err());
    assert_eq!(s.read(|c| timeline::list(c, job.id)).unwrap().len(), 1);
}
