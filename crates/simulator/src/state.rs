//! The simulated cluster, kept in a JSON file under an exclusive lock.

use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Seconds since the epoch, as the simulator measures task progress.
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A peer of the simulated pool.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimPeer {
    /// Peer UUID.
    pub uuid: Uuid,
    /// Host name.
    pub hostname: String,
    /// glusterd answers (false: calls on this node fail like a stopped glusterd).
    #[serde(default = "yes")]
    pub up: bool,
    /// Test knob: how this node's CLI misbehaves.
    #[serde(default)]
    pub fault: Option<PeerFault>,
    /// Test knob: the next this many commands on this node are refused with glusterd's lock
    /// contention error ("Another transaction is in progress", opErrno 30802).
    #[serde(default)]
    pub busy_calls: u32,
    /// Test knob: this node's row of every running task stays "in progress" forever, its
    /// counters and runtime frozen where they were when the simulator first saw the knob (at
    /// zero for a task started afterwards), as glusterd reports a node whose rebalance
    /// process exited without telling it. Clearing the knob does not revive a frozen row;
    /// tasks started after it is cleared run normally.
    #[serde(default)]
    pub stuck_tasks: bool,
    /// Test knob: pause this node's rows of running tasks for this many seconds, once. The
    /// pause begins when the simulator first sees the knob with a row of the node running
    /// (at once for a task started by that very command), which consumes it (back to 0).
    /// Meanwhile the row reports "in progress" with its counters and runtime still; then it
    /// resumes where it was and ends later by the pause.
    #[serde(default)]
    pub pause_secs: f64,
    /// Test knob: while true, this node's rows of running tasks are paused as with
    /// `pause_secs`; the pause ends when the simulator first sees the knob cleared.
    #[serde(default)]
    pub paused: bool,
}

/// A misbehaving node, for resilience tests (`"fault": "hang"` in the state file).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PeerFault {
    /// The CLI never answers (the caller's timeout must kill it).
    Hang,
    /// The CLI prints bytes that are not XML and exits 0.
    Garbage,
    /// The CLI prints the first half of its XML answer (as if cut off) and exits 0.
    Truncated,
}

fn yes() -> bool {
    true
}

/// A brick: the index of its peer, its path, and what its own filesystem holds when no task
/// moves files (a task's moves so far are added on top, see `usage.rs`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimBrick {
    /// Index into `peers`.
    pub peer: usize,
    /// Absolute path.
    pub path: String,
    /// Regular files on the brick.
    #[serde(default)]
    pub files: i64,
    /// Directories on the brick (gluster creates every directory on every brick).
    #[serde(default)]
    pub dirs: i64,
    /// Bytes of file data.
    #[serde(default)]
    pub data_bytes: i64,
    /// Size of the brick's filesystem, in bytes.
    #[serde(default = "crate::contents::default_fs_size")]
    pub size_total: i64,
    /// Its filesystem type: `xfs` or `ext4`.
    #[serde(default = "crate::contents::default_fs_name")]
    pub fs_name: String,
}

impl SimBrick {
    /// A brick of `peer` at `path` holding `files` files of `avg_kib` KiB on average and
    /// `dirs` directories, on a 100 GiB filesystem of type `fs_name`.
    pub fn with_contents(
        peer: usize,
        path: &str,
        files: i64,
        dirs: i64,
        avg_kib: i64,
        fs_name: &str,
    ) -> SimBrick {
        SimBrick {
            peer,
            path: path.to_owned(),
            files,
            dirs,
            data_bytes: files * avg_kib * 1024,
            size_total: crate::contents::default_fs_size(),
            fs_name: fs_name.to_owned(),
        }
    }
}

/// A task (rebalance or remove-brick) and how it progresses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimTask {
    /// Task id.
    pub id: Uuid,
    /// Fix-layout only.
    pub fix_layout: bool,
    /// When it started (seconds since the epoch).
    pub started_at: f64,
    /// How long it runs.
    pub duration: f64,
    /// When it was stopped, if it was.
    pub stopped_at: Option<f64>,
    /// Peers (indices) that run a process for it.
    pub nodes: Vec<usize>,
    /// Remove-brick: the bricks being removed.
    #[serde(default)]
    pub bricks: Vec<String>,
    /// Files per node that fail to migrate (reported once the node completes).
    #[serde(default)]
    pub failures: i64,
    /// When every node's process fails (seconds since the epoch): set at start when a brick
    /// of the volume is down. Until then the nodes report "in progress" with zero counters.
    #[serde(default)]
    pub fails_at: Option<f64>,
    /// Nodes whose row froze "in progress" (knob `stuck_tasks`), and when.
    #[serde(default)]
    pub frozen: Vec<FrozenNode>,
    /// What each node scans and migrates, and how long it runs (set at start from the
    /// bricks' contents).
    #[serde(default)]
    pub plan: Vec<crate::plan::NodePlan>,
    /// Pauses of nodes' rows (knobs `pause_secs`, `paused`).
    #[serde(default)]
    pub pauses: Vec<crate::pause::Pause>,
    /// Its moves so far are written into the bricks' contents: they no longer count on top.
    #[serde(default)]
    pub settled: bool,
}

/// A node whose row of a task stays "in progress" with the counters it had at `at`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct FrozenNode {
    /// Index into `peers`.
    pub peer: usize,
    /// When its counters stopped (seconds since the epoch).
    pub at: f64,
}

