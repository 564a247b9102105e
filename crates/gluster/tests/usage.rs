//! `volume status … detail` as [`gluster::volume_usage`] reads it, on real GlusterFS 10.3
//! captures (fixtures/gluster-10.3/, MANIFEST.md has the command and scenario of each): every
//! brick of every capture to its exact figures, and the refusals for a stopped or missing volume.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use domain::BrickUsage;
use gluster::{volume_usage, DriverError, Refusal, VolumeUsage};

/// The testbed's state directory: every brick path starts with it.
const STATE: &str = "/var/lib/gluster-tasks-testbed";

/// Peer ids of the capture run's nodes.
const PEER_N1: &str = "2247cb9b-859e-4177-947f-b3a5f7dd0dfd";
const PEER_N2: &str = "eeca618f-d64a-47da-a690-b5f9f5bd618f";
const PEER_N3: &str = "8eaad31f-64c8-46a0-9987-01ce8f200328";

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/gluster-10.3/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The node's address and peer id in the capture run.
fn node(name: &str) -> (&'static str, &'static str) {
    match name {
        "n1" => ("192.0.2.11", PEER_N1),
        "n2" => ("192.0.2.12", PEER_N2),
        "n3" => ("192.0.2.13", PEER_N3),
        other => panic!("unknown node {other}"),
    }
}

/// A figure of the table: `-` is one gluster did not report.
fn figure(s: &str) -> Option<i64> {
    (s != "-").then(|| s.parse().unwrap())
}

/// Expected volumes from a table of one brick a line: `VOLUME NODE PATH-UNDER-<node>/bricks/
/// STATUS SIZE-TOTAL SIZE-FREE INODES-TOTAL INODES-FREE DEVICE FS BLOCK-SIZE`.
fn expected(table: &str) -> Vec<VolumeUsage> {
    let mut out: Vec<VolumeUsage> = Vec::new();
    for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 11, "bad table line {line:?}");
        let (addr, peer) = node(f[1]);
        let brick = BrickUsage {
            brick: format!("{addr}:{STATE}/{}/bricks/{}", f[1], f[2]),
            peer_id: peer.parse().unwrap(),
            online: f[3] == "1",
            size_total: figure(f[4]).unwrap_or(0),
            size_free: figure(f[5]).unwrap_or(0),
            inodes_total: figure(f[6]),
            inodes_free: figure(f[7]),
            device: (f[8] != "-").then(|| f[8].to_owned()),
            fs_name: (f[9] != "-").then(|| f[9].to_owned()),
            block_size: figure(f[10]),
        };
        match out.last_mut() {
            Some(v) if v.volume == f[0] => v.bricks.push(brick),
            _ => out.push(VolumeUsage {
                volume: f[0].to_owned(),
                bricks: vec![brick],
            }),
        }
    }
    out
}

fn check(capture: &str, table: &str) {
    let got = volume_usage(&fixture(capture)).unwrap_or_else(|e| panic!("{capture}: {e}"));
    assert_eq!(got, expected(table), "{capture}");
}

