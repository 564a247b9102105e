//! Errors of the scheduler layer.

use domain::{DomainError, JobStatus, TaskKind};
use gluster::DriverError;
use persistence::PersistenceError;
use thiserror::Error;
use uuid::Uuid;

/// An operation requested through the API could not be done.
#[derive(Debug, Error)]
pub enum OpError {
    /// No volume with that id in the inventory.
    #[error("volume {0} not found")]
    VolumeNotFound(Uuid),
    /// No job with that id.
    #[error("job {0} not found")]
    JobNotFound(Uuid),
    /// Nothing of that kind ever ran on the volume.
    #[error("no {kind} has run on volume {volume}")]
    NoTask {
        /// Task kind.
        kind: TaskKind,
        /// Volume name.
        volume: String,
    },
    /// Another task holds the volume.
    #[error("volume {volume} already has an active {kind} job {job_id} ({status})")]
    ActiveJob {
        /// Volume name.
        volume: String,
        /// The blocking job.
        job_id: Uuid,
        /// Its kind.
        kind: TaskKind,
        /// Its state.
        status: JobStatus,
    },
    /// The request breaks a domain rule (bad options, volume not eligible).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// Gluster refused the command; `message` is its own text.
    #[error("gluster refused: {message}")]
    GlusterRefused {
        /// Gluster's message.
        message: String,
        /// The refusal means a task is already running (conflict) rather than a bad request.
        conflict: bool,
    },
    /// A commit that would not be safe (migration incomplete or files failed to migrate).
    #[error("commit refused: {0}")]
    CommitRefused(String),
    /// Gluster could not be reached (every host failed or timed out).
    #[error("gluster is unavailable: {0}")]
    GlusterUnavailable(String),
    /// The volume's cluster is not in the configuration (a store shared with other settings).
    #[error("cluster {0} is not configured in this service")]
    ClusterNotConfigured(Uuid),
    /// The store failed.
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
}

impl OpError {
    /// Classifies a driver error of a write command: a refusal that means another task or
    /// transaction holds the volume is a conflict (see [`gluster::Refusal::is_conflict`]).
    pub fn from_driver(e: DriverError) -> Self {
        let conflict = e.refusal().is_some_and(gluster::Refusal::is_conflict);
        match e {
            DriverError::Gluster { message, errno } => {
                log::info!("gluster refused the command (errno {errno}): {message}");
                OpError::GlusterRefused { message, conflict }
            }
            other => OpError::GlusterUnavailable(other.to_string()),
        }
    }

    /// Classifies a driver error of a stop or commit: any refusal there means the task is not
    /// in the state the command needs, a conflict.
    pub fn from_driver_as_conflict(e: DriverError) -> Self {
        match OpError::from_driver(e) {
            OpError::GlusterRefused { message, .. } => OpError::GlusterRefused {
                message,
                conflict: true,
            },
            other => other,
        }
    }
}

/// A poll cycle failed; the poller logs it, records it on the cluster and backs off.
#[derive(Debug, Error)]
pub enum PollError {
    /// Gluster could not be asked or answered nonsense.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The store failed.
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// Another replica took over the cluster's lease during the cycle.
    #[error("the cluster's lease passed to another replica")]
    LeaseLost,
}
