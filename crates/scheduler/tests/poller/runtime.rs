//! The runtime: wake-ups coalesce, and housekeeping runs even with no cluster configured.

use crate::world;
use chrono::{Duration as Span, Utc};
use persistence::repo::idempotency;
use scheduler::{ClusterContext, PollSettings, Registry, Replica, Scheduler, SystemClock, Wake};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn replica() -> Replica {
    Replica::this_process(Duration::from_secs(15), "runtime-test")
}

#[test]
fn a_burst_of_wakes_makes_a_cycle_or_two_not_one_each() {
    let w = world();
    let cluster = ClusterContext::new("c1", w.fake.clone());
    let id = cluster.id;
    let scheduler = Scheduler::new(Registry::new(vec![cluster]));
    let settings = PollSettings {
        active_interval: Duration::from_millis(200),
        idle_interval: Duration::from_secs(600), // no timed cycle during the test
        ..PollSettings::default()
    };
    scheduler.start(&w.store, Arc::new(SystemClock), settings, &replica());
    let deadline = Instant::now() + Duration::from_secs(10);
    while scheduler.worker_status(id).cycles < 1 {
        assert!(Instant::now() < deadline, "no first cycle");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    let before = scheduler.worker_status(id).cycles;
    // 50 starts each ask for a cycle at once (each start wakes its cluster's poller).
    for _ in 0..50 {
        scheduler.wake(id);
    }
    std::thread::sleep(Duration::from_millis(600));
    let after = scheduler.worker_status(id);
    scheduler.shutdown();
    // One cycle for the burst, and at most one more for the wakes that arrived while it ran
    // (they may stand for a change that cycle did not see).
    let cycles = after.cycles - before;
    assert!(
        (1..=2).contains(&cycles),
        "{cycles} cycles for 50 wakes: {after:?}"
    );
    assert_eq!(
        scheduler.worker_status(id).phase,
        scheduler::WorkerPhase::Stopped
    );
}

#[test]
fn housekeeping_purges_old_idempotency_keys_with_no_cluster_configured() {
    let w = world();
    let now = Utc::now();
    let old = now - Span::hours(30);
    w.store
        .write(|c| idempotency::claim(c, "k-old", "fp", old, old - Span::hours(1)).map(|_| ()))
        .unwrap();
    let scheduler = Scheduler::new(Registry::default());
    scheduler.start(
        &w.store,
        Arc::new(SystemClock),
        PollSettings::default(),
        &replica(),
    );
    std::thread::sleep(Duration::from_millis(300));
    scheduler.shutdown();
    let left = w
        .store
        .write(|c| idempotency::purge_older_than(c, now))
        .unwrap();
    assert_eq!(left, 0, "housekeeping had already purged the day-old key");
}
