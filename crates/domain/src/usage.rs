//! What a brick's filesystem holds, as `gluster volume status VOL detail` reports it: the
//! source of a task's amount of work (how much data sits on the bricks being removed, how many
//! files a node's rebalance will scan).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One brick's filesystem usage (a `<node>` of `volume status VOL detail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrickUsage {
    /// The brick as `volume info` names it: `host:path`.
    pub brick: String,
    /// The peer that hosts it.
    pub peer_id: Uuid,
    /// Whether its brick process is online (`<status>1</status>`). GlusterFS 10.3 still reports
    /// the sizes of a brick whose process is offline (its glusterd reads the filesystem, port
    /// `N/A`, pid -1); sizes gluster leaves out are zero here.
    pub online: bool,
    /// Size of the brick's filesystem, in bytes.
    pub size_total: i64,
    /// Free bytes on it.
    pub size_free: i64,
    /// Inodes of the filesystem (`None` when gluster does not report them: before 3.x, or
    /// a filesystem without a fixed inode table).
    pub inodes_total: Option<i64>,
    /// Free inodes.
    pub inodes_free: Option<i64>,
    /// The block device (`/dev/…`); bricks on one device share their usage figures.
    pub device: Option<String>,
    /// The filesystem type (`xfs`, `ext4`, …).
    pub fs_name: Option<String>,
    /// The filesystem's block size in bytes.
    pub block_size: Option<i64>,
}

impl BrickUsage {
    /// Bytes in use on the brick's filesystem.
    pub fn used_bytes(&self) -> i64 {
        self.size_total.saturating_sub(self.size_free).max(0)
    }

    /// Inodes in use on the brick's filesystem, when gluster reports inodes.
    pub fn used_inodes(&self) -> Option<i64> {
        match (self.inodes_total, self.inodes_free) {
            (Some(t), Some(f)) if t > 0 => Some(t.saturating_sub(f).max(0)),
            _ => None,
        }
    }
}
