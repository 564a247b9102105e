//! `volume status VOL|all detail`: each brick's filesystem as the driver's parser reads it,
//! and how tasks change it; each node's counters rise to the files on its bricks.

use crate::knobs::{edit, B4};
use crate::structure::Sim;
use domain::{BrickUsage, NodeProgress, TaskStatus};
use gluster::{parse, volume_usage, DriverError, TaskReport};
use std::collections::BTreeMap;
use std::time::Duration;

const GIB: i64 = 1 << 30;
const KIB: i64 = 1024;

/// The inodes the model says a brick holding `files` files and `dirs` directories uses.
fn inodes(files: i64, dirs: i64) -> i64 {
    let f = files as f64;
    let gfid = 65536.0 * (1.0 - (-f / 65536.0).exp());
    files + 2 * dirs + gfid.round() as i64 + 271
}

/// The bricks of `volume` by name.
pub(crate) fn usage(s: &Sim, volume: &str) -> BTreeMap<String, BrickUsage> {
    let answer = s.run(&format!("volume status {volume} detail"));
    assert_eq!(answer.code, 0, "{}", answer.stdout);
    let vols = volume_usage(&answer.stdout).unwrap();
    assert_eq!(vols.len(), 1);
    assert_eq!(vols[0].volume, volume);
    vols[0]
        .bricks
        .iter()
        .map(|b| (b.brick.clone(), b.clone()))
        .collect()
}

/// Files of data on a brick of dist (512 KiB each, 60 directories, xfs).
fn dist_files(b: &BrickUsage) -> i64 {
    (b.used_bytes() - 60 * 4096 - (64 << 20)) / (512 * KIB)
}

#[test]
fn detail_parses_with_the_driver_and_its_figures_match_the_bricks_contents() {
    let s = Sim::new(30.0);
    let dist = usage(&s, "dist");
    let names: Vec<&str> = dist.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "server1:/bricks/dist/b1",
            "server1:/bricks/dist/b4",
            "server2:/bricks/dist/b2",
            "server3:/bricks/dist/b3"
        ]
    );
    let b1 = &dist["server1:/bricks/dist/b1"];
    assert!(b1.online);
    assert_eq!(b1.size_total, 100 * GIB);
    assert_eq!(b1.used_bytes(), 1600 * 512 * KIB + 60 * 4096 + (64 << 20));
    assert_eq!(b1.used_inodes(), Some(inodes(1600, 60)));
    assert_eq!(b1.inodes_total, Some(100 * GIB / 4 / 512));
    assert_eq!(
        (b1.device.as_deref(), b1.fs_name.as_deref(), b1.block_size),
        (Some("/dev/mapper/sim-dist-b1"), Some("xfs"), Some(4096))
    );
    let devices: std::collections::BTreeSet<_> = dist.values().map(|b| &b.device).collect();
    assert_eq!(devices.len(), 4, "every brick on its own filesystem");
    let files: Vec<i64> = dist.values().map(dist_files).collect();
    assert_eq!(files, [1600, 400, 1400, 1200]);

    let rep = usage(&s, "distrep");
    assert_eq!(rep.len(), 6);
    let r1 = &rep["server1:/bricks/distrep/b1"];
    assert_eq!(r1.fs_name.as_deref(), Some("ext4"));
    assert_eq!(r1.inodes_total, Some(100 * GIB / 16384));
    assert_eq!(r1.used_inodes(), Some(inodes(2000, 120)));
    assert_eq!(r1.used_bytes(), 2000 * 256 * KIB + 120 * 4096 + (128 << 20));

    // The element order of GlusterFS 10.3's `<node>`.
    let answer = s.run("volume status single detail").stdout;
    let doc = roxmltree::Document::parse(&answer).unwrap();
    let node = doc.descendants().find(|n| n.has_tag_name("node")).unwrap();
    let kids: Vec<&str> = node
        .children()
        .filter(|c| c.is_element())
        .map(|c| c.tag_name().name())
        .collect();
    assert_eq!(
        kids,
        [
            "hostname",
            "path",
            "peerid",
            "status",
            "port",
            "ports",
            "pid",
            "sizeTotal",
            "sizeFree",
            "device",
            "blockSize",
            "mntOptions",
            "fsName",
            "inodesTotal",
            "inodesFree"
        ]
    );

    // `all` lists the started volumes.
    let all = volume_usage(&s.run("volume status all detail").stdout).unwrap();
    let vols: Vec<(&str, usize)> = all
        .iter()
        .map(|v| (v.volume.as_str(), v.bricks.len()))
        .collect();
    assert_eq!(vols, [("dist", 4), ("distrep", 6), ("single", 1)]);

    // A stopped or unknown volume is refused as `volume status VOL tasks` refuses it.
    for (vol, message) in [
        ("archive", "Volume archive is not started"),
        ("nosuch", "Volume nosuch does not exist"),
    ] {
        let r = s.run(&format!("volume status {vol} detail"));
        match volume_usage(&r.stdout) {
            Err(DriverError::Gluster { message: m, .. }) => assert_eq!(m, message),
            other => panic!("{vol}: {other:?}"),
        }
    }
}

