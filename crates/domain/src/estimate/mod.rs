//! Progress a person can trust: how much work a task has, how much is done, how fast it goes
//! and when it will end. Pure functions of what gluster reported; the poller stores what they
//! return ([`JobProgress`] on the job, [`NodeEstimate`] per node, [`ProgressSample`] as history).
//!
//! - [`work`] sizes a task at its start from `volume status VOL detail` ([`BrickUsage`]): the
//!   files a node's rebalance will scan, the bytes on the bricks a removal empties.
//! - [`stall`] marks nodes whose counters and run time stopped moving.
//! - [`rate`] turns recent samples into a rate and a time left per node, and the job's figures.
//! - [`history`] thins a job's samples; [`series`] turns them into points for plotting.
//!
//! [`BrickUsage`]: crate::BrickUsage

pub mod history;
pub mod rate;
pub mod series;
pub mod stall;
pub mod work;

mod types;

pub use types::*;
