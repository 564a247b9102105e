//! Knob `start_delay_ms`: a rebalance or remove-brick start that will succeed answers late, as
//! real glusterd does (about 10 s while it spawns and connects the rebalance processes).

use crate::commands::dispatch;
use crate::state::SimState;
use crate::SimOptions;
use std::time::Duration;

/// The volume a start command line names, if `w` is one (`volume rebalance VOL start
/// [force]`, `volume rebalance VOL fix-layout start`, `volume remove-brick VOL … start`).
fn started_volume<'a>(w: &[&'a str]) -> Option<&'a str> {
    match w {
        ["volume", "rebalance", name, "start"]
        | ["volume", "rebalance", name, "start", "force"]
        | ["volume", "rebalance", name, "fix-layout", "start"] => Some(name),
        ["volume", "remove-brick", name, .., "start"] => Some(name),
        _ => None,
    }
}

/// How the start command `w` waits before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delay {
    /// How long.
    pub(crate) wait: Duration,
    /// Whether the state stays locked meanwhile (knob `start_holds_lock`).
    pub(crate) locked: bool,
}

/// The wait of the start command `w`: the volume's `start_delay_ms` when it is set and the
/// start would succeed on the state as it is now (refusals answer at once, as glusterd
/// refuses in its staging phase before spawning anything).
pub(crate) fn delay(st: &SimState, opts: &SimOptions, w: &[&str]) -> Option<Delay> {
    let name = started_volume(w)?;
    let v = st
        .volumes
        .iter()
        .find(|v| v.name == name)
        .filter(|v| v.start_delay_ms > 0)?;
    let delay = Delay {
        wait: Duration::from_millis(v.start_delay_ms),
        locked: v.start_holds_lock,
    };
    let mut trial = st.clone();
    let reply = dispatch(&mut trial, opts, w);
    reply.stdout.contains("<opRet>0</opRet>").then_some(delay)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;

    fn opts() -> SimOptions {
        SimOptions {
            state: "/nonexistent/s.json".into(),
            node: 0,
            task_secs: 30.0,
            call_log: None,
        }
    }

    fn words(line: &str) -> Vec<&str> {
        line.split(' ').collect()
    }

    #[test]
    fn only_starts_that_would_succeed_on_a_slow_volume_wait() {
        let mut st = SimState::default();
        st.volumes[0].start_delay_ms = 250;
        let slow = Some(Delay {
            wait: Duration::from_millis(250),
            locked: false,
        });
        for line in [
            "volume rebalance dist start",
            "volume rebalance dist start force",
            "volume rebalance dist fix-layout start",
            "volume remove-brick dist server1:/bricks/dist/b4 start",
        ] {
            assert_eq!(delay(&st, &opts(), &words(line)), slow, "{line}");
        }
        for line in [
            "volume rebalance dist status",
            "volume remove-brick dist server1:/bricks/dist/b4 force",
            "volume remove-brick dist server3:/nope start",
            "volume rebalance distrep start",
        ] {
            assert_eq!(delay(&st, &opts(), &words(line)), None, "{line}");
        }
        // The trial run leaves the state alone.
        assert!(st.volumes[0].rebalance.is_none());
        st.volumes[0].start_holds_lock = true;
        let held = delay(&st, &opts(), &words("volume rebalance dist start"));
        assert_eq!(held.map(|d| d.locked), Some(true));
    }
}
