use super::*;
use crate::estimate::{Basis, NodeWork};
use crate::TaskStatus;
use chrono::TimeZone;
use std::time::Duration;

const N1: Uuid = Uuid::from_u128(1);
const N2: Uuid = Uuid::from_u128(2);

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}

fn sizing(basis: Basis, totals: &[(Uuid, i64)]) -> Sizing {
    Sizing {
        basis: Some(basis),
        nodes: totals
            .iter()
            .map(|(p, total)| NodeWork {
                peer_id: *p,
                basis,
                total: *total,
            })
            .collect(),
        note: None,
    }
}

fn node(peer: Uuid, scanned: i64, status: TaskStatus) -> NodeProgress {
    NodeProgress {
        peer_id: peer,
        name: format!("n{}", peer.as_u128()),
        files: scanned / 2,
        size_bytes: scanned * 10,
        scanned,
        failures: 0,
        skipped: 0,
        status,
        runtime_secs: 1.0,
    }
}

/// Samples of `peer` every `step` seconds over `[from, to)`, its work done given by `done(t)`.
fn series(
    peer: Uuid,
    from: i64,
    to: i64,
    step: i64,
    done: impl Fn(i64) -> i64,
) -> Vec<ProgressSample> {
    (from..to)
        .step_by(step as usize)
        .map(|s| ProgressSample {
            at: t(s),
            peer_id: peer,
            done: done(s),
            files: 0,
            size_bytes: 0,
            scanned: done(s),
            failures: 0,
            runtime_secs: s as f64,
        })
        .collect()
}

fn rules(window: u64) -> EstimateRules {
    EstimateRules {
        window: Duration::from_secs(window),
        min_span: Duration::from_secs(10),
        stall_after: Duration::from_secs(600),
    }
}

struct Case {
    status: JobStatus,
    sizing: Sizing,
    nodes: Vec<NodeProgress>,
    history: Vec<ProgressSample>,
    marks: Vec<Mark>,
    previous: JobProgress,
    held: bool,
    now: DateTime<Utc>,
    window: u64,
}

impl Case {
    fn new(
        sizing: Sizing,
        nodes: Vec<NodeProgress>,
        history: Vec<ProgressSample>,
        now: i64,
    ) -> Self {
        let marks = nodes
            .iter()
            .map(|n| Mark {
                peer_id: n.peer_id,
                progressed_at: t(now),
                stalled_since: None,
            })
            .collect();
        Case {
            status: JobStatus::Running,
            sizing,
            nodes,
            history,
            marks,
            previous: JobProgress::default(),
            held: false,
            now: t(now),
            window: 300,
        }
    }

    fn run(&self) -> Estimate {
        estimate(&Inputs {
            status: self.status,
            sizing: &self.sizing,
            nodes: &self.nodes,
            kind: crate::TaskKind::Rebalance,
            marks: &self.marks,
            history: &self.history,
            previous: &self.previous,
            previous_nodes: &[],
            held: self.held,
            now: self.now,
            rules: rules(self.window),
        })
    }
}

