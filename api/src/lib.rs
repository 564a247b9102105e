//! gluster-tasks: the HTTP layer and the binary.
//!
//! Handlers live in [`routes`], one module per resource; they reach the database and gluster
//! only through [`scheduler::Operations`] and persistence repositories, always via
//! [`state::blocking`] so no blocking call runs on an async worker.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod conventions;
pub mod dto;
pub mod error;
pub mod idempotency;
pub mod job_cache;
pub mod limits;
pub mod methods;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod state;
pub mod tls;
