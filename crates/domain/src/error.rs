//! Errors raised by domain rules.

use thiserror::Error;

/// A domain rule was broken: bad names, or a request the volume cannot accept.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// A volume name does not follow gluster's rules.
    #[error("invalid volume name {name:?}: {reason}")]
    InvalidVolumeName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A brick is not of the form `host:/absolute/path` with gluster's allowed characters.
    #[error("invalid brick {brick:?}: {reason}")]
    InvalidBrick {
        /// The brick as given.
        brick: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The volume cannot run the requested task; the message says why.
    #[error("{0}")]
    NotEligible(String),
    /// A job state change that the state machine forbids.
    #[error("a job cannot go from {from} to {to}")]
    IllegalTransition {
        /// Current state.
        from: &'static str,
        /// Requested state.
        to: &'static str,
    },
}