#[test]
fn a_dead_brick_is_reported_offline_with_its_sizes() {
    let s = Sim::new(30.0);
    let before = usage(&s, "dist");
    edit(&s, |st| st["volumes"][0]["bricks_down"] = vec![B4].into());
    let after = usage(&s, "dist");
    let dead = &after[B4];
    assert!(!dead.online);
    assert_eq!(dead.used_bytes(), before[B4].used_bytes());
    let xml = s.run("volume status dist detail").stdout;
    assert!(xml.contains("<status>0</status>") && xml.contains("<pid>N/A</pid>"));
    assert_eq!(after.values().filter(|b| b.online).count(), 3);
}

/// Runs `status` until the task is no longer in progress, checking on every answer that no
/// node's counter or runtime goes back; `each` sees every report. Returns the last report.
pub(crate) fn follow(s: &Sim, status: &str, mut each: impl FnMut(&TaskReport)) -> TaskReport {
    let mut last: Option<TaskReport> = None;
    for _ in 0..2000 {
        let r = s.run(status);
        let report = if status.contains("remove-brick") {
            parse::remove_brick_report(&r.stdout)
        } else {
            parse::rebalance_report(&r.stdout)
        }
        .unwrap();
        if let Some(prev) = &last {
            for n in &report.nodes {
                let p = prev.nodes.iter().find(|p| p.peer_id == n.peer_id).unwrap();
                assert!(
                    n.files >= p.files
                        && n.size_bytes >= p.size_bytes
                        && n.scanned >= p.scanned
                        && n.runtime_secs >= p.runtime_secs,
                    "went back: {p:?} then {n:?}"
                );
            }
        }
        each(&report);
        let running = report.status == TaskStatus::InProgress;
        last = Some(report);
        if !running {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    last.unwrap()
}

fn by_name<'a>(r: &'a TaskReport, name: &str) -> &'a NodeProgress {
    r.nodes.iter().find(|n| n.name == name).unwrap()
}

#[test]
fn during_a_removal_the_removed_brick_empties_while_the_others_fill() {
    let s = Sim::new(1.5);
    let start = usage(&s, "dist");
    let total: i64 = start.values().map(dist_files).sum();
    assert_eq!(
        s.run(&format!("volume remove-brick dist {B4} start")).code,
        0
    );
    let mut prev = start.clone();
    let mut midway = false;
    let done = follow(&s, &format!("volume remove-brick dist {B4} status"), |_| {
        let now = usage(&s, "dist");
        for (name, b) in &now {
            if name == B4 {
                assert!(b.used_bytes() <= prev[name].used_bytes(), "{name} grew");
                let files = dist_files(b);
                midway |= files > 0 && files < 400;
            } else {
                assert!(b.used_bytes() >= prev[name].used_bytes(), "{name} shrank");
            }
        }
        assert_eq!(now.values().map(dist_files).sum::<i64>(), total);
        prev = now;
    });
    assert!(midway, "seen while its files were leaving");
    assert_eq!(done.status, TaskStatus::Completed);
    let node = by_name(&done, "localhost");
    assert_eq!((node.scanned, node.files), (400, 400));
    assert_eq!(node.size_bytes, 400 * 512 * KIB);
    let end = usage(&s, "dist");
    // Only its directories and the filesystem's own overhead remain.
    assert_eq!(end[B4].used_bytes(), 60 * 4096 + (64 << 20));
    assert_eq!(end[B4].used_inodes(), Some(inodes(0, 60)));
    let others: Vec<i64> = end
        .iter()
        .filter(|(n, _)| *n != B4)
        .map(|(_, b)| dist_files(b))
        .collect();
    assert_eq!(others, [1734, 1533, 1333]);

    // After the commit the brick is gone and the others keep what they received.
    assert_eq!(
        s.run(&format!("volume remove-brick dist {B4} commit")).code,
        0
    );
    let committed = usage(&s, "dist");
    assert!(!committed.contains_key(B4));
    assert_eq!(
        committed.values().map(dist_files).collect::<Vec<_>>(),
        others
    );
}

