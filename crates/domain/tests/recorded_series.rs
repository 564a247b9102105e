//! The estimator replayed on a rebalance recorded on the real pool
//! (`fixtures/rebalance-5000-files.csv`): sized from the bricks' used inodes as the service
//! reads them before a start, fed each recorded status as the poller would, and judged
//! against the real end. Deterministic: the same recording gives the same figures.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::estimate::rate::{self, Inputs};
use domain::estimate::{stall, work, EstimateRules, JobProgress, NodeEstimate, ProgressSample};
use domain::{
    Brick, BrickUsage, Job, JobOrigin, JobStatus, NodeProgress, TaskKind, TaskParams, TaskStatus,
    Volume, VolumeLayout, VolumeStatus, VolumeType,
};
use uuid::Uuid;

const N1: &str = "020de218-696a-48b3-8b85-851b49daf616";
const N2: &str = "2c98c6e8-f72d-4f2a-98f2-3fc43b2c08fc";
const N3: &str = "9149e719-c7bd-472e-8e0f-f7b9c222b229";

fn t(secs: f64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).unwrap() + Duration::milliseconds((secs * 1000.0) as i64)
}

/// The recorded polls: (seconds, the nodes' rows).
fn polls() -> Vec<(f64, Vec<NodeProgress>)> {
    let text = include_str!("fixtures/rebalance-5000-files.csv");
    let mut polls: Vec<(f64, Vec<NodeProgress>)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let secs: f64 = f[0].parse().unwrap();
        let row = NodeProgress {
            peer_id: f[1].parse().unwrap(),
            name: f[2].into(),
            status: TaskStatus::from_code(f[3].parse().unwrap()).unwrap(),
            scanned: f[4].parse().unwrap(),
            files: f[5].parse().unwrap(),
            size_bytes: f[6].parse().unwrap(),
            failures: 0,
            skipped: 0,
            runtime_secs: f[7].parse().unwrap(),
        };
        match polls.last_mut() {
            Some((s, rows)) if *s == secs => rows.push(row),
            _ => polls.push((secs, vec![row])),
        }
    }
    polls
}

fn volume() -> (Volume, Vec<BrickUsage>) {
    let peer = |p: &str| p.parse::<Uuid>().unwrap();
    let bricks = [
        ("b1", N1, 5409),
        ("b2", N2, 5342),
        ("b3", N3, 272),
        ("b4", N1, 272),
    ];
    let volume = Volume {
        id: Uuid::from_u128(1),
        cluster_id: Uuid::from_u128(2),
        name: "g".into(),
        vol_type: VolumeType::Distribute,
        status: VolumeStatus::Started,
        layout: VolumeLayout {
            brick_count: 4,
            distribute_count: 4,
            replica_count: 1,
            ..VolumeLayout::default()
        },
        bricks: bricks
            .iter()
            .enumerate()
            .map(|(i, (b, p, _))| Brick {
                id: Uuid::from_u128(10 + i as u128),
                name: format!("h:/{b}"),
                position: i as i32,
                peer_id: Some(peer(p)),
                is_arbiter: false,
            })
            .collect(),
        refreshed_at: t(0.0),
    };
    let usage = bricks
        .iter()
        .map(|(b, p, inodes)| BrickUsage {
            brick: format!("h:/{b}"),
            peer_id: peer(p),
            online: true,
            size_total: 1_006_632_960,
            size_free: 900_000_000,
            inodes_total: Some(524_288),
            inodes_free: Some(524_288 - inodes),
            device: Some(format!("/dev/{b}")),
            fs_name: Some("xfs".into()),
            block_size: Some(4096),
        })
        .collect();
    (volume, usage)
}

#[test]
fn a_recorded_rebalance_is_estimated_within_a_fifth_of_its_run_from_a_quarter_on() {
    let job = Job::new_pending(
        TaskKind::Rebalance,
        JobOrigin::Api,
        Uuid::from_u128(1),
        "g",
        Uuid::from_u128(2),
        TaskParams::default(),
        t(0.0),
    );
    let (v, usage) = volume();
    let sizing = work::size(&job, &v, &usage, &[]);
    let rules = EstimateRules::default();
    let polls = polls();
    let end = polls
        .iter()
        .find(|(_, rows)| rows.iter().all(|r| r.status.is_completed()))
        .map(|(s, _)| *s)
        .unwrap();
    let (mut before, mut estimates, mut history) = (
        Vec::new(),
        Vec::<NodeEstimate>::new(),
        Vec::<ProgressSample>::new(),
    );
    let mut previous = JobProgress::default();
    // (fraction of the run, estimated end, percent shown)
    let mut seen: Vec<(f64, Option<f64>, Option<f64>)> = Vec::new();
    for (secs, rows) in &polls {
        let now = t(*secs);
        let marks = stall::marks(&before, &estimates, rows, None, now, rules.stall_after);
        let done = rows.iter().all(|r| r.status.is_completed());
        let status = if done {
            JobStatus::Succeeded
        } else {
            JobStatus::Running
        };
        let e = rate::estimate(&Inputs {
            status,
            kind: TaskKind::Rebalance,
            sizing: &sizing,
            nodes: rows,
            marks: &marks,
            history: &history,
            previous: &previous,
            previous_nodes: &estimates,
            held: false,
            now,
            rules,
        });
        let end_at = e
            .job
            .estimated_end_at
            .map(|at| (at - t(0.0)).num_milliseconds() as f64 / 1000.0);
        seen.push((secs / end, end_at, e.job.percent));
        history.extend(e.samples);
        before = rows.clone();
        estimates = e.nodes;
        previous = e.job;
    }
    let percents: Vec<f64> = seen.iter().filter_map(|s| s.2).collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert_eq!(percents.last(), Some(&100.0));
    assert!(seen
        .iter()
        .filter(|s| s.0 < 1.0)
        .all(|s| s.2.unwrap() < 100.0));
    for quarter in [0.25, 0.5, 0.75] {
        let (at, end_at, percent) = seen.iter().find(|s| s.0 >= quarter).copied().unwrap();
        let end_at = end_at.unwrap_or_else(|| panic!("no estimate at {at:.2} of the run"));
        let error = (end_at - end) / end;
        eprintln!("at {:.0}% of the run: {:.1}% shown, end estimated {end_at:.1} s for {end:.1} s ({:+.1}% of the run)", at * 100.0, percent.unwrap(), error * 100.0);
        assert!(error.abs() <= 0.2, "at {at:.2}: {end_at} for {end}");
    }
}
