//! The simulator's integration tests, one binary: its commands against the driver's parsers,
//! the shape of its XML against real gluster 10.3 captures, its test knobs, and its model of
//! the bricks' contents and of the nodes' rates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod commands;
mod knobs;
mod pause;
mod structure;
mod stuck_and_slow;
mod usage;
