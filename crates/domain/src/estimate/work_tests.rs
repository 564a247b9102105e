use super::*;
use crate::{Brick, JobOrigin, TaskParams, TaskStatus, VolumeLayout, VolumeStatus, VolumeType};
use chrono::Utc;

const N1: Uuid = Uuid::from_u128(1);
const N2: Uuid = Uuid::from_u128(2);
const N3: Uuid = Uuid::from_u128(3);

fn brick(name: &str, peer: Uuid, arbiter: bool) -> Brick {
    Brick {
        id: Uuid::new_v4(),
        name: name.into(),
        position: 0,
        peer_id: Some(peer),
        is_arbiter: arbiter,
    }
}

fn volume(vol_type: VolumeType, replica: i32, arbiter: i32, bricks: Vec<Brick>) -> Volume {
    Volume {
        id: Uuid::from_u128(9),
        cluster_id: Uuid::from_u128(8),
        name: "v".into(),
        vol_type,
        status: VolumeStatus::Started,
        layout: VolumeLayout {
            brick_count: bricks.len() as i32,
            distribute_count: 1,
            replica_count: replica,
            arbiter_count: arbiter,
            disperse_count: 0,
            redundancy_count: 0,
        },
        bricks,
        refreshed_at: Utc::now(),
    }
}

fn usage(brick: &str, peer: Uuid, used_bytes: i64, used_inodes: Option<i64>) -> BrickUsage {
    BrickUsage {
        brick: brick.into(),
        peer_id: peer,
        online: true,
        size_total: 1 << 40,
        size_free: (1 << 40) - used_bytes,
        inodes_total: used_inodes.map(|_| 1 << 30),
        inodes_free: used_inodes.map(|u| (1 << 30) - u),
        device: Some(format!("/dev/{brick}")),
        fs_name: Some("xfs".into()),
        block_size: Some(4096),
    }
}

fn job(kind: TaskKind, params: TaskParams) -> Job {
    Job::new_pending(
        kind,
        JobOrigin::Api,
        Uuid::from_u128(9),
        "v",
        Uuid::from_u128(8),
        params,
        Utc::now(),
    )
}

fn rebalance() -> Job {
    job(TaskKind::Rebalance, TaskParams::default())
}

fn removal(bricks: &[&str]) -> Job {
    job(
        TaskKind::RemoveBrick,
        TaskParams {
            bricks: bricks.iter().map(|b| b.to_string()).collect(),
            migrate_data: true,
            ..TaskParams::default()
        },
    )
}

fn node(peer: Uuid, scanned: i64, size_bytes: i64) -> NodeProgress {
    NodeProgress {
        peer_id: peer,
        name: "n".into(),
        files: 0,
        size_bytes,
        scanned,
        failures: 0,
        skipped: 0,
        status: TaskStatus::InProgress,
        runtime_secs: 1.0,
    }
}

fn totals(s: &Sizing) -> Vec<(Uuid, i64)> {
    s.nodes.iter().map(|w| (w.peer_id, w.total)).collect()
}

#[test]
fn files_are_counted_from_inodes_net_of_glusters_own_directories() {
    // (used inodes, files): the inverse of f + 65536(1-e^-f/65536) + 271.
    let rows = [
        (0, 0),
        (271, 0),
        (272, 0),
        (1_000, 365),
        (10_000, 4_955),
        (200_000, 141_730),
        (10_000_000, 9_934_193),
    ];
    for (used, files) in rows {
        assert_eq!(files_from_inodes(used), files, "used {used}");
    }
    let mut last = 0;
    for used in (0..300_000).step_by(997) {
        let f = files_from_inodes(used);
        assert!(f >= last && f <= used, "monotonic and bounded at {used}");
        last = f;
    }
}

#[test]
fn the_file_count_of_real_bricks_is_met_from_above_within_their_directories() {
    // Real 10.3 xfs bricks (docs/progress.md): (used inodes, files on the brick, directories).
    // Each directory costs two inodes the model cannot tell from files.
    let bricks = [
        (3_333, 1_495, 30),
        (3_354, 1_505, 30),
        (7_639, 3_621, 70),
        (7_163, 3_379, 70),
        (1_843, 746, 30),
    ];
    for (used, files, dirs) in bricks {
        let f = files_from_inodes(used);
        assert!(
            f >= files && f <= files + 2 * dirs,
            "{used}: {f} for {files} files"
        );
    }
}

