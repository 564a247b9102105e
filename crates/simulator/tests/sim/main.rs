//! The simulator's integration tests, one binary: its commands against the driver's parsers,
//! the shape of its XML against real gluster 10.3 captures, and its test knobs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod commands;
mod knobs;
mod structure;
mod stuck_and_slow;
