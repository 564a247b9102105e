//! A job's history as a time series, for plotting: one point per poll that recorded samples,
//! with the job's work done and percent at that instant.

use super::{ProgressSample, Sizing};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One instant of a job's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// When the poll saw it.
    pub at: DateTime<Utc>,
    /// Work done over all nodes, in the job's basis units (each node's latest sample so far).
    pub done: i64,
    /// Percent of the sized work done then (`None` when the task was not sized).
    pub percent: Option<f64>,
    /// The samples recorded at this instant (nodes that did not change are absent).
    pub nodes: Vec<ProgressSample>,
}

/// The points of `samples` (any order), with percent against `sizing`.
pub fn series(samples: &[ProgressSample], sizing: Option<&Sizing>) -> Vec<Point> {
    let mut by_at: BTreeMap<DateTime<Utc>, Vec<ProgressSample>> = BTreeMap::new();
    for s in samples {
        by_at.entry(s.at).or_default().push(s.clone());
    }
    let totals: BTreeMap<Uuid, i64> = sizing
        .filter(|s| s.basis.is_some())
        .map(|s| s.nodes.iter().map(|w| (w.peer_id, w.total)).collect())
        .unwrap_or_default();
    let total: i64 = totals.values().sum();
    let mut latest: BTreeMap<Uuid, i64> = BTreeMap::new();
    by_at
        .into_iter()
        .map(|(at, mut nodes)| {
            nodes.sort_by_key(|n| n.peer_id);
            for n in &nodes {
                latest.insert(n.peer_id, n.done);
            }
            let done = latest.values().sum();
            let counted: i64 = totals
                .iter()
                .map(|(peer, t)| latest.get(peer).map_or(0, |d| (*d).min(*t)))
                .sum();
            let percent = match (sizing.and_then(|s| s.basis), total) {
                (None, _) => None,
                (Some(_), 0) => Some(0.0),
                (Some(_), t) => Some((100.0 * counted as f64 / t as f64).min(100.0)),
            };
            Point {
                at,
                done,
                percent,
                nodes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::{Basis, NodeWork};
    use chrono::TimeZone;

    fn s(at: i64, peer: u128, done: i64) -> ProgressSample {
        ProgressSample {
            at: Utc.timestamp_opt(1_800_000_000 + at, 0).unwrap(),
            peer_id: Uuid::from_u128(peer),
            done,
            files: 0,
            size_bytes: 0,
            scanned: done,
            failures: 0,
            runtime_secs: at as f64,
        }
    }

    #[test]
    fn points_carry_each_nodes_latest_sample_forward() {
        let sizing = Sizing {
            basis: Some(Basis::Files),
            nodes: [(1, 100), (2, 300)]
                .into_iter()
                .map(|(p, total)| NodeWork {
                    peer_id: Uuid::from_u128(p),
                    basis: Basis::Files,
                    total,
                })
                .collect(),
            note: None,
        };
        let samples = [
            s(10, 2, 30),
            s(0, 1, 0),
            s(0, 2, 0),
            s(10, 1, 50),
            s(20, 1, 150),
        ];
        let points = series(&samples, Some(&sizing));
        let got: Vec<(i64, Option<f64>, usize)> = points
            .iter()
            .map(|p| (p.done, p.percent, p.nodes.len()))
            .collect();
        // At 20 s node 1 has done more than sized: it counts as its whole work, no more.
        assert_eq!(
            got,
            vec![(0, Some(0.0), 2), (80, Some(20.0), 2), (180, Some(32.5), 1)]
        );
        assert!(points.windows(2).all(|w| w[0].at < w[1].at));
        let unsized_points = series(&samples, None);
        assert!(unsized_points.iter().all(|p| p.percent.is_none()));
        assert!(series(&[], Some(&sizing)).is_empty());
    }
}
