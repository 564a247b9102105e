//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// gluster-tasks: runs GlusterFS rebalance and remove-brick tasks as tracked jobs.
#[derive(Debug, Parser)]
#[command(name = "gluster-tasks", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the REST service and its scheduler.
    Serve(ServeArgs),
    /// Print the OpenAPI document (YAML) generated from the routes.
    Openapi,
    /// Read a token from stdin and print its SHA-256, for `[[tokens]]` in the config file.
    HashToken,
    /// Run the gluster simulator (`gluster-sim`) with the given arguments; used by `--demo`.
    #[command(name = "gluster-sim", hide = true, disable_help_flag = true)]
    GlusterSim {
        /// Simulator options, then gluster's own arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Options of `serve`; each also comes from the config file and `GLUSTER_TASKS_*` variables.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML config file.
    #[arg(long, env = "GLUSTER_TASKS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub bind: Option<String>,
    /// `sqlite:PATH` or `postgres://…`.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Demo: a simulated 3-node cluster and a fresh SQLite file; no gluster needed.
    #[arg(long)]
    pub demo: bool,
    /// Demo: how long a simulated task runs, in seconds.
    #[arg(long, env = "GLUSTER_TASKS_DEMO_TASK_SECS", default_value_t = 30.0)]
    pub demo_task_secs: f64,
    /// Demo: the operator token to accept (default: a new random one, printed at start).
    #[arg(long, env = "GLUSTER_TASKS_DEMO_TOKEN", hide_env_values = true)]
    pub demo_token: Option<String>,
    /// Demo: the viewer (read-only) token to accept (default: a new random one, printed at
    /// start).
    #[arg(long, env = "GLUSTER_TASKS_DEMO_VIEWER_TOKEN", hide_env_values = true)]
    pub demo_viewer_token: Option<String>,
    /// Demo: keep the simulator state and database in this directory (default: a temporary one).
    #[arg(long, env = "GLUSTER_TASKS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}
