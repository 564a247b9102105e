//! The domain of gluster-tasks: volumes, bricks, gluster task states, jobs and their steps.
//!
//! This crate holds no I/O. It must not depend on diesel or actix (CI checks this with
//! `cargo tree -p domain -i diesel`), so that every other layer can share its types and rules.

pub mod error;
pub mod estimate;
pub mod job;
pub mod names;
pub mod progress;
pub mod removal;
pub mod task;
pub mod timeline;
pub mod tracking;
pub mod usage;
pub mod volume;

pub use error::DomainError;
pub use job::{Job, JobOrigin, JobStatus, Step, StepKind, StepStatus, TaskParams};
pub use names::{BrickName, VolumeName};
pub use progress::{aggregate_status, commit_blocker, NodeProgress, ProgressTotals};
pub use removal::{RemovalMode, RemovalPlan, RemovalRequest};
pub use task::{TaskKind, TaskStatus};
pub use timeline::{TimelineEntry, TimelineKind};
pub use tracking::Tracking;
pub use usage::BrickUsage;
pub use volume::{Brick, Peer, Volume, VolumeLayout, VolumeStatus, VolumeType};