#[test]
fn slope_is_the_least_squares_rate() {
    assert_eq!(slope(&[]), None);
    assert_eq!(slope(&[(1.0, 5.0)]), None);
    assert_eq!(slope(&[(1.0, 5.0), (1.0, 7.0)]), None);
    let r = slope(&[(0.0, 0.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]).unwrap();
    assert!((r - 2.0).abs() < 1e-9);
    // Noise around 3/s averages out.
    let r = slope(&[(0.0, 1.0), (1.0, 2.0), (2.0, 7.0), (3.0, 10.0)]).unwrap();
    assert!((r - 3.2).abs() < 1e-9, "{r}");
}

#[test]
fn a_steady_rate_gives_the_time_left_and_the_job_ends_with_its_slowest_node() {
    // N1: 10 files/s of 1,000; N2: 20 files/s of 3,000. At 50 s: N1 ends at 100 s, N2 at 150 s.
    let mut history = series(N1, 0, 50, 5, |s| 10 * s);
    history.extend(series(N2, 0, 50, 5, |s| 20 * s));
    let c = Case::new(
        sizing(Basis::Files, &[(N1, 1_000), (N2, 3_000)]),
        vec![
            node(N1, 500, TaskStatus::InProgress),
            node(N2, 1_000, TaskStatus::InProgress),
        ],
        history,
        50,
    );
    let e = c.run();
    assert_eq!(e.nodes[0].estimated_end_at, Some(t(100)));
    assert_eq!(e.nodes[1].estimated_end_at, Some(t(150)));
    assert_eq!(e.job.estimated_end_at, Some(t(150)));
    assert!((e.job.rate.unwrap() - 30.0).abs() < 1e-6);
    assert_eq!(e.job.percent, Some(37.5));
    assert_eq!(e.nodes[0].percent, Some(50.0));
    assert_eq!(e.job.note, None);
    assert_eq!(e.job.basis, Some(Basis::Files));
    assert_eq!(e.samples.len(), 2);
    assert_eq!((e.samples[0].at, e.samples[0].done), (t(50), 500));
}

#[test]
fn the_window_follows_a_rate_change_that_the_average_since_start_would_miss() {
    // 2 files/s for 200 s, then 10 files/s: at 260 s, 1,000 of 3,000 are done.
    let done = |s: i64| {
        if s <= 200 {
            2 * s
        } else {
            400 + 10 * (s - 200)
        }
    };
    let c = Case {
        window: 60,
        ..Case::new(
            sizing(Basis::Files, &[(N1, 3_000)]),
            vec![node(N1, done(260), TaskStatus::InProgress)],
            series(N1, 0, 260, 5, done),
            260,
        )
    };
    let e = c.run();
    assert!((e.nodes[0].rate.unwrap() - 10.0).abs() < 1e-6);
    assert_eq!(e.job.estimated_end_at, Some(t(460)));
    // Since the start the rate would be 1,000 / 260 ≈ 3.8/s, an end at ≈ 780 s.
    let since_start = Case {
        window: 100_000,
        ..c
    };
    let slow = since_start.run().nodes[0].rate.unwrap();
    assert!(slow < 6.0, "{slow}");
}

#[test]
fn a_stalled_node_has_no_time_left_and_neither_has_the_job() {
    let mut c = Case::new(
        sizing(Basis::Files, &[(N1, 1_000), (N2, 1_000)]),
        vec![
            node(N1, 100, TaskStatus::InProgress),
            node(N2, 500, TaskStatus::InProgress),
        ],
        [
            series(N1, 0, 1_000, 10, |_| 100),
            series(N2, 0, 1_000, 10, |s| s / 2),
        ]
        .concat(),
        1_000,
    );
    c.marks[0].progressed_at = t(0);
    c.marks[0].stalled_since = Some(t(0));
    let e = c.run();
    assert_eq!(e.nodes[0].stalled_since, Some(t(0)));
    assert_eq!(e.nodes[0].estimated_end_at, None);
    assert!(e.nodes[1].estimated_end_at.is_some());
    assert_eq!(e.job.estimated_end_at, None);
    assert_eq!(e.job.note, Some(ProgressNote::Stalled));
    assert_eq!(e.job.percent, Some(30.0));
}

#[test]
fn notes_say_why_a_figure_is_missing() {
    let sized = || sizing(Basis::Files, &[(N1, 1_000)]);
    let running = || vec![node(N1, 100, TaskStatus::InProgress)];
    let steady = || series(N1, 0, 100, 10, |s| s);
    let fix_layout = Sizing {
        note: Some(ProgressNote::FixLayout),
        ..Sizing::default()
    };
    let found = Sizing {
        note: Some(ProgressNote::SizedWhenFound),
        ..sized()
    };
    // (case, percent, has end, note)
    let rows: Vec<(Case, Option<f64>, bool, Option<ProgressNote>)> = vec![
        (
            Case::new(sized(), running(), steady(), 100),
            Some(10.0),
            true,
            None,
        ),
        (
            Case::new(sized(), running(), vec![], 100),
            Some(10.0),
            false,
            Some(ProgressNote::Measuring),
        ),
        (
            Case::new(sized(), running(), series(N1, 95, 100, 1, |s| s), 100),
            Some(10.0),
            false,
            Some(ProgressNote::Measuring),
        ),
        (
            Case::new(Sizing::default(), running(), steady(), 100),
            None,
            false,
            Some(ProgressNote::NoUsage),
        ),
        (
            Case::new(fix_layout, running(), steady(), 100),
            None,
            false,
            Some(ProgressNote::FixLayout),
        ),
        (
            Case::new(found, running(), steady(), 100),
            Some(10.0),
            true,
            Some(ProgressNote::SizedWhenFound),
        ),
        (
            Case {
                held: true,
                ..Case::new(sized(), running(), steady(), 100)
            },
            Some(10.0),
            false,
            Some(ProgressNote::WaitingForNodes),
        ),
        (
            Case::new(
                sized(),
                vec![node(N1, 1_500, TaskStatus::InProgress)],
                series(N1, 0, 100, 10, |s| 15 * s),
                100,
            ),
            Some(99.0),
            false,
            Some(ProgressNote::BeyondEstimate),
        ),
    ];
    for (i, (c, percent, end, note)) in rows.into_iter().enumerate() {
        let e = c.run();
        assert_eq!(e.job.percent, percent, "row {i}");
        assert_eq!(e.job.estimated_end_at.is_some(), end, "row {i}");
        assert_eq!(e.job.note, note, "row {i}");
    }
}

#[test]
fn percent_never_goes_back_while_running_and_is_100_only_at_the_end() {
    let sized = sizing(Basis::Files, &[(N1, 100)]);
    let mut c = Case::new(
        sized.clone(),
        vec![node(N1, 40, TaskStatus::InProgress)],
        vec![],
        10,
    );
    c.previous.percent = Some(50.0);
    assert_eq!(c.run().job.percent, Some(50.0));
    // Everything reported done but the node still runs: 99, never 100.
    let c = Case::new(
        sized.clone(),
        vec![node(N1, 100, TaskStatus::InProgress)],
        vec![],
        10,
    );
    assert_eq!(c.run().job.percent, Some(99.0));
    for (status, node_status, percent) in [
        (
            JobStatus::AwaitingCommit,
            TaskStatus::Completed,
            Some(100.0),
        ),
        (JobStatus::Succeeded, TaskStatus::Completed, Some(100.0)),
        (JobStatus::Stopped, TaskStatus::Stopped, Some(4.0)),
        (JobStatus::Failed, TaskStatus::Failed, Some(4.0)),
    ] {
        let c = Case {
            status,
            ..Case::new(sized.clone(), vec![node(N1, 4, node_status)], vec![], 10)
        };
        let e = c.run();
        assert_eq!(e.job.percent, percent, "{status}");
        assert_eq!(
            (e.job.estimated_end_at, e.job.rate),
            (None, None),
            "{status}"
        );
    }
    // A completed node is 100 whatever its counters said.
    let c = Case::new(sized, vec![node(N1, 7, TaskStatus::Completed)], vec![], 10);
    assert_eq!(c.run().nodes[0].percent, Some(100.0));
}

#[test]
fn unreported_sized_nodes_count_as_not_started() {
    let c = Case::new(
        sizing(Basis::Files, &[(N1, 1_000), (N2, 1_000)]),
        vec![node(N1, 500, TaskStatus::InProgress)],
        series(N1, 0, 50, 5, |s| 10 * s),
        50,
    );
    let e = c.run();
    assert_eq!(e.job.percent, Some(25.0));
    assert_eq!(e.nodes.len(), 1);
}
