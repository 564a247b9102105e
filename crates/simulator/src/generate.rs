//! Larger simulated clusters, for the benchmark (`scripts/bench`): the default cluster plus
//! any number of generated volumes.

use crate::state::{SimBrick, SimState};

impl SimState {
    /// The default cluster ([`SimState::default`]) plus `extra` started distribute volumes
    /// named `bench0001`, `bench0002`, … with two bricks each, on two different peers (so a
    /// rebalance runs on two nodes), each with its own UUID.
    pub fn with_extra_volumes(extra: usize) -> SimState {
        let mut st = SimState::default();
        let Some(template) = st.volumes.first().cloned() else {
            return st;
        };
        let peers = st.peers.len().max(1);
        for i in 0..extra {
            let name = format!("bench{:04}", i + 1);
            let mut v = template.clone();
            v.id = uuid::Uuid::new_v4();
            // Unequal bricks, so that a rebalance moves files.
            v.bricks = (0..2)
                .map(|b| {
                    let path = format!("/bricks/{name}/b{}", b + 1);
                    let files = 900 - 500 * b as i64;
                    SimBrick::with_contents((i + b) % peers, &path, files, 40, 512, "xfs")
                })
                .collect();
            v.name = name;
            st.volumes.push(v);
        }
        st
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use crate::{run, state, SimOptions};

    #[test]
    fn extra_volumes_are_distinct_started_distribute_volumes_gluster_lists() {
        let st = super::SimState::with_extra_volumes(3);
        assert_eq!(st.volumes.len(), 4 + 3);
        let mut ids: Vec<_> = st.volumes.iter().map(|v| v.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 7, "every volume has its own id");
        let extra = &st.volumes[4..];
        let names: Vec<&str> = extra.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["bench0001", "bench0002", "bench0003"]);
        for v in extra {
            assert_eq!(
                (v.type_str.as_str(), v.status_str.as_str()),
                ("Distribute", "Started")
            );
            assert_eq!(v.brick_peers().len(), 2, "{}: bricks on two peers", v.name);
            assert!(v.rebalance.is_none() && v.remove_brick.is_none());
        }

        // The simulator answers for them like for the default volumes.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        state::save(&path, &st).unwrap();
        let opts = SimOptions {
            state: path,
            node: 0,
            task_secs: 30.0,
            call_log: None,
        };
        let args = |line: &str| {
            format!("--mode=script --xml {line}")
                .split(' ')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let info = run(&opts, &args("volume info"));
        assert_eq!(info.code, 0, "{}", info.stderr);
        assert_eq!(info.stdout.matches("<name>bench0").count(), 3);
        let start = run(&opts, &args("volume rebalance bench0002 start"));
        assert_eq!(start.code, 0, "{}", start.stdout);
        let tasks = run(&opts, &args("volume status all tasks"));
        assert!(tasks.stdout.contains("bench0002"), "{}", tasks.stdout);
    }
}