/// A volume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimVolume {
    /// Name.
    pub name: String,
    /// Volume UUID.
    pub id: Uuid,
    /// gluster's `typeStr`.
    pub type_str: String,
    /// `Created`, `Started` or `Stopped`.
    pub status_str: String,
    /// Bricks per replica set (1: none).
    pub replica: usize,
    /// Bricks in order.
    pub bricks: Vec<SimBrick>,
    /// The last rebalance (kept after it ends, like glusterd does).
    pub rebalance: Option<SimTask>,
    /// The remove-brick task until it is committed or stopped.
    #[serde(default)]
    pub remove_brick: Option<SimTask>,
    /// Test knob: files that fail to migrate per node in the next remove-brick.
    #[serde(default)]
    pub migration_failures: i64,
    /// Test knob: entries pending heal on each brick.
    #[serde(default)]
    pub pending_heals: i64,
    /// Test knob: `volume status … tasks` does not list this volume's tasks (as gluster does
    /// after some failures), while their own status commands still answer.
    #[serde(default)]
    pub hide_tasks: bool,
    /// Test knob: bricks (`host:/path`) whose brick process is dead. A rebalance or
    /// remove-brick started while one is listed fails on every node running it; removing a
    /// listed brick is refused ("Found dead brick …").
    #[serde(default)]
    pub bricks_down: Vec<String>,
    /// Test knob: a `rebalance … start` or `remove-brick … start` that will succeed answers
    /// only after this many milliseconds (real gluster takes about 10 s). Meanwhile the state
    /// is unlocked and unchanged: other commands answer and list the previous task.
    #[serde(default)]
    pub start_delay_ms: u64,
    /// Test knob, with `start_delay_ms`: the slow start keeps the state locked while it waits,
    /// so every other command waits for it to return (as real glusterd holds its locks: a
    /// `volume status` issued meanwhile blocks, then shows the new task).
    #[serde(default)]
    pub start_holds_lock: bool,
}

impl SimVolume {
    /// `host:/path` of each brick.
    pub fn brick_names(&self, peers: &[SimPeer]) -> Vec<String> {
        self.bricks
            .iter()
            .map(|b| {
                format!(
                    "{}:{}",
                    peers
                        .get(b.peer)
                        .map(|p| p.hostname.as_str())
                        .unwrap_or("?"),
                    b.path
                )
            })
            .collect()
    }

    /// Distinct peers hosting bricks, in peer order.
    pub fn brick_peers(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.bricks.iter().map(|b| b.peer).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// The whole simulated cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimState {
    /// The peers.
    pub peers: Vec<SimPeer>,
    /// The volumes.
    pub volumes: Vec<SimVolume>,
}

impl Default for SimState {
    /// Three peers; `dist` (distribute, 4 bricks), `distrep` (2 × 3), `single` (1 brick) and
    /// `archive` (distribute, stopped).
    fn default() -> Self {
        let peers = (1..=3)
            .map(|n| SimPeer {
                uuid: Uuid::new_v4(),
                hostname: crate::node_address(n),
                up: true,
                fault: None,
                busy_calls: 0,
                stuck_tasks: false,
                pause_secs: 0.0,
                paused: false,
            })
            .collect();
        // Unequal bricks, so that a rebalance moves files off the fuller ones on every node.
        let brick = |peer, path: &str, files, avg_kib| {
            SimBrick::with_contents(peer, path, files, 60, avg_kib, "xfs")
        };
        let vol = |name: &str, type_str: &str, status: &str, replica, bricks| SimVolume {
            name: name.to_owned(),
            id: Uuid::new_v4(),
            type_str: type_str.to_owned(),
            status_str: status.to_owned(),
            replica,
            bricks,
            rebalance: None,
            remove_brick: None,
            migration_failures: 0,
            pending_heals: 0,
            hide_tasks: false,
            bricks_down: Vec::new(),
            start_delay_ms: 0,
            start_holds_lock: false,
        };
        SimState {
            peers,
            volumes: vec![
                vol(
                    "dist",
                    "Distribute",
                    "Started",
                    1,
                    vec![
                        brick(0, "/bricks/dist/b1", 1600, 512),
                        brick(1, "/bricks/dist/b2", 1400, 512),
                        brick(2, "/bricks/dist/b3", 1200, 512),
                        brick(0, "/bricks/dist/b4", 400, 512),
                    ],
                ),
                vol(
                    "distrep",
                    "Distributed-Replicate",
                    "Started",
                    3,
                    (0..6)
                        .map(|i| {
                            let files = if i < 3 { 2000 } else { 1400 };
                            let path = format!("/bricks/distrep/b{}", i + 1);
                            SimBrick::with_contents(i % 3, &path, files, 120, 256, "ext4")
                        })
                        .collect(),
                ),
                vol(
                    "single",
                    "Distribute",
                    "Started",
                    1,
                    vec![brick(0, "/bricks/single/b1", 800, 1024)],
                ),
                vol(
                    "archive",
                    "Distribute",
                    "Stopped",
                    1,
                    vec![
                        brick(1, "/bricks/archive/b1", 3000, 2048),
                        brick(2, "/bricks/archive/b2", 2500, 2048),
                    ],
                ),
            ],
        }
    }
}

/// Holds the state file's lock for the duration of one command.
pub struct Locked {
    _lock: File,
}

/// Locks the state at `path`, loads it (creating the default cluster when the file does not
/// exist), and returns it with the lock.
pub fn load(path: &Path) -> io::Result<(SimState, Locked)> {
    let lock_path = path.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    lock.lock()?;
    let state = match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let s = SimState::default();
            save(path, &s)?;
            s
        }
        Err(e) => return Err(e),
    };
    Ok((state, Locked { _lock: lock }))
}

/// Writes the state atomically (temporary file, then rename). Call while holding the lock.
pub fn save(path: &Path, state: &SimState) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}
