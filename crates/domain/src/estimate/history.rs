//! A job's samples over time: which polls to forget so the history stays bounded.

use chrono::{DateTime, Utc};

/// The instants of a job's samples to drop so that at most `max` remain (at least two are
/// always kept: the first and the newest), ascending.
///
/// `ats` are the instants of the polls stored for a job (any order; duplicates count once).
/// Nothing is dropped while there are at most `max`. Beyond that, the first instant and the
/// newest `max / 2` are kept as they are, and from the oldest part between them instants are
/// dropped one at a time, each time the one whose neighbours are closest together (the oldest
/// on ties): on evenly spaced polls that is every other instant, from the oldest on, and once
/// the whole oldest part is at the coarser spacing it is halved again. Called after each poll,
/// this keeps recent history (what rates are computed from) at full resolution and the older
/// history evenly spread over the task's whole course, at a resolution that degrades as the
/// task goes on.
pub fn thin(ats: &[DateTime<Utc>], max: usize) -> Vec<DateTime<Utc>> {
    let max = max.max(2);
    let mut kept: Vec<DateTime<Utc>> = ats.to_vec();
    kept.sort_unstable();
    kept.dedup();
    let mut dropped = Vec::new();
    while kept.len() > max {
        // kept.len() > max >= 2, so the oldest part `1..old_end` holds at least one instant,
        // and each of them has a neighbour on both sides.
        let old_end = kept.len() - max / 2;
        let densest = (1..old_end).min_by_key(|&i| (kept[i + 1] - kept[i - 1], i));
        let Some(i) = densest else { break };
        dropped.push(kept.remove(i));
    }
    dropped.sort_unstable();
    dropped
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may panic

    use super::thin;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    fn at(i: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(i)
    }

    fn ats(range: std::ops::Range<i64>) -> Vec<DateTime<Utc>> {
        range.map(at).collect()
    }

    /// The instants, as seconds after the start, that `thin` drops.
    fn dropped(instants: &[DateTime<Utc>], max: usize) -> Vec<i64> {
        let t = at(0);
        thin(instants, max)
            .into_iter()
            .map(|d| (d - t).num_seconds())
            .collect()
    }

    #[test]
    fn drops_every_other_instant_of_the_oldest_part() {
        // (instants 0..n, max, the instants dropped)
        let cases: &[(i64, usize, &[i64])] = &[
            (0, 4, &[]),
            (3, 4, &[]),
            (4, 4, &[]),
            // The newest two (max / 2) and the first stay; 1 is the oldest part.
            (5, 4, &[1]),
            (11, 10, &[1]),
            (12, 10, &[1, 3]),
            // Every other one (1, 3, 5, 7, 9), then every other one of what is left (2, 6).
            (13, 6, &[1, 2, 3, 5, 6, 7, 9]),
            // Fewer than two are never kept.
            (5, 0, &[1, 2, 3]),
            (5, 1, &[1, 2, 3]),
            (3, 2, &[1]),
        ];
        for (n, max, expected) in cases {
            assert_eq!(dropped(&ats(0..*n), *max), *expected, "n {n}, max {max}");
        }
    }

    #[test]
    fn unsorted_and_repeated_instants_count_once() {
        let mut instants = ats(0..5);
        instants.reverse();
        instants.push(at(2));
        assert_eq!(dropped(&instants, 4), [1]);
    }

    #[test]
    fn a_history_thinned_after_every_poll_stays_bounded_and_spans_the_whole_task() {
        for max in [2, 3, 10, 120] {
            let mut stored: Vec<DateTime<Utc>> = Vec::new();
            for poll in 0..2_000 {
                stored.push(at(poll));
                let drop = thin(&stored, max);
                stored.retain(|a| !drop.contains(a));
                assert!(stored.len() <= max.max(2), "max {max}: {}", stored.len());
                assert_eq!(stored.first(), Some(&at(0)), "max {max}: the first stays");
                assert_eq!(
                    stored.last(),
                    Some(&at(poll)),
                    "max {max}: the newest stays"
                );
            }
            // The newest half is at full resolution.
            let newest: Vec<DateTime<Utc>> = ats(2_000 - i64::try_from(max / 2).unwrap()..2_000);
            assert!(stored.ends_with(&newest), "max {max}");
        }
    }

    #[test]
    fn older_history_is_sparser_than_recent_history() {
        let max = 100;
        let mut stored: Vec<DateTime<Utc>> = Vec::new();
        for poll in 0..5_000 {
            stored.push(at(poll));
            let drop = thin(&stored, max);
            stored.retain(|a| !drop.contains(a));
        }
        let older = stored.iter().filter(|a| **a < at(2_500)).count();
        let recent = stored.iter().filter(|a| **a >= at(4_500)).count();
        assert!(older > 1, "the older half is still represented: {older}");
        assert!(recent > older, "recent {recent}, older {older}");
        // The older history is spread evenly: no gap is far wider than the average one.
        let newest_kept = max / 2;
        let old = &stored[..stored.len() - newest_kept];
        let gaps: Vec<i64> = old
            .windows(2)
            .map(|w| (w[1] - w[0]).num_seconds())
            .collect();
        let average = gaps.iter().sum::<i64>() / i64::try_from(gaps.len()).unwrap();
        let widest = gaps.iter().copied().max().unwrap();
        assert!(widest <= 2 * average, "widest {widest}, average {average}");
    }
}
