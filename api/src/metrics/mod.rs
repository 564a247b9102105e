//! Prometheus metrics at `/metrics`: what the service does (gluster calls, poll cycles, HTTP
//! requests: counted as they happen), what it holds (jobs by state, the progress of running
//! tasks, clusters' reachability: read from the store at each scrape), and the process.
//!
//! Labels are bounded: gluster commands by their fixed names ([`gluster::observe`]), HTTP
//! requests by the route pattern that matched, never the raw path; per-job series exist only
//! for jobs that are running.

mod http;
mod scrape;

pub use http::count_requests;
pub use scrape::scrape;

use gluster::{CallObserver, CallOutcome};
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use scheduler::{CycleObserver, CycleOutcome};
use std::time::Duration;

/// Where the metrics are served.
pub const PATH: &str = "/metrics";

/// The buckets of both duration histograms (gluster calls, poll cycles), in seconds: a CLI
/// call and a cycle span the same range, from a quick `volume info` to a minute's timeout.
const SECONDS_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Every metric of the service, in one registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    gluster_calls: IntCounterVec,
    gluster_call_seconds: HistogramVec,
    poll_cycle_seconds: HistogramVec,
    http_requests: IntCounterVec,
    live: scrape::Live,
    /// One scrape at a time: a scrape resets and refills the gauges before it reads them.
    scraping: std::sync::Arc<std::sync::Mutex<()>>,
}

/// A metric could not be registered (a programming error: names clash).
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// A fresh registry with every metric, and the process collector where the platform has one.
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let gluster_calls = IntCounterVec::new(
            Opts::new(
                "gluster_tasks_gluster_calls_total",
                "Invocations of the gluster CLI, per host tried, by command and how they ended.",
            ),
            &["command", "outcome"],
        )?;
        let gluster_call_seconds = HistogramVec::new(
            HistogramOpts::new(
                "gluster_tasks_gluster_call_seconds",
                "How long invocations of the gluster CLI took, by command.",
            )
            .buckets(SECONDS_BUCKETS.to_vec()),
            &["command"],
        )?;
        let poll_cycle_seconds = HistogramVec::new(
            HistogramOpts::new(
                "gluster_tasks_poll_cycle_seconds",
                "How long the scheduler's poll cycles took, by cluster and how they ended.",
            )
            .buckets(SECONDS_BUCKETS.to_vec()),
            &["cluster", "outcome"],
        )?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "gluster_tasks_http_requests_total",
                "HTTP requests answered, by method, route pattern and status.",
            ),
            &["method", "route", "status"],
        )?;
        registry.register(Box::new(gluster_calls.clone()))?;
        registry.register(Box::new(gluster_call_seconds.clone()))?;
        registry.register(Box::new(poll_cycle_seconds.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        let live = scrape::Live::new()?;
        live.register(&registry)?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Self {
            registry,
            gluster_calls,
            gluster_call_seconds,
            poll_cycle_seconds,
            http_requests,
            live,
            scraping: std::sync::Arc::default(),
        })
    }

    /// Counts one answered HTTP request.
    pub fn http_request(&self, method: &str, route: &str, status: u16) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
    }
}

impl CallObserver for Metrics {
    fn observe(&self, command: &'static str, outcome: CallOutcome, elapsed: Duration) {
        self.gluster_calls
            .with_label_values(&[command, outcome.as_str()])
            .inc();
        self.gluster_call_seconds
            .with_label_values(&[command])
            .observe(elapsed.as_secs_f64());
    }
}

impl CycleObserver for Metrics {
    fn cycle(&self, cluster: &str, outcome: CycleOutcome, took: Duration) {
        self.poll_cycle_seconds
            .with_label_values(&[cluster, outcome.as_str()])
            .observe(took.as_secs_f64());
    }
}
