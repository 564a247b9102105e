//! `gluster-tasks serve`: settings, state, scheduler threads and the HTTP server.

use crate::app;
use crate::auth::{hash_token, Role, TokenSettings};
use crate::cli::ServeArgs;
use crate::config::{ClusterSettings, ConfigError, HostSettings, Settings};
use crate::state::AppState;
use actix_web::HttpServer;
use gluster::{CliDriver, HostCommand};
use persistence::{PersistenceError, Store};
use scheduler::{ClusterContext, Operations, Registry, Scheduler, SystemClock};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use thiserror::Error;
use uuid::Uuid;

/// The service could not start.
#[derive(Debug, Error)]
pub enum ServerError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Persistence(#[from] PersistenceError),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The metrics could not be set up.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
}

/// Name of the simulated cluster of `--demo`.
pub const DEMO_CLUSTER: &str = "demo";

/// The simulated cluster: three hosts, each a `gluster-sim` prefix over one state file.
pub fn demo_cluster(exe: &Path, state_file: &Path, task_secs: f64) -> ClusterSettings {
    ClusterSettings {
        name: DEMO_CLUSTER.to_owned(),
        hosts: (1..=3)
            .map(|n| HostSettings {
                address: simulator::node_address(n),
                command: vec![
                    exe.display().to_string(),
                    "gluster-sim".to_owned(),
                    "--state".to_owned(),
                    state_file.display().to_string(),
                    "--task-secs".to_owned(),
                    task_secs.to_string(),
                    "--node".to_owned(),
                    n.to_string(),
                ],
            })
            .collect(),
    }
}

/// The demo's operator token: `--demo-token` / `GLUSTER_TASKS_DEMO_TOKEN`, or one made up for
/// this process.
pub fn demo_token(args: &ServeArgs) -> String {
    static GENERATED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match &args.demo_token {
        Some(t) => t.clone(),
        None => GENERATED.get_or_init(random_token).clone(),
    }
}

/// The demo's viewer token: `--demo-viewer-token` / `GLUSTER_TASKS_DEMO_VIEWER_TOKEN`, or one
/// made up for this process.
pub fn demo_viewer_token(args: &ServeArgs) -> String {
    static GENERATED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match &args.demo_viewer_token {
        Some(t) => t.clone(),
        None => GENERATED.get_or_init(random_token).clone(),
    }
}

fn random_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Settings from defaults, file, environment and flags; for `--demo`, also the data directory
/// (a temporary one is removed when the returned guard drops).
pub fn settings(args: &ServeArgs) -> Result<(Settings, Option<tempfile::TempDir>), ServerError> {
    let mut s = match &args.config {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    s.apply_env(std::env::vars())?;
    let mut guard = None;
    if args.demo {
        if !(args.demo_task_secs.is_finite() && args.demo_task_secs > 0.0) {
            return Err(ConfigError::Invalid("--demo-task-secs must be positive".into()).into());
        }
        let dir: PathBuf = match &args.data_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                d.clone()
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("gluster-tasks-demo-")
                    .tempdir()?;
                let p = t.path().to_owned();
                guard = Some(t);
                p
            }
        };
        let exe = std::env::current_exe()?;
        s.clusters = vec![demo_cluster(
            &exe,
            &dir.join("gluster-sim.json"),
            args.demo_task_secs,
        )];
        s.database_url = format!("sqlite:{}", dir.join("gluster-tasks.db").display());
        s.poll.active_interval_secs = 1.0;
        s.poll.idle_interval_secs = 2.0;
        s.poll.inventory_interval_secs = 10.0;
        // The demo runs like production: with tokens (printed at start), an operator's and
        // a viewer's.
        s.tokens = vec![
            TokenSettings {
                name: "demo".into(),
                role: Role::Operator,
                sha256: hash_token(&demo_token(args)),
            },
            TokenSettings {
                name: "demo-viewer".into(),
                role: Role::Viewer,
                sha256: hash_token(&demo_viewer_token(args)),
            },
        ];
        if demo_token(args) == demo_viewer_token(args) {
            return Err(ConfigError::Invalid(
                "--demo-token and --demo-viewer-token must differ".into(),
            )
            .into());
        }
    }
    if let Some(b) = &args.bind {
        s.bind = b.clone();
    }
    if let Some(u) = &args.database_url {
        s.database_url = u.clone();
    }
    s.validate()?;
    Ok((s, guard))
}

