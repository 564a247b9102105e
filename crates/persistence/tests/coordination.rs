//! The persistence conformance suite, second half: what replicas share and race for, run on a
//! real SQLite file and on the PostgreSQL server like `store.rs`. Concurrent starts on one
//! volume make one job, a lease has one holder, replicas count while they beat, a step is
//! claimed once, migrations started by several processes at once all succeed, and an
//! idempotency key is claimed once, answered, replayed, taken over when abandoned and purged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
mod fixtures;

use chrono::{Duration, TimeZone, Utc};
use common::TestDb;
use domain::{Job, StepStatus};
use fixtures::{job_on, setup, CLUSTER};
use persistence::repo::idempotency::{self, Claim, StoredAnswer};
use persistence::repo::{jobs, leases};
use persistence::{PersistenceError, Store};
use uuid::Uuid;

conformance!(
    concurrent_starts_on_one_volume_make_one_job,
    leases_have_one_holder_expire_and_can_be_released,
    replicas_count_while_they_beat,
    a_step_is_claimed_once,
    migrations_started_together_by_several_processes_all_succeed,
    an_idempotency_key_is_claimed_once_answered_then_replayed,
    an_abandoned_idempotency_claim_is_taken_over_and_old_keys_are_purged,
);

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

fn migrations_started_together_by_several_processes_all_succeed(db: &TestDb) {
    // A second database of the same backend, opened by several pools at once (as replicas
    // starting together would): every one succeeds and the schema is there once.
    let fresh = db.db().another();
    let url = fresh.url();
    for opened in race(3, |_| Store::open(url, 2).map(|_| ())) {
        opened.unwrap();
    }
    let s = Store::open(url, 1).unwrap();
    setup(&s);
    drop(s);
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
