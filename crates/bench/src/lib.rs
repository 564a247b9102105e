//! The benchmark's tools, driven by `scripts/bench` (see docs/performance.md).
//!
//! - `bench-seed` writes a simulated cluster (the simulator's state file, with running tasks)
//!   and fills a store with ended jobs through the persistence crate's public repository
//!   functions only, so it keeps working as the schema changes.
//! - `bench-bare` serves a JSON body the size of a job from a bare actix-web handler: the
//!   ceiling the service is measured against, in the same run on the same machine.
//!
//! Nothing in the workspace depends on this crate.

pub mod bare;
pub mod history;
pub mod seed;
pub mod sim;
