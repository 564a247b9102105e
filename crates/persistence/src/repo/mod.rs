//! Repositories: one module per aggregate, plain functions over `&mut DbConnection`.

pub mod clusters;
pub mod jobs;
pub mod leases;
pub mod volumes;
