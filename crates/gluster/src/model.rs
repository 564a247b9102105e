//! What the parsers return: gluster's answers in typed form.

use domain::{NodeProgress, TaskKind, TaskStatus, VolumeLayout, VolumeStatus, VolumeType};
use uuid::Uuid;

/// A brick as `volume info` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct BrickInfo {
    /// `host:/path`.
    pub name: String,
    /// UUID of the hosting peer.
    pub peer_id: Option<Uuid>,
    /// Arbiter brick.
    pub is_arbiter: bool,
}

/// A volume as `volume info` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeInfo {
    /// Volume UUID.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Type.
    pub vol_type: VolumeType,
    /// State.
    pub status: VolumeStatus,
    /// Brick grouping.
    pub layout: VolumeLayout,
    /// Bricks in order.
    pub bricks: Vec<BrickInfo>,
}

/// A task listed by `volume status all tasks`.
#[derive(Debug, Clone, PartialEq)]
pub struct GlusterTask {
    /// Rebalance or remove-brick.
    pub kind: TaskKind,
    /// Gluster's task id.
    pub id: Uuid,
    /// Status.
    pub status: TaskStatus,
    /// Remove-brick: the bricks being removed.
    pub bricks: Vec<String>,
}

/// The tasks of one volume in `volume status all tasks`.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeTasks {
    /// Volume name.
    pub volume: String,
    /// Its tasks (gluster lists none once a task was stopped).
    pub tasks: Vec<GlusterTask>,
}

/// A task's status as `volume rebalance VOL status|stop` (or remove-brick status|stop) reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskReport {
    /// Gluster's task id (absent when no task ever ran on the volume).
    pub task_id: Option<Uuid>,
    /// One row per node with a rebalance process.
    pub nodes: Vec<NodeProgress>,
    /// The aggregate status: gluster's `<aggregate><status>` when given, else computed from nodes.
    pub status: TaskStatus,
}

/// Options of `volume rebalance VOL start`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebalanceOptions {
    /// `fix-layout start`: fix the layout only.
    pub fix_layout: bool,
    /// `start force`.
    pub force: bool,
}

/// One brick's line of `volume heal VOL info`.
#[derive(Debug, Clone, PartialEq)]
pub struct HealBrick {
    /// `host:/path`.
    pub name: String,
    /// `Connected`, or why the brick could not be asked.
    pub status: String,
    /// Entries pending heal; `None` when the brick could not say (`-`).
    pub entries: Option<i64>,
}

/// `volume heal VOL info`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealInfo {
    /// One row per brick.
    pub bricks: Vec<HealBrick>,
}

impl HealInfo {
    /// Entries pending heal on all bricks that answered.
    pub fn pending(&self) -> i64 {
        self.bricks.iter().filter_map(|b| b.entries).sum()
    }

    /// Bricks that could not report their entries (offline, not connected).
    pub fn unknown(&self) -> Vec<&str> {
        self.bricks
            .iter()
            .filter(|b| b.entries.is_none())
            .map(|b| b.name.as_str())
            .collect()
    }
}

/// Whether `name` is gluster's name for the node that answered a command (`localhost` in
/// `pool list` and in task reports) rather than a peer host name.
pub fn names_answering_node(name: &str) -> bool {
    name == "localhost"
}