#[test]
fn detail_of_a_stopped_or_missing_volume_is_a_refusal() {
    for (capture, message, refusal) in [
        (
            "volume-status-stopped-detail.xml",
            "Volume stopped is not started",
            Refusal::VolumeNotStarted,
        ),
        (
            "volume-status-nosuchvol-detail.xml",
            "Volume nosuchvol does not exist",
            Refusal::VolumeMissing,
        ),
    ] {
        match volume_usage(&fixture(capture)) {
            Err(e @ DriverError::Gluster { .. }) => {
                assert_eq!(e.refusal(), Some(refusal), "{capture}");
                let DriverError::Gluster {
                    errno, message: m, ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!((errno, m.as_str()), (30800, message), "{capture}");
            }
            other => panic!("{capture}: {other:?}"),
        }
    }
}

/// Fresh testbed: the bricks are directories of one disk, so every brick reports /dev/vda.
#[test]
fn fresh_dist_bricks_all_report_the_root_disk() {
    check(
        "volume-status-dist-detail.xml",
        "
        dist n1 dist-b1 1 270553174016 246612500480 16777216 16350769 /dev/vda ext4 4096
        dist n2 dist-b2 1 270553174016 246612434944 16777216 16350769 /dev/vda ext4 4096
        dist n3 dist-b3 1 270553174016 246612434944 16777216 16350769 /dev/vda ext4 4096
        dist n1 dist-b4 1 270553174016 246612500480 16777216 16350769 /dev/vda ext4 4096
        ",
    );
}

/// A 2x3 volume: six bricks, no self-heal daemon entries.
#[test]
fn fresh_distrep_lists_its_six_bricks_and_no_daemons() {
    check(
        "volume-status-distrep-detail.xml",
        "
        distrep n1 distrep-b1 1 270553174016 246608945152 16777216 16350767 /dev/vda ext4 4096
        distrep n2 distrep-b2 1 270553174016 246608879616 16777216 16350767 /dev/vda ext4 4096
        distrep n3 distrep-b3 1 270553174016 246608879616 16777216 16350767 /dev/vda ext4 4096
        distrep n1 distrep-b4 1 270553174016 246608945152 16777216 16350767 /dev/vda ext4 4096
        distrep n2 distrep-b5 1 270553174016 246608879616 16777216 16350767 /dev/vda ext4 4096
        distrep n3 distrep-b6 1 270553174016 246608879616 16777216 16350767 /dev/vda ext4 4096
        ",
    );
}

/// `all detail`: the three started volumes in order; the stopped one is left out.
#[test]
fn all_detail_lists_every_started_volume() {
    check(
        "volume-status-all-detail.xml",
        "
        dist n1 dist-b1 1 270553174016 246605725696 16777216 16350766 /dev/vda ext4 4096
        dist n2 dist-b2 1 270553174016 246605463552 16777216 16350766 /dev/vda ext4 4096
        dist n3 dist-b3 1 270553174016 246605398016 16777216 16350766 /dev/vda ext4 4096
        dist n1 dist-b4 1 270553174016 246605660160 16777216 16350766 /dev/vda ext4 4096
        distrep n1 distrep-b1 1 270553174016 246605135872 16777216 16350766 /dev/vda ext4 4096
        distrep n2 distrep-b2 1 270553174016 246605135872 16777216 16350766 /dev/vda ext4 4096
        distrep n3 distrep-b3 1 270553174016 246605135872 16777216 16350766 /dev/vda ext4 4096
        distrep n1 distrep-b4 1 270553174016 246605135872 16777216 16350766 /dev/vda ext4 4096
        distrep n2 distrep-b5 1 270553174016 246605070336 16777216 16350766 /dev/vda ext4 4096
        distrep n3 distrep-b6 1 270553174016 246605004800 16777216 16350766 /dev/vda ext4 4096
        single n1 single-b1 1 270553174016 246604939264 16777216 16350766 /dev/vda ext4 4096
        ",
    );
}

/// n3's brick process killed: offline, yet glusterd still reports its sizes and inodes.
#[test]
fn an_offline_brick_keeps_its_sizes() {
    check(
        "volume-status-dist-detail-brick-down.xml",
        "
        dist n1 dist-b1 1 270553174016 231293059072 16777216 16257573 /dev/vda ext4 4096
        dist n2 dist-b2 1 270553174016 231293054976 16777216 16257573 /dev/vda ext4 4096
        dist n3 dist-b3 0 270553174016 231293054976 16777216 16257573 /dev/vda ext4 4096
        ",
    );
}

/// Bricks on their own 400 MB xfs: each its own loop device and figures.
#[test]
fn empty_brickfs_bricks_report_their_own_filesystems() {
    check(
        "volume-status-prog-detail-brickfs.xml",
        "
        prog n1 prog-b1/brick 1 352321536 328380416 204800 204528 /dev/loop0 xfs 4096
        prog n2 prog-b2/brick 1 352321536 328380416 204800 204528 /dev/loop1 xfs 4096
        ",
    );
}

/// After 1000 files of 64 KiB: the used inodes and bytes follow the data of each brick.
#[test]
fn brickfs_bricks_after_writing_1000_files() {
    check(
        "volume-status-prog-detail-brickfs-filled.xml",
        "
        prog n1 prog-b1/brick 1 352321536 283443200 204800 203470 /dev/loop0 xfs 4096
        prog n2 prog-b2/brick 1 352321536 286277632 204800 203532 /dev/loop1 xfs 4096
        ",
    );
}

/// During a rebalance after add-brick: the new bricks are still nearly empty.
#[test]
fn brickfs_bricks_while_a_rebalance_runs() {
    check(
        "volume-status-prog-detail-rebalance.xml",
        "
        prog n1 prog-b1/brick 1 352321536 294141952 204800 203472 /dev/loop0 xfs 4096
        prog n2 prog-b2/brick 1 352321536 296386560 204800 203534 /dev/loop1 xfs 4096
        prog n3 prog-b3/brick 1 352321536 328118272 204800 204490 /dev/loop2 xfs 4096
        prog n1 prog-b4/brick 1 352321536 328183808 204800 204492 /dev/loop3 xfs 4096
        ",
    );
}

/// During a remove-brick of n1's prog-b1.
#[test]
fn brickfs_bricks_while_a_remove_brick_runs() {
    check(
        "volume-status-prog-detail-remove-brick.xml",
        "
        prog n1 prog-b1/brick 1 352321536 310251520 204800 203716 /dev/loop0 xfs 4096
        prog n2 prog-b2/brick 1 352321536 310779904 204800 203754 /dev/loop1 xfs 4096
        prog n3 prog-b3/brick 1 352321536 313470976 204800 204050 /dev/loop2 xfs 4096
        prog n1 prog-b4/brick 1 352321536 311894016 204800 204003 /dev/loop3 xfs 4096
        ",
    );
}

/// After the removal completed: prog-b1 holds no file but is not back to the empty figures.
#[test]
fn a_drained_brick_keeps_a_floor() {
    check(
        "volume-status-prog-detail-remove-brick-completed.xml",
        "
        prog n1 prog-b1/brick 1 352321536 327819264 204800 203985 /dev/loop0 xfs 4096
        prog n2 prog-b2/brick 1 352321536 310779904 204800 203754 /dev/loop1 xfs 4096
        prog n3 prog-b3/brick 1 352321536 302587904 204800 203723 /dev/loop2 xfs 4096
        prog n1 prog-b4/brick 1 352321536 304914432 204800 203634 /dev/loop3 xfs 4096
        ",
    );
}

#[test]
fn used_figures_of_a_drained_brick_against_the_empty_one() {
    let of = |capture: &str| volume_usage(&fixture(capture)).unwrap()[0].bricks[0].clone();
    let empty = of("volume-status-prog-detail-brickfs.xml");
    let full = of("volume-status-prog-detail-brickfs-filled.xml");
    let drained = of("volume-status-prog-detail-remove-brick-completed.xml");
    assert_eq!(empty.used_bytes(), 23941120);
    assert_eq!(empty.used_inodes(), Some(272));
    assert_eq!(full.used_inodes(), Some(1330));
    assert_eq!(drained.used_inodes(), Some(815));
    assert!(drained.used_bytes() > empty.used_bytes());
    assert!(drained.used_bytes() < full.used_bytes());
}
