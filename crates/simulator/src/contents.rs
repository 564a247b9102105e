//! What a simulated brick's filesystem reports: its size and inode table, and the bytes and
//! inodes its files and directories use.
//!
//! Each brick has its own filesystem (100 GiB by default, block size 4096). Used figures:
//!
//! - bytes: file data + 4 KiB per directory + the filesystem's own overhead (journal or log);
//! - inodes: files + 2 per directory (the directory and its `.glusterfs` gfid link) + the
//!   `.glusterfs/xx/yy` directories gluster has created for the files' gfids so far
//!   (65536·(1−e^(−files/65536))) + 271 (the root, `.glusterfs` with its 256 `xx`
//!   directories gluster creates up front, and its own entries), as measured on 10.3 bricks
//!   (docs/progress.md).

/// Block size of every simulated brick filesystem.
pub(crate) const BLOCK_SIZE: i64 = 4096;

/// Bytes a directory takes.
const DIR_BYTES: i64 = 4096;

/// Inodes every brick uses whatever it holds.
const BASE_INODES: i64 = 271;

/// The default size of a brick's filesystem: 100 GiB.
pub fn default_fs_size() -> i64 {
    100 << 30
}

/// The default filesystem type of a brick.
pub fn default_fs_name() -> String {
    "xfs".to_owned()
}

/// What a brick holds at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Contents {
    /// Regular files.
    pub(crate) files: i64,
    /// Directories.
    pub(crate) dirs: i64,
    /// Bytes of file data.
    pub(crate) data_bytes: i64,
}

/// The filesystem's figures as `volume status … detail` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FsFigures {
    pub(crate) size_total: i64,
    pub(crate) size_free: i64,
    pub(crate) inodes_total: i64,
    pub(crate) inodes_free: i64,
    pub(crate) mount_options: &'static str,
}

/// The journal (ext4) or log (xfs) and other metadata a filesystem of `fs_name` uses empty.
fn overhead_bytes(fs_name: &str) -> i64 {
    if fs_name == "ext4" {
        128 << 20
    } else {
        64 << 20
    }
}

/// Bytes in use on a filesystem `fs_name` holding `c`.
pub(crate) fn used_bytes(c: Contents, fs_name: &str) -> i64 {
    c.data_bytes + DIR_BYTES * c.dirs + overhead_bytes(fs_name)
}

/// Inodes in use on a brick holding `c`.
pub(crate) fn used_inodes(c: Contents) -> i64 {
    let f = c.files.max(0) as f64;
    let gfid_dirs = 65536.0 * (1.0 - (-f / 65536.0).exp());
    c.files + 2 * c.dirs + gfid_dirs.round() as i64 + BASE_INODES
}

/// The figures of a filesystem `fs_name` of `size_total` bytes holding `c`: ext4 has one
/// inode per 16 KiB; xfs reports a quarter of its space as potential inodes (of 512 bytes).
pub(crate) fn figures(c: Contents, size_total: i64, fs_name: &str) -> FsFigures {
    let (inodes_total, mount_options) = if fs_name == "ext4" {
        (size_total / 16384, "rw,relatime")
    } else {
        (
            size_total / 4 / 512,
            "rw,noatime,attr2,inode64,logbufs=8,logbsize=32k,noquota",
        )
    };
    FsFigures {
        size_total,
        size_free: (size_total - used_bytes(c, fs_name)).max(0),
        inodes_total,
        inodes_free: (inodes_total - used_inodes(c)).max(0),
        mount_options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_brick_uses_its_directories_and_the_filesystem_overhead() {
        let empty = Contents {
            files: 0,
            dirs: 10,
            data_bytes: 0,
        };
        assert_eq!(used_inodes(empty), 20 + 271);
        assert_eq!(used_bytes(empty, "xfs"), 10 * 4096 + (64 << 20));
        let full = Contents {
            files: 1000,
            dirs: 10,
            data_bytes: 1000 << 20,
        };
        // 65536·(1−e^(−1000/65536)) ≈ 992.4.
        assert_eq!(used_inodes(full), 1000 + 20 + 992 + 271);
        let fs = figures(full, 100 << 30, "ext4");
        assert_eq!(fs.inodes_total, 6_553_600);
        assert_eq!(
            fs.size_free,
            (100 << 30) - (1000 << 20) - 10 * 4096 - (128 << 20)
        );
    }
}
