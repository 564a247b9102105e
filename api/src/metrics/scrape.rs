//! `GET /metrics`: what the store holds now, set into gauges at each scrape, then every
//! metric in Prometheus's text format.
//!
//! A scrape costs a constant number of queries: the clusters, the job counts (one index-only
//! query), and the tracked jobs of each cluster (the poller's own read).

use crate::error::ApiError;
use crate::state::{blocking, AppState};
use actix_web::{web, HttpResponse};
use chrono::Utc;
use domain::JobStatus;
use persistence::repo::{clusters, jobs};
use persistence::JobRecord;
use prometheus::{Encoder, GaugeVec, IntGaugeVec, Opts, Registry, TextEncoder};

/// The gauges set from the store at each scrape (their old series are dropped first, so an
/// ended job's series disappear).
#[derive(Debug, Clone)]
pub(super) struct Live {
    jobs: IntGaugeVec,
    reachable: IntGaugeVec,
    job_progress: GaugeVec,
    job_seconds_left: GaugeVec,
    node_progress: GaugeVec,
    node_counters: Vec<(NodeCounter, IntGaugeVec)>,
    node_runtime: GaugeVec,
}

#[derive(Debug, Clone, Copy)]
enum NodeCounter {
    Files,
    Bytes,
    Scanned,
    Failures,
    Skipped,
}

const JOB_LABELS: &[&str] = &["job_id", "kind", "cluster", "volume"];
const NODE_LABELS: &[&str] = &["job_id", "kind", "cluster", "volume", "node"];

impl Live {
    pub(super) fn new() -> Result<Self, prometheus::Error> {
        let int = |name: &str, help: &str, labels: &[&str]| {
            IntGaugeVec::new(Opts::new(name, help), labels)
        };
        let float =
            |name: &str, help: &str, labels: &[&str]| GaugeVec::new(Opts::new(name, help), labels);
        let counters = [
            (
                NodeCounter::Files,
                "gluster_tasks_job_node_files",
                "Files a node of a running task moved.",
            ),
            (
                NodeCounter::Bytes,
                "gluster_tasks_job_node_size_bytes",
                "Bytes a node of a running task moved.",
            ),
            (
                NodeCounter::Scanned,
                "gluster_tasks_job_node_scanned",
                "Files a node of a running task scanned.",
            ),
            (
                NodeCounter::Failures,
                "gluster_tasks_job_node_failures",
                "Files a node of a running task failed to move.",
            ),
            (
                NodeCounter::Skipped,
                "gluster_tasks_job_node_skipped",
                "Files a node of a running task skipped.",
            ),
        ];
        Ok(Self {
            jobs: int("gluster_tasks_jobs", "Jobs in the store, by kind and state.", &["kind", "status"])?,
            reachable: int("gluster_tasks_cluster_reachable", "1 when the cluster's last poll cycle succeeded, else 0.", &["cluster"])?,
            job_progress: float("gluster_tasks_job_progress_ratio", "How far a running task is, 0 to 1 (absent while it cannot be estimated).", JOB_LABELS)?,
            job_seconds_left: float("gluster_tasks_job_seconds_left", "Seconds until a running task should end, from its estimate (absent without one).", JOB_LABELS)?,
            node_progress: float("gluster_tasks_job_node_progress_ratio", "How far a node of a running task is, 0 to 1 (absent while it cannot be estimated).", NODE_LABELS)?,
            node_counters: counters
                .into_iter()
                .map(|(c, name, help)| Ok((c, int(name, help, NODE_LABELS)?)))
                .collect::<Result<_, prometheus::Error>>()?,
            node_runtime: float("gluster_tasks_job_node_runtime_seconds", "How long a node's task process of a running task has run.", NODE_LABELS)?,
        })
    }

    pub(super) fn register(&self, r: &Registry) -> Result<(), prometheus::Error> {
        r.register(Box::new(self.jobs.clone()))?;
        r.register(Box::new(self.reachable.clone()))?;
        r.register(Box::new(self.job_progress.clone()))?;
        r.register(Box::new(self.job_seconds_left.clone()))?;
        r.register(Box::new(self.node_progress.clone()))?;
        for (_, g) in &self.node_counters {
            r.register(Box::new(g.clone()))?;
        }
        r.register(Box::new(self.node_runtime.clone()))?;
        Ok(())
    }

    fn set(&self, now: &Snapshot) {
        self.jobs.reset();
        for (kind, status, n) in &now.counts {
            self.jobs
                .with_label_values(&[kind.as_str(), status.as_str()])
                .set(*n);
        }
        self.reachable.reset();
        for (cluster, up) in &now.clusters {
            self.reachable
                .with_label_values(&[cluster.as_str()])
                .set(i64::from(*up));
        }
        for g in [
            &self.job_progress,
            &self.job_seconds_left,
            &self.node_progress,
            &self.node_runtime,
        ] {
            g.reset();
        }
        for (_, g) in &self.node_counters {
            g.reset();
        }
        let at = Utc::now();
        for (cluster, r) in &now.running {
            let j = &r.job;
            let id = j.id.to_string();
            let job = [
                id.as_str(),
                j.kind.as_str(),
                cluster.as_str(),
                j.volume_name.as_str(),
            ];
            if let Some(p) = j.progress.percent {
                self.job_progress.with_label_values(&job).set(p / 100.0);
            }
            if let Some(end) = j.progress.estimated_end_at {
                let left = (end - at).num_milliseconds() as f64 / 1000.0;
                self.job_seconds_left
                    .with_label_values(&job)
                    .set(left.max(0.0));
            }
            for (i, n) in r.nodes.iter().enumerate() {
                let node = [job[0], job[1], job[2], job[3], n.name.as_str()];
                for (c, g) in &self.node_counters {
                    let v = match c {
                        NodeCounter::Files => n.files,
                        NodeCounter::Bytes => n.size_bytes,
                        NodeCounter::Scanned => n.scanned,
                        NodeCounter::Failures => n.failures,
                        NodeCounter::Skipped => n.skipped,
                    };
                    g.with_label_values(&node).set(v);
                }
                self.node_runtime
                    .with_label_values(&node)
                    .set(n.runtime_secs);
                if let Some(p) = r.estimates.get(i).and_then(|e| e.percent) {
                    self.node_progress.with_label_values(&node).set(p / 100.0);
                }
            }
        }
    }
}

/// What a scrape reads from the store.
struct Snapshot {
    counts: Vec<(domain::TaskKind, JobStatus, i64)>,
    clusters: Vec<(String, bool)>,
    running: Vec<(String, JobRecord)>,
}

/// The handler of [`super::PATH`].
pub async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let now = blocking(move || {
        Ok(store.read(|c| {
            let counts = jobs::counts(c)?;
            let mut running = Vec::new();
            let mut reach = Vec::new();
            for cl in clusters::list(c)? {
                for r in jobs::tracked(c, cl.id)? {
                    if r.job.status == JobStatus::Running {
                        running.push((cl.name.clone(), r));
                    }
                }
                reach.push((
                    cl.name,
                    cl.last_poll_at.is_some() && cl.last_error.is_none(),
                ));
            }
            Ok(Snapshot {
                counts,
                clusters: reach,
                running,
            })
        })?)
    })
    .await?;
    let metrics = &state.metrics;
    let families = {
        let _one = metrics.scraping.lock().unwrap_or_else(|p| p.into_inner());
        metrics.live.set(&now);
        metrics.registry.gather()
    };
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut out)
        .map_err(|e| ApiError::Internal(format!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out))
}