/// Opens the store and builds the clusters, scheduler and operations (no threads yet).
pub fn state(settings: &Settings) -> Result<AppState, ServerError> {
    let store = Store::open_with(
        &settings.database_url,
        settings.pool_size,
        settings.busy_timeout(),
    )?;
    let metrics = Arc::new(crate::metrics::Metrics::new()?);
    let clusters = settings
        .clusters
        .iter()
        .map(|c| {
            let hosts = c
                .hosts
                .iter()
                .map(|h| HostCommand {
                    address: h.address.clone(),
                    prefix: h.command.clone(),
                })
                .collect();
            ClusterContext::new(
                &c.name,
                Arc::new(
                    CliDriver::new(hosts, settings.gluster_timeout())
                        .with_observer(metrics.clone()),
                ),
            )
        })
        .collect::<Vec<_>>();
    let registry = Registry::new(clusters);
    let scheduler = Arc::new(Scheduler::new(registry.clone()).with_observer(metrics.clone()));
    let ops = Operations::new(
        store.clone(),
        registry,
        scheduler.clone(),
        Arc::new(SystemClock),
    );
    let jobs_cache = crate::job_cache::JobCache::listen(&store, crate::job_cache::CAPACITY);
    Ok(AppState {
        jobs_cache,
        store,
        ops,
        scheduler,
        replica: settings.replica(),
        retry_after_secs: settings.poll.active_interval_secs.ceil().max(1.0) as u64,
        tokens: Arc::new(settings.tokens()?),
        limits: crate::limits::Limits::new(&settings.http),
        ready_window: settings.ready_window(),
        metrics,
    })
}

/// Resolves on the first SIGTERM or SIGINT, after telling the event streams to end (they
/// would otherwise hold the graceful shutdown for its whole timeout).
fn termination(
    closing: Arc<AtomicBool>,
) -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let which = futures_util::future::select(Box::pin(term.recv()), Box::pin(int.recv())).await;
        let name = match which {
            futures_util::future::Either::Left(_) => "SIGTERM",
            futures_util::future::Either::Right(_) => "SIGINT",
        };
        log::info!("{name}: shutting down (event streams end, requests in flight may finish)");
        closing.store(true, Ordering::Release);
    })
}

/// Blocking threads each worker keeps beyond its share of the store's connections: gluster CLI
/// calls run there too (a start can take ~10 s), and must not hold up the worker's store reads.
pub const CLI_THREADS_PER_WORKER: usize = 2;

/// Blocking threads per worker: its share of `pool_size` (so that all workers together have
/// about as many store threads as the store has connections, at least one each), plus
/// [`CLI_THREADS_PER_WORKER`].
pub fn blocking_threads(pool_size: u32, workers: usize) -> usize {
    (pool_size as usize).div_ceil(workers.max(1)).max(1) + CLI_THREADS_PER_WORKER
}

/// Runs the service until SIGINT/SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), ServerError> {
    let (settings, _demo_dir) = settings(&args)?;
    let state = state(&settings)?;
    if settings.clusters.is_empty() {
        log::warn!("no clusters configured: add [[clusters]] to the config file (or use --demo)");
    }
    state.scheduler.start(
        &state.store,
        Arc::new(SystemClock),
        settings.poll_settings(),
        &state.replica,
    );
    log::info!(
        "replica {} (lease {}s)",
        state.replica.id,
        settings.poll.lease_secs
    );
    let for_workers = state.clone();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server = HttpServer::new(move || app::build(Some(for_workers.clone())).0)
        .workers(workers)
        // Blocking work (store calls, gluster CLI calls) runs on each worker's blocking pool;
        // more store threads than the store has connections would only queue for a
        // connection, so together the pools hold about `pool_size` of them, plus a few for
        // gluster calls.
        .worker_max_blocking_threads(blocking_threads(settings.pool_size, workers))
        // actix counts connections per worker.
        .max_connections(settings.http.max_connections.div_ceil(workers))
        // A client that closes its side is gone: its event stream (and the stream's slot) ends
        // at once instead of at the next write, up to a keep-alive interval later.
        .h1_allow_half_closed(false)
        .shutdown_timeout(settings.http.shutdown_timeout_secs)
        .shutdown_signal(termination(state.limits.closing.clone())?);
    let (server, scheme) = match &settings.tls {
        Some(tls) => {
            let config = crate::tls::server_config(tls).map_err(ConfigError::Invalid)?;
            (server.bind_rustls_0_23(&settings.bind, config)?, "https")
        }
        None => (server.bind(&settings.bind)?, "http"),
    };
    for addr in server.addrs() {
        println!(
            "gluster-tasks listening on {scheme}://{addr}/api/v1 (docs: {scheme}://{addr}/docs/)"
        );
        println!("console: {scheme}://{addr}{}", crate::console::PREFIX);
    }
    if args.demo {
        println!(
            "demo: simulated cluster '{DEMO_CLUSTER}' (3 nodes), database {}",
            settings.database_url
        );
        println!("demo: operator token (send it as Authorization: Bearer <token>):");
        println!("export TOKEN={}", demo_token(&args));
        println!(
            "demo: viewer token (reads only; try it in the console to see what a viewer sees):"
        );
        println!("export VIEWER_TOKEN={}", demo_viewer_token(&args));
    }
    let result = server.run().await;
    state.scheduler.shutdown();
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocking_threads_of_all_workers_add_up_to_the_pool() {
        let cli = CLI_THREADS_PER_WORKER;
        assert_eq!(blocking_threads(8, 8), 1 + cli);
        assert_eq!(blocking_threads(8, 2), 4 + cli);
        assert_eq!(blocking_threads(8, 3), 3 + cli);
        assert_eq!(blocking_threads(2, 8), 1 + cli, "at least one per worker");
        assert_eq!(blocking_threads(8, 0), 8 + cli);
    }
}
