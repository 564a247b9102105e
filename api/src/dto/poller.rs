//! How this replica's poller of a cluster is doing, for `GET /clusters`.

use chrono::{DateTime, Utc};
use scheduler::{WorkerPhase, WorkerStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// What a poller thread does.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollerState {
    /// Not running (the service is starting or shutting down).
    Stopped,
    /// Another replica holds the cluster's lease and polls it (`polled_by`).
    Standby,
    /// Waiting for its next cycle.
    Idle,
    /// Running a cycle now.
    Busy,
    /// Waiting longer than usual after failed cycles (`failed_polls`).
    BackingOff,
}

/// This replica's poller of the cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollerDto {
    /// What it does now.
    pub state: PollerState,
    /// When its last cycle ended.
    pub last_cycle_at: Option<DateTime<Utc>>,
    /// How long its last cycle took, in milliseconds.
    pub last_cycle_ms: Option<u64>,
    /// Cycles this replica has run on the cluster since it started.
    pub cycles: u64,
}

impl From<WorkerStatus> for PollerDto {
    fn from(w: WorkerStatus) -> Self {
        PollerDto {
            state: match w.phase {
                WorkerPhase::Stopped => PollerState::Stopped,
                WorkerPhase::Standby => PollerState::Standby,
                WorkerPhase::Idle => PollerState::Idle,
                WorkerPhase::Busy => PollerState::Busy,
                WorkerPhase::BackingOff => PollerState::BackingOff,
            },
            last_cycle_at: w.last_cycle_at,
            last_cycle_ms: w.last_cycle_ms,
            cycles: w.cycles,
        }
    }
}
