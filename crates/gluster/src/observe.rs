//! What the driver reports about each gluster invocation, for whoever counts them (the
//! service's metrics): which command, how it ended, how long it took. The command is a fixed
//! name, never an argument: volume and brick names would make the labels unbounded.

use crate::DriverError;
use std::time::Duration;

/// How one invocation of gluster on one host ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// Gluster answered and did it.
    Ok,
    /// Gluster answered and refused (`opRet` not 0).
    Refused,
    /// It ran past the timeout and was killed.
    Timeout,
    /// It could not be run, or printed no answer.
    Transport,
    /// It answered with XML of an unexpected shape.
    Unparsable,
}

impl CallOutcome {
    /// The outcome of a call that ended with `result`.
    pub fn of<T>(result: &Result<T, DriverError>) -> Self {
        match result {
            Ok(_) => CallOutcome::Ok,
            Err(DriverError::Gluster { .. }) => CallOutcome::Refused,
            Err(DriverError::Timeout { .. }) => CallOutcome::Timeout,
            Err(DriverError::Parse(_)) => CallOutcome::Unparsable,
            Err(_) => CallOutcome::Transport,
        }
    }

    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Refused => "refused",
            CallOutcome::Timeout => "timeout",
            CallOutcome::Transport => "transport",
            CallOutcome::Unparsable => "unparsable",
        }
    }
}

/// Told about every gluster invocation the driver makes (each host tried, each retry).
pub trait CallObserver: Send + Sync + std::fmt::Debug {
    /// `command` ended with `outcome` after `elapsed`.
    fn observe(&self, command: &'static str, outcome: CallOutcome, elapsed: Duration);
}

/// The fixed name of the command `args` (gluster's arguments after `--mode=script --xml`).
pub fn command_name(args: &[&str]) -> &'static str {
    let last = args.last().copied().unwrap_or("");
    match args {
        ["pool", "list", ..] => "pool list",
        ["peer", "status", ..] => "peer status",
        ["volume", "info", ..] => "volume info",
        ["volume", "status", "all", "tasks"] => "volume status tasks",
        ["volume", "status", _, "detail"] => "volume status detail",
        ["volume", "status", ..] => "volume status",
        ["volume", "heal", _, "info", ..] => "volume heal info",
        ["volume", "rebalance", ..] => match last {
            "status" => "volume rebalance status",
            "stop" => "volume rebalance stop",
            "start" | "force" => "volume rebalance start",
            _ => "volume rebalance other",
        },
        ["volume", "remove-brick", ..] => match last {
            "start" => "volume remove-brick start",
            "status" => "volume remove-brick status",
            "stop" => "volume remove-brick stop",
            "commit" => "volume remove-brick commit",
            "force" => "volume remove-brick force",
            _ => "volume remove-brick other",
        },
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseError;

    #[test]
    fn commands_are_named_without_their_arguments() {
        for (args, want) in [
            (&["pool", "list"][..], "pool list"),
            (&["volume", "info"][..], "volume info"),
            (&["volume", "info", "vol-1"][..], "volume info"),
            (
                &["volume", "status", "all", "tasks"][..],
                "volume status tasks",
            ),
            (
                &["volume", "status", "v", "detail"][..],
                "volume status detail",
            ),
            (&["volume", "status", "v"][..], "volume status"),
            (&["volume", "heal", "v", "info"][..], "volume heal info"),
            (
                &["volume", "rebalance", "v", "start"][..],
                "volume rebalance start",
            ),
            (
                &["volume", "rebalance", "v", "fix-layout", "start"][..],
                "volume rebalance start",
            ),
            (
                &["volume", "rebalance", "v", "start", "force"][..],
                "volume rebalance start",
            ),
            (
                &["volume", "rebalance", "v", "status"][..],
                "volume rebalance status",
            ),
            (
                &["volume", "rebalance", "v", "stop"][..],
                "volume rebalance stop",
            ),
            (
                &["volume", "remove-brick", "v", "h:/b1", "h:/b2", "start"][..],
                "volume remove-brick start",
            ),
            (
                &[
                    "volume",
                    "remove-brick",
                    "v",
                    "replica",
                    "2",
                    "h:/b",
                    "force",
                ][..],
                "volume remove-brick force",
            ),
            (
                &["volume", "remove-brick", "v", "h:/b", "commit"][..],
                "volume remove-brick commit",
            ),
            (
                &["volume", "remove-brick", "v", "h:/b", "stop"][..],
                "volume remove-brick stop",
            ),
            (
                &["volume", "remove-brick", "v", "h:/b", "status"][..],
                "volume remove-brick status",
            ),
            (&["volume", "frobnicate"][..], "other"),
            (&[][..], "other"),
        ] {
            assert_eq!(command_name(args), want, "{args:?}");
        }
    }

    #[test]
    fn outcomes_follow_the_error() {
        let host = || "h".to_owned();
        for (r, want) in [
            (Ok(()), CallOutcome::Ok),
            (
                Err(DriverError::Gluster {
                    errno: 1,
                    message: "no".into(),
                }),
                CallOutcome::Refused,
            ),
            (
                Err(DriverError::Timeout {
                    host: host(),
                    after: Duration::from_secs(1),
                }),
                CallOutcome::Timeout,
            ),
            (
                Err(DriverError::Transport {
                    host: host(),
                    message: "x".into(),
                }),
                CallOutcome::Transport,
            ),
            (
                Err(DriverError::Parse(ParseError::NotXml("bad".into()))),
                CallOutcome::Unparsable,
            ),
        ] {
            assert_eq!(CallOutcome::of(&r), want);
        }
    }
}
