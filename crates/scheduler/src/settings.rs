//! Poller timing.

use std::time::Duration;

/// How often and how patiently the poller works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    /// Interval between cycles while any task runs on the cluster.
    pub active_interval: Duration,
    /// Interval between cycles while nothing runs.
    pub idle_interval: Duration,
    /// Interval between inventory refreshes (`pool list`, `volume info`).
    pub inventory_interval: Duration,
    /// Longest wait after failing cycles (the wait doubles from the active interval).
    pub max_backoff: Duration,
    /// How long a `pending` job may wait for its task to show up in gluster before it fails.
    pub pending_timeout: Duration,
    /// Cycles in a row in which a followed task must be missing (not listed, and its status
    /// query not answering for it) before its job can become `unknown`.
    pub vanish_misses: u32,
    /// How long a followed task must have been missing, at least, before its job becomes
    /// `unknown` (oVirt waits 10 minutes).
    pub vanish_grace: Duration,
    /// How long an ended job (succeeded, failed, stopped) is kept after it ended; the poller
    /// housekeeping thread purges older ones every inventory interval (see
    /// [`crate::Housekeeping`]).
    pub job_retention: Duration,
    /// How long a task gluster reports in progress may show no movement (no counter, no run
    /// time) before its job is marked stalled.
    pub stall_after: Duration,
    /// The window of recent samples a node's rate is measured over (the time left follows a
    /// change of pace within it).
    pub progress_window: Duration,
    /// How long the samples in the window must span before a rate and a time left are given.
    pub progress_min_span: Duration,
    /// Most polls of samples kept per job; older ones are thinned to stay within it.
    pub history_polls: usize,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            active_interval: Duration::from_secs(2),
            idle_interval: Duration::from_secs(10),
            inventory_interval: Duration::from_secs(60),
            max_backoff: Duration::from_secs(60),
            pending_timeout: Duration::from_secs(120),
            vanish_misses: 3,
            vanish_grace: Duration::from_secs(600),
            job_retention: Duration::from_secs(30 * 24 * 3600),
            stall_after: Duration::from_secs(15 * 60),
            progress_window: Duration::from_secs(300),
            progress_min_span: Duration::from_secs(10),
            history_polls: 300,
        }
    }
}

impl PollSettings {
    /// The estimator's thresholds.
    pub fn estimate_rules(&self) -> domain::estimate::EstimateRules {
        domain::estimate::EstimateRules {
            window: self.progress_window,
            min_span: self.progress_min_span,
            stall_after: self.stall_after,
        }
    }
}
