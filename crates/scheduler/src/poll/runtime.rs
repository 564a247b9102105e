//! The runtime: one thread per cluster that holds the cluster's lease, runs cycles at the
//! right pace (short while tasks run, longer when idle, backing off after failures), answers
//! wake-ups (coalesced), and shows what it is doing ([`WorkerStatus`]).

use super::bell::{Bell, Ring};
use super::cycle::ClusterPoller;
use super::observe::{CycleObserver, CycleOutcome};
use crate::housekeeping::Housekeeping;
use crate::registry::{Registry, Wake};
use crate::{Clock, ClusterContext, LeaseKeeper, PollError, PollSettings, Replica};
use chrono::{DateTime, Utc};
use persistence::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What a cluster's poller thread is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerPhase {
    /// Not started (or stopped).
    Stopped,
    /// Another replica holds the cluster's lease and polls it.
    Standby,
    /// Waiting for its next cycle.
    Idle,
    /// Running a cycle.
    Busy,
    /// Waiting longer than usual after failed cycles.
    BackingOff,
}

impl WorkerPhase {
    /// Stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerPhase::Stopped => "stopped",
            WorkerPhase::Standby => "standby",
            WorkerPhase::Idle => "idle",
            WorkerPhase::Busy => "busy",
            WorkerPhase::BackingOff => "backing_off",
        }
    }
}

/// The observable state of a cluster's poller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStatus {
    /// What it does now.
    pub phase: WorkerPhase,
    /// When its last cycle ended.
    pub last_cycle_at: Option<DateTime<Utc>>,
    /// How long its last cycle took, in milliseconds.
    pub last_cycle_ms: Option<u64>,
    /// Cycles run since the process started.
    pub cycles: u64,
    /// Cycles failed in a row.
    pub failures: u32,
}

impl Default for WorkerStatus {
    fn default() -> Self {
        Self {
            phase: WorkerPhase::Stopped,
            last_cycle_at: None,
            last_cycle_ms: None,
            cycles: 0,
            failures: 0,
        }
    }
}

type Statuses = Arc<Mutex<HashMap<Uuid, WorkerStatus>>>;

fn edit(statuses: &Statuses, id: Uuid, f: impl FnOnce(&mut WorkerStatus)) {
    let mut map = statuses.lock().unwrap_or_else(|p| p.into_inner());
    f(map.entry(id).or_default());
}

struct Worker {
    bell: Arc<Bell>,
    thread: Option<JoinHandle<()>>,
}

/// The configured clusters' poller threads and the housekeeping thread.
pub struct Scheduler {
    registry: Registry,
    workers: Mutex<HashMap<Uuid, Worker>>,
    housekeeping: Mutex<Option<Worker>>,
    statuses: Statuses,
    observer: Option<Arc<dyn CycleObserver>>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("clusters", &self.registry.len())
            .finish()
    }
}

