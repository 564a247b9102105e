//! `gluster-sim`: answers gluster 10.3 command lines with gluster 10.3 XML.
//!
//! The simulated cluster lives in a JSON state file, shared by every invocation under a file
//! lock: three peers, volumes of several types, and tasks whose progress advances with wall
//! time. The service reaches it through its normal CLI driver by using it as the command prefix
//! (`gluster-sim --state FILE --node N` then gluster's own arguments), so there is no second
//! code path.
//!
//! Options before gluster's arguments: `--state FILE` (default `$GLUSTER_SIM_STATE` or
//! `./gluster-sim.json`), `--node N` (1-based: which peer answers, it calls itself
//! `localhost`), `--task-secs S` (how long a new task runs, default 30), `--call-log FILE`
//! (append one line per command: time, the caller's pid, the node, the arguments — tests use
//! it to see which service replica asked what).
//!
//! The model: every brick sits on its own filesystem (`/dev/mapper/sim-VOL-bN`, 100 GiB,
//! xfs or ext4, block size 4096) holding files, directories and data (`contents.rs` gives
//! the used bytes and inodes; `volume status VOL|all detail` reports them, `usage.rs`). At a
//! task's start each node gets a plan from the bricks' contents (`plan.rs`): what it scans
//! (`lookups`: the files of its bricks, the nodes of a replica set splitting the set's),
//! what it moves (a rebalance: the files above the sets' average; a remove-brick: every file
//! of the removed sets), and how long that takes at its constant rate (speeds 1, 0.85, 0.7 by
//! peer; the slowest node ends at `--task-secs`). Counters and brick figures follow the plan
//! with the node's run time; a stop or a commit writes the moves into the bricks. Knobs
//! `stuck_tasks` (`progress.rs`) and `pause_secs`/`paused` (`pause.rs`) hold a node still.

mod commands;
mod contents;
mod generate;
mod inventory;
mod pause;
mod plan;
mod progress;
mod rebalance;
mod remove_brick;
mod report;
mod slow_start;
mod state;
mod usage;
mod xml;

pub use pause::Pause;
pub use plan::{Move, NodePlan};
pub use state::{FrozenNode, PeerFault, SimBrick, SimState, SimTask, SimVolume};

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The host name of simulated node `n` (1-based).
pub fn node_address(n: usize) -> String {
    format!("server{n}")
}

/// Options of one invocation.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The state file.
    pub state: PathBuf,
    /// Which node answers (0-based).
    pub node: usize,
    /// Duration of tasks started by this call.
    pub task_secs: f64,
    /// Where to append a line for each command, if anywhere.
    pub call_log: Option<PathBuf>,
}

/// What a command printed and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code.
    pub code: u8,
}

/// Splits simulator options from gluster's arguments.
pub fn parse_options(args: &[String]) -> Result<(SimOptions, Vec<String>), String> {
    let mut opts = SimOptions {
        state: std::env::var_os("GLUSTER_SIM_STATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("gluster-sim.json")),
        node: 0,
        task_secs: 30.0,
        call_log: None,
    };
    let mut rest = args.iter();
    let mut gluster = Vec::new();
    while let Some(a) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--state" => opts.state = PathBuf::from(value("--state")?),
            "--call-log" => opts.call_log = Some(PathBuf::from(value("--call-log")?)),
            "--node" => {
                let n: usize = value("--node")?
                    .parse()
                    .map_err(|_| "--node takes a number".to_owned())?;
                if n == 0 {
                    return Err("--node counts from 1".into());
                }
                opts.node = n - 1;
            }
            "--task-secs" => {
                opts.task_secs = value("--task-secs")?
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| "--task-secs takes a positive number".to_owned())?
            }
            _ => {
                gluster.push(a.clone());
                gluster.extend(rest.cloned());
                break;
            }
        }
    }
    Ok((opts, gluster))
}

/// Runs one simulated gluster command.
pub fn run(opts: &SimOptions, gluster_args: &[String]) -> Reply {
    commands::execute(opts, gluster_args)
}

/// The `gluster-sim` program: parses `args` (without the program name), prints, returns the
/// exit code.
pub fn main_with_args(args: &[String]) -> ExitCode {
    let reply = match parse_options(args) {
        Ok((opts, gluster)) => run(&opts, &gluster),
        Err(e) => Reply {
            stdout: String::new(),
            stderr: format!("gluster-sim: {e}\n"),
            code: 2,
        },
    };
    let _ = std::io::stdout().write_all(reply.stdout.as_bytes());
    let _ = std::io::stderr().write_all(reply.stderr.as_bytes());
    ExitCode::from(reply.code)
}
