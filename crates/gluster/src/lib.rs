//! The gluster CLI driver.
//!
//! Every call is `PREFIX… --mode=script --xml ARGS…` run as an argv (never a shell string), with a
//! timeout, on one of a cluster's hosts. The prefix comes from the operator's configuration only:
//! `["gluster"]` locally, `["ssh", "root@HOST", "gluster"]`, `["nsenter", "-t", "PID", "-m", "-n",
//! "gluster"]` or the simulator (`["gluster-sim", "--state", "FILE"]`) are all just prefixes.
//! Arguments are built from validated domain types only ([`domain::VolumeName`]).

pub mod driver;
pub mod error;
pub mod model;
pub mod observe;
pub mod parse;
pub mod process;
pub mod refusal;
pub mod usage;

pub use driver::{
    is_lock_contention, is_task_daemon_blip, CliDriver, Gluster, HostCommand, EG_ANOTRANS,
};
pub use error::{DriverError, ParseError};
pub use model::{
    BrickInfo, GlusterTask, HealBrick, HealInfo, RebalanceOptions, TaskReport, VolumeInfo,
    VolumeTasks,
};
pub use observe::{CallObserver, CallOutcome};
pub use refusal::Refusal;
pub use usage::{volume_usage, VolumeUsage};
