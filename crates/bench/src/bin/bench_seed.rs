//! `bench-seed`: writes the benchmark's simulated cluster and fills a store with ended jobs,
//! then prints (and with `--facts FILE` writes) what the driver needs as one JSON object:
//! `{"jobs", "volumes", "job_id", "volume_id", "deep_cursor", "start_volume_id", "samples",
//! "seconds"}` (`start_volume_id`: the volume `dist`, which runs nothing).

use chrono::{Duration, DurationRound, Utc};
use clap::Parser;
use persistence::Store;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options.
#[derive(Debug, Parser)]
struct Args {
    /// The store: `sqlite:PATH` or `postgres://…` (migrated on open).
    #[arg(long)]
    database_url: String,
    /// Write the simulator's state file here.
    #[arg(long)]
    sim_state: PathBuf,
    /// Volumes beyond the simulator's default four.
    #[arg(long, default_value_t = 1000)]
    extra_volumes: usize,
    /// Extra volumes with a rebalance running.
    #[arg(long, default_value_t = 50)]
    running: usize,
    /// How long the running rebalances last, in seconds.
    #[arg(long, default_value_t = 86_400.0)]
    task_secs: f64,
    /// Ended jobs to write.
    #[arg(long, default_value_t = 100_000)]
    jobs: usize,
    /// How long ago (seconds) the newest job was created.
    #[arg(long, default_value_t = 3_600)]
    newest_age_secs: i64,
    /// How many days the history spans (the oldest job was created this long before the newest).
    #[arg(long, default_value_t = 25.0)]
    span_days: f64,
    /// Also give the cursor that continues `GET /jobs` after this many jobs.
    #[arg(long)]
    cursor_depth: Option<usize>,
    /// The cluster's configured name (its id is derived from it).
    #[arg(long, default_value = "bench")]
    cluster: String,
    /// PostgreSQL: connections writing at once.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Write the facts here too.
    #[arg(long)]
    facts: Option<PathBuf>,
}

fn run(args: &Args) -> Result<serde_json::Value, String> {
    let began = std::time::Instant::now();
    let volumes = bench::sim::write_state(
        &args.sim_state,
        args.extra_volumes,
        args.running,
        args.task_secs,
    )?;
    let store =
        Store::open(&args.database_url, (args.threads + 1) as u32).map_err(|e| e.to_string())?;
    let now = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .map_err(|e| e.to_string())?;
    let newest = now - Duration::seconds(args.newest_age_secs);
    let span_ms = (args.span_days * 86_400_000.0) as i64;
    let spacing = Duration::milliseconds((span_ms / args.jobs.max(1) as i64).max(1_000));
    let cluster_id = scheduler::ClusterContext::id_for(&args.cluster);
    let inventory = bench::sim::inventory(&args.sim_state, cluster_id)?;
    let plan = bench::seed::Plan {
        count: args.jobs,
        newest,
        spacing,
        threads: args.threads,
    };
    let seeded = bench::seed::seed(&store, &args.cluster, &inventory, &volumes, plan)
        .map_err(|e| e.to_string())?;
    let start_volume = volumes.iter().find(|v| v.name == "dist").map(|v| v.id);
    let deep_cursor = match args.cursor_depth {
        Some(d) => {
            bench::seed::cursor_after(&store, newest, spacing, d).map_err(|e| e.to_string())?
        }
        None => None,
    };
    Ok(json!({
        "jobs": seeded.jobs,
        "volumes": volumes.len(),
        "job_id": seeded.job_id,
        "volume_id": seeded.volume_id,
        "deep_cursor": deep_cursor,
        "start_volume_id": start_volume,
        "samples": seeded.samples,
        "seconds": began.elapsed().as_secs_f64(),
    }))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(facts) => {
            println!("{facts}");
            if let Some(path) = &args.facts {
                if let Err(e) = std::fs::write(path, facts.to_string()) {
                    eprintln!("bench-seed: {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-seed: {e}");
            ExitCode::FAILURE
        }
    }
}
