//! Errors of the driver layer.

use crate::Refusal;
use std::time::Duration;
use thiserror::Error;

/// The output could not be understood.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not well-formed XML (or not XML at all).
    #[error("output is not XML: {0}")]
    NotXml(String),
    /// The root element is not `<cliOutput>`.
    #[error("root element is <{0}>, expected <cliOutput>")]
    UnexpectedRoot(String),
    /// A required element is missing.
    #[error("missing element <{0}>")]
    Missing(&'static str),
    /// An element holds a value of the wrong shape.
    #[error("element <{element}> holds {value:?}, expected {expected}")]
    BadValue {
        /// The element.
        element: &'static str,
        /// Its text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A task status code that this service does not know.
    #[error("unknown task status code {0}")]
    UnknownStatus(i64),
}

/// A driver call failed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DriverError {
    /// Gluster answered and refused: `opRet` was not 0. `message` is gluster's own text.
    #[error("gluster refused: {message}")]
    Gluster {
        /// `opErrno`.
        errno: i64,
        /// `opErrstr`, or `<output>` when `opErrstr` is empty.
        message: String,
    },
    /// The command could not be run, exited non-zero without XML, or printed no XML.
    #[error("gluster on {host} could not be reached: {message}")]
    Transport {
        /// The host the call ran for.
        host: String,
        /// What went wrong.
        message: String,
    },
    /// The command ran longer than its timeout and was killed.
    #[error("gluster on {host} did not answer within {after:?}")]
    Timeout {
        /// The host the call ran for.
        host: String,
        /// The timeout.
        after: Duration,
    },
    /// The output was XML but not of the expected shape.
    #[error("unexpected gluster output: {0}")]
    Parse(#[from] ParseError),
    /// The driver has no host to run on.
    #[error("no gluster host is configured")]
    NoHosts,
    /// Every configured host failed; each failure, in the order the hosts were tried.
    #[error("no gluster host answered: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NoHostAnswered(Vec<DriverError>),
}

impl DriverError {
    /// A failure to reach gluster at all (the next host may answer), as opposed to an answer.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            DriverError::Transport { .. }
                | DriverError::Timeout { .. }
                | DriverError::NoHostAnswered(_)
        )
    }

    /// The host failed rather than gluster answering: it could not be reached, or what it
    /// printed is not a gluster answer at all (garbage, cut-off XML, another root element).
    /// Another host of the same cluster may well answer.
    pub fn is_host_failure(&self) -> bool {
        self.is_transport()
            || matches!(
                self,
                DriverError::Parse(ParseError::NotXml(_) | ParseError::UnexpectedRoot(_))
            )
    }

    /// What gluster's refusal means, for [`DriverError::Gluster`] (see [`Refusal::classify`]).
    ///
    /// For [`DriverError::NoHostAnswered`] it is the refusal every host gave when all of them
    /// refused the same way (there is at least one host and each failure is a refusal of the same
    /// class), else `None`: a refusal mixed with host failures or with other refusals does not
    /// say what the cluster thinks. [`crate::CliDriver`] itself never builds such a list (a
    /// refusal is an answer and is returned at once), but other [`crate::Gluster`]
    /// implementations may. Every other error is not a refusal: `None`.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            DriverError::Gluster { errno, message } => Some(Refusal::classify(*errno, message)),
            DriverError::NoHostAnswered(all) => {
                let (first, rest) = all.split_first()?;
                let refusal = first.refusal()?;
                rest.iter()
                    .all(|e| e.refusal() == Some(refusal))
                    .then_some(refusal)
            }
            _ => None,
        }
    }

    /// The failures behind this error: each host's for [`DriverError::NoHostAnswered`], else
    /// the error itself.
    pub fn host_failures(&self) -> Vec<&DriverError> {
        match self {
            DriverError::NoHostAnswered(all) => all.iter().collect(),
            other => vec![other],
        }
    }
}