#[test]
fn a_rebalance_is_sized_in_files_per_node() {
    let v = volume(
        VolumeType::Distribute,
        1,
        0,
        vec![
            brick("a:/b1", N1, false),
            brick("b:/b2", N2, false),
            brick("a:/b3", N1, false),
        ],
    );
    let u = [
        usage("a:/b1", N1, 0, Some(1_000)),
        usage("b:/b2", N2, 0, Some(10_000)),
        usage("a:/b3", N1, 0, Some(1_000)),
    ];
    let s = size(&rebalance(), &v, &u, &[]);
    assert_eq!(s.basis, Some(Basis::Files));
    assert_eq!(s.note, None);
    assert_eq!(totals(&s), vec![(N1, 730), (N2, 4_955)]);
}

#[test]
fn every_node_of_a_replica_set_scans_all_of_it_and_arbiters_hold_none() {
    let v = volume(
        VolumeType::Replicate,
        3,
        1,
        vec![
            brick("a:/b", N1, false),
            brick("b:/b", N2, false),
            brick("c:/b", N3, true),
        ],
    );
    let u = [
        usage("a:/b", N1, 0, Some(10_000)),
        usage("b:/b", N2, 0, Some(10_000)),
        usage("c:/b", N3, 0, Some(10_000)),
    ];
    let s = size(&rebalance(), &v, &u, &[]);
    assert_eq!(totals(&s), vec![(N1, 4_955), (N2, 4_955)]);
    // A removal of the set: its two data nodes split the moves.
    let s = size(&removal(&["a:/b", "b:/b", "c:/b"]), &v, &u, &[]);
    assert_eq!(totals(&s), vec![(N1, 2_477), (N2, 2_477)]);
}

#[test]
fn what_cannot_be_sized_says_why() {
    let v = volume(
        VolumeType::Distribute,
        1,
        0,
        vec![brick("a:/b1", N1, false), brick("a:/b2", N1, false)],
    );
    let own = [
        usage("a:/b1", N1, 5, Some(1_000)),
        usage("a:/b2", N1, 5, Some(1_000)),
    ];
    let mut shared = own.clone();
    shared[1].device = shared[0].device.clone();
    let no_inodes = [usage("a:/b1", N1, 5, None), usage("a:/b2", N1, 5, None)];
    let fix_layout = job(
        TaskKind::Rebalance,
        TaskParams {
            fix_layout: true,
            ..TaskParams::default()
        },
    );
    let rows: [(&Job, &[BrickUsage], Option<ProgressNote>); 8] = [
        (&fix_layout, &own, Some(ProgressNote::FixLayout)),
        (&rebalance(), &[], Some(ProgressNote::NoUsage)),
        (&rebalance(), &own[..1], Some(ProgressNote::NoUsage)),
        (&rebalance(), &shared, Some(ProgressNote::SharedFilesystem)),
        (&rebalance(), &no_inodes, Some(ProgressNote::NoInodes)),
        (&rebalance(), &own, None),
        (
            &removal(&["a:/b1"]),
            &shared,
            Some(ProgressNote::SharedFilesystem),
        ),
        (&removal(&["a:/b1"]), &own[..1], None),
    ];
    for (i, (j, u, note)) in rows.into_iter().enumerate() {
        let s = size(j, &v, u, &[]);
        assert_eq!(s.note, note, "row {i}");
        assert_eq!(s.basis.is_some(), note.is_none(), "row {i}");
    }
}

#[test]
fn a_removal_is_sized_in_files_on_the_removed_bricks_and_a_found_one_adds_what_it_did() {
    let v = volume(
        VolumeType::Distribute,
        1,
        0,
        vec![
            brick("a:/b1", N1, false),
            brick("b:/b2", N2, false),
            brick("c:/b3", N3, false),
        ],
    );
    let u = [
        usage("a:/b1", N1, 0, Some(1_000)),
        usage("b:/b2", N2, 0, Some(2_000)),
        usage("c:/b3", N3, 0, Some(10_000)),
    ];
    let j = removal(&["a:/b1", "c:/b3"]);
    let s = size(&j, &v, &u, &[]);
    assert_eq!(totals(&s), vec![(N1, 365), (N3, 4_955)]);
    assert_eq!(s.note, None);
    let mut moved = node(N3, 10, 0);
    moved.files = 400;
    moved.failures = 2;
    let found = size(&j, &v, &u, &[moved]);
    assert_eq!(totals(&found), vec![(N1, 365), (N3, 5_357)]);
    assert_eq!(found.note, Some(ProgressNote::SizedWhenFound));
}

#[test]
fn work_done_is_files_scanned_or_files_moved_failed_and_skipped() {
    let mut n = node(N1, 40, 999);
    n.files = 7;
    n.failures = 2;
    n.skipped = 1;
    assert_eq!(done(TaskKind::Rebalance, &n), 40);
    assert_eq!(done(TaskKind::RemoveBrick, &n), 10);
}