impl Scheduler {
    /// A scheduler over the clusters of `registry` (no threads yet).
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            workers: Mutex::new(HashMap::new()),
            housekeeping: Mutex::new(None),
            statuses: Arc::default(),
            observer: None,
        }
    }

    /// Tells `observer` about every poll cycle of every cluster.
    pub fn with_observer(mut self, observer: Arc<dyn CycleObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The clusters it polls.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// What the poller of `cluster` is doing.
    pub fn worker_status(&self, cluster: Uuid) -> WorkerStatus {
        let map = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&cluster).cloned().unwrap_or_default()
    }

    /// Starts one poller thread per cluster, and the housekeeping thread (also with no cluster
    /// configured). With several replicas on one database, each poller polls only while its
    /// replica holds the cluster's lease (see [`LeaseKeeper`]).
    pub fn start(
        &self,
        store: &Store,
        clock: Arc<dyn Clock>,
        settings: PollSettings,
        replica: &Replica,
    ) {
        let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        let total = self.registry.len();
        for cluster in self.registry.all() {
            if workers.contains_key(&cluster.id) {
                continue;
            }
            let keeper = LeaseKeeper::new(
                store.clone(),
                clock.clone(),
                replica.clone(),
                cluster.id,
                total,
            );
            let poller =
                ClusterPoller::new(cluster.clone(), store.clone(), clock.clone(), settings)
                    .with_lease(keeper.clone());
            let bell = Arc::new(Bell::default());
            let run = Run {
                poller,
                keeper,
                settings,
                cluster: cluster.clone(),
                bell: bell.clone(),
                statuses: self.statuses.clone(),
                clock: clock.clone(),
                observer: self.observer.clone(),
            };
            let spawned = thread::Builder::new()
                .name(format!("poll-{}", cluster.name))
                .spawn(move || run.poll_loop());
            match spawned {
                Ok(thread) => {
                    workers.insert(
                        cluster.id,
                        Worker {
                            bell,
                            thread: Some(thread),
                        },
                    );
                }
                Err(e) => log::error!("cannot start the poller of {}: {e}", cluster.name),
            }
        }
        let mut hk = self.housekeeping.lock().unwrap_or_else(|p| p.into_inner());
        if hk.is_none() {
            let ids = self.registry.all().iter().map(|c| c.id).collect();
            let keeper = Housekeeping::new(store.clone(), clock, settings.job_retention, ids);
            let bell = Arc::new(Bell::default());
            let b = bell.clone();
            let every = settings.inventory_interval;
            match thread::Builder::new()
                .name("housekeeping".into())
                .spawn(move || keeper.run(&b, every))
            {
                Ok(t) => {
                    *hk = Some(Worker {
                        bell,
                        thread: Some(t),
                    })
                }
                Err(e) => log::error!("cannot start housekeeping: {e}"),
            }
        }
    }

    /// Stops every thread and waits for it.
    pub fn shutdown(&self) {
        let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<Worker> = workers.drain().map(|(_, w)| w).collect();
        let mut hk = self.housekeeping.lock().unwrap_or_else(|p| p.into_inner());
        all.extend(hk.take());
        for w in &all {
            w.bell.stop();
        }
        for mut w in all {
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
}

impl Wake for Scheduler {
    fn wake(&self, cluster: Uuid) {
        let workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = workers.get(&cluster) {
            w.bell.wake();
        }
    }
}

/// Everything a poller thread owns.
struct Run {
    poller: ClusterPoller,
    keeper: LeaseKeeper,
    settings: PollSettings,
    cluster: ClusterContext,
    bell: Arc<Bell>,
    statuses: Statuses,
    clock: Arc<dyn Clock>,
    observer: Option<Arc<dyn CycleObserver>>,
}

impl Run {
    fn set_phase(&self, phase: WorkerPhase) {
        edit(&self.statuses, self.cluster.id, |s| s.phase = phase);
    }

    /// While this replica holds the cluster's lease, a cycle every interval; the lease is
    /// renewed at least three times per lease length, cycle or not. A wake brings the next
    /// cycle forward, but never closer than a quarter of the active interval to the end of the
    /// last one: a burst of starts makes one cycle, not one each. On stop, the lease is given
    /// up so another replica takes over at once.
    fn poll_loop(mut self) {
        let name = self.cluster.name.clone();
        let renew_every = self.keeper.replica().lease / 3;
        let wake_gap = self.settings.active_interval / 4;
        let mut failures: u32 = 0;
        let mut holding = false;
        let mut next_cycle = Instant::now();
        let mut last_end = Instant::now()
            .checked_sub(wake_gap)
            .unwrap_or_else(Instant::now);
        self.set_phase(WorkerPhase::Standby);
        loop {
            let held = match self.keeper.hold() {
                Ok(h) => h,
                Err(e) => {
                    log::warn!("cluster {name}: cannot take or renew the lease: {e}");
                    false
                }
            };
            if held != holding {
                log::info!(
                    "cluster {name}: replica {} {} polling",
                    self.keeper.replica().id,
                    if held { "starts" } else { "stops" }
                );
                holding = held;
                next_cycle = Instant::now();
                self.set_phase(if held {
                    WorkerPhase::Idle
                } else {
                    WorkerPhase::Standby
                });
            }
            if held && Instant::now() >= next_cycle {
                let wait = self.one_cycle(&mut failures, &mut holding);
                last_end = Instant::now();
                next_cycle = last_end + wait;
            }
            let until_cycle = next_cycle.saturating_duration_since(Instant::now());
            let sleep = if held {
                until_cycle.min(renew_every)
            } else {
                renew_every
            };
            match self.bell.wait(sleep) {
                Ring::Wake => {
                    next_cycle = next_cycle.min((last_end + wake_gap).max(Instant::now()))
                }
                Ring::Timeout => {}
                Ring::Stop => break,
            }
        }
        self.keeper.release();
        self.set_phase(WorkerPhase::Stopped);
    }

    /// Runs one cycle, records it, and returns the wait before the next one.
    fn one_cycle(&mut self, failures: &mut u32, holding: &mut bool) -> Duration {
        let name = &self.cluster.name;
        self.set_phase(WorkerPhase::Busy);
        let began = Instant::now();
        let result = self.poller.run_cycle();
        let elapsed = began.elapsed();
        let took = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        if let Some(o) = &self.observer {
            let outcome = match &result {
                Ok(_) => CycleOutcome::Ok,
                Err(PollError::LeaseLost) => CycleOutcome::LeaseLost,
                Err(_) => CycleOutcome::Failed,
            };
            o.cycle(name, outcome, elapsed);
        }
        let (wait, phase) = match result {
            Ok(r) => {
                if *failures > 0 {
                    log::info!("cluster {name}: polling recovered");
                }
                *failures = 0;
                let wait = if r.running > 0 {
                    self.settings.active_interval
                } else {
                    self.settings.idle_interval
                };
                (wait, WorkerPhase::Idle)
            }
            Err(PollError::LeaseLost) => {
                *holding = false;
                (Duration::ZERO, WorkerPhase::Standby)
            }
            Err(e) => {
                *failures = failures.saturating_add(1);
                let wait = backoff(self.settings, *failures);
                log::warn!(
                    "cluster {name}: poll cycle failed ({failures} in a row), next try in {wait:?}: {e}"
                );
                (wait, WorkerPhase::BackingOff)
            }
        };
        let at = self.clock.now();
        let failed = *failures;
        edit(&self.statuses, self.cluster.id, |s| {
            s.phase = phase;
            s.last_cycle_at = Some(at);
            s.last_cycle_ms = Some(took);
            s.cycles += 1;
            s.failures = failed;
        });
        wait
    }
}

/// The wait after `failures` failed cycles in a row: doubling from the active interval.
pub fn backoff(settings: PollSettings, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(16));
    settings
        .active_interval
        .saturating_mul(factor)
        .min(settings.max_backoff)
}