#[test]
fn a_stopped_removal_leaves_the_moved_files_where_they_went() {
    let s = Sim::new(1.0);
    s.run(&format!("volume remove-brick dist {B4} start"));
    // Wait until some files have left.
    let status = format!("volume remove-brick dist {B4} status");
    for _ in 0..500 {
        if parse::remove_brick_report(&s.run(&status).stdout)
            .unwrap()
            .nodes[0]
            .files
            > 0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let stop =
        parse::remove_brick_report(&s.run(&format!("volume remove-brick dist {B4} stop")).stdout)
            .unwrap();
    let moved = stop.nodes[0].files;
    assert!(moved > 0);
    let after = usage(&s, "dist");
    assert_eq!(dist_files(&after[B4]), 400 - moved);
    assert_eq!(after.values().map(dist_files).sum::<i64>(), 4600);
    // A new removal starts from there.
    s.run(&format!("volume remove-brick dist {B4} start"));
    let done = follow(&s, &status, |_| {});
    assert_eq!(done.nodes[0].scanned, 400 - moved);
}

#[test]
fn a_rebalance_scans_each_nodes_files_and_evens_the_bricks_out() {
    let s = Sim::new(1.0);
    s.run("volume rebalance dist start");
    let done = follow(&s, "volume rebalance dist status", |_| {});
    assert_eq!(done.status, TaskStatus::Completed);
    let scanned: Vec<(&str, i64, i64)> = ["localhost", "server2", "server3"]
        .iter()
        .map(|n| {
            let node = by_name(&done, n);
            (*n, node.scanned, node.files)
        })
        .collect();
    // Each node scans the files on its own bricks and moves what is above the average.
    assert_eq!(
        scanned,
        [
            ("localhost", 2000, 450),
            ("server2", 1400, 250),
            ("server3", 1200, 50)
        ]
    );
    let slowest = done
        .nodes
        .iter()
        .map(|n| n.runtime_secs)
        .fold(0.0, f64::max);
    assert!(
        (slowest - 1.0).abs() < 0.02,
        "the last node ends at the duration"
    );
    let files: Vec<i64> = usage(&s, "dist").values().map(dist_files).collect();
    assert_eq!(files, [1150; 4]);

    // A replicated volume: the nodes of a set split its files.
    s.run("volume rebalance distrep start");
    let rep = follow(&s, "volume rebalance distrep status", |_| {});
    let scanned: Vec<i64> = rep.nodes.iter().map(|n| n.scanned).collect();
    assert_eq!(scanned.iter().sum::<i64>(), 3400);
    assert!(
        scanned.iter().all(|n| (1132..=1134).contains(n)),
        "{scanned:?}"
    );
    let rep_usage = usage(&s, "distrep");
    let used: std::collections::BTreeSet<i64> =
        rep_usage.values().map(BrickUsage::used_bytes).collect();
    assert_eq!(used.len(), 1, "every brick holds 1700 files: {used:?}");

    // Once balanced, a new rebalance scans everything and moves nothing.
    s.run("volume rebalance dist start");
    let again = follow(&s, "volume rebalance dist status", |_| {});
    assert!(again.nodes.iter().all(|n| n.files == 0 && n.scanned > 0));
}
