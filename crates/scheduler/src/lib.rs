//! Task operations and the background scheduler.
//!
//! [`Operations`] starts and stops tasks for the API: it writes the job before calling gluster
//! and records gluster's task id after. One [`ClusterPoller`] per cluster keeps jobs in step
//! with gluster (see [`poll`]): each cycle makes one `volume status all tasks` call plus one
//! status call per task it follows, refreshes the inventory at a slower pace, adopts tasks
//! started with the gluster CLI, and writes only what changed. [`Housekeeping`] purges what has
//! outlived its retention. All take their clock and driver by injection.

pub mod clock;
pub mod cluster;
pub mod error;
pub mod housekeeping;
pub mod inventory;
pub mod journal;
pub mod lease;
pub mod operations;
pub mod poll;
mod reconcile;
pub mod registry;
pub mod removal;
pub mod settings;

pub use clock::{Clock, SystemClock};
pub use cluster::ClusterContext;
pub use error::{OpError, PollError};
pub use housekeeping::{Housekeeping, Purged, IDEMPOTENCY_KEY_RETENTION_HOURS};
pub use journal::Asked;
pub use lease::{LeaseKeeper, Replica};
pub use operations::{Operations, Requester};
pub use poll::{
    ClusterPoller, CycleObserver, CycleOutcome, CycleReport, Scheduler, WorkerPhase, WorkerStatus,
};
pub use registry::{NoWake, Registry, Wake};
pub use removal::{RemovalOutcome, RemoveBricks};
pub use settings::PollSettings;
