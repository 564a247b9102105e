//! The [`Gluster`] operations and the CLI implementation that runs them on a cluster's hosts.

use crate::observe::{command_name, CallObserver, CallOutcome};
use crate::process::{self, RunError};
use crate::{
    parse, DriverError, HealInfo, RebalanceOptions, Refusal, TaskReport, VolumeInfo, VolumeTasks,
};
use domain::{BrickName, Peer, VolumeName};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The gluster operations the service needs. [`CliDriver`] runs them with the gluster CLI;
/// tests substitute their own implementation.
pub trait Gluster: Send + Sync {
    /// `pool list`: every peer, the answering one as `localhost`.
    fn pool_list(&self) -> Result<Vec<Peer>, DriverError>;
    /// `volume info` (all volumes) or `volume info VOL`.
    fn volume_info(&self, volume: Option<&VolumeName>) -> Result<Vec<VolumeInfo>, DriverError>;
    /// `volume status all tasks`: the tasks of every volume, in one call.
    fn status_all_tasks(&self) -> Result<Vec<VolumeTasks>, DriverError>;
    /// `volume rebalance VOL [fix-layout] start [force]`: the new task's id.
    fn rebalance_start(
        &self,
        volume: &VolumeName,
        options: RebalanceOptions,
    ) -> Result<Option<Uuid>, DriverError>;
    /// `volume rebalance VOL status`.
    fn rebalance_status(&self, volume: &VolumeName) -> Result<TaskReport, DriverError>;
    /// `volume rebalance VOL stop`: the status as the stop left it.
    fn rebalance_stop(&self, volume: &VolumeName) -> Result<TaskReport, DriverError>;
    /// `volume remove-brick VOL BRICK… start`: the new task's id.
    fn remove_brick_start(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<Option<Uuid>, DriverError>;
    /// `volume remove-brick VOL BRICK… status`.
    fn remove_brick_status(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<TaskReport, DriverError>;
    /// `volume remove-brick VOL BRICK… stop`: the status as the stop left it.
    fn remove_brick_stop(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<TaskReport, DriverError>;
    /// `volume remove-brick VOL BRICK… commit`.
    fn remove_brick_commit(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<(), DriverError>;
    /// `volume remove-brick VOL [replica N] BRICK… force`: removal without migration.
    fn remove_brick_force(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
        replica_count: Option<u32>,
    ) -> Result<(), DriverError>;
    /// `volume heal VOL info`: entries pending heal per brick.
    fn heal_info(&self, volume: &VolumeName) -> Result<HealInfo, DriverError>;
    /// `volume status VOL detail`: each brick's filesystem usage (sizes, inodes, device).
    fn volume_usage(&self, volume: &VolumeName) -> Result<Vec<domain::BrickUsage>, DriverError>;
    /// The host that answered last (the one the next call goes to first), when the
    /// implementation has several.
    fn active_host(&self) -> Option<String> {
        None
    }
}

/// How to run `gluster` for one host: the argv prefix before `--mode=script --xml …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCommand {
    /// The host's address, for messages and failover bookkeeping.
    pub address: String,
    /// Program and leading arguments, e.g. `["gluster"]` or `["ssh", "root@h1", "gluster"]`.
    pub prefix: Vec<String>,
}

/// Runs the gluster CLI on a cluster's hosts: the host that last answered first, then the others
/// in order when a host fails (spawn failure, timeout, "Connection failed", output that is not
/// a gluster answer). A refusal from gluster is an answer and is returned at once.
#[derive(Debug)]
pub struct CliDriver {
    hosts: Vec<HostCommand>,
    timeout: Duration,
    preferred: AtomicUsize,
    lock_retries: u32,
    lock_backoff: Duration,
    observer: Option<Arc<dyn CallObserver>>,
}

/// gluster's errno for "Another transaction is in progress" (`EG_ANOTRANS`).
pub const EG_ANOTRANS: i64 = 30802;

/// glusterd refused because another command holds the cluster (or volume) lock. Such a command
/// was not executed, so it is safe to run again.
///
/// Same as `e.refusal() == Some(Refusal::LockHeld)`; prefer that ([`DriverError::refusal`]).
pub fn is_lock_contention(e: &DriverError) -> bool {
    e.refusal() == Some(Refusal::LockHeld)
}

/// A task daemon (the rebalance process on some node) failed to answer glusterd's brick op:
/// "Brick ops failed on 192.0.2.13. Glusterd Syncop Mgmt brick op 'Rebalance' failed. …".
/// Seen on GlusterFS 10.3 when `status` or `stop` reaches a node whose rebalance process is
/// exiting (it just completed, or is being stopped); a moment later the same command answers.
/// Only reads and stops of a task are retried on it (`Retry::LockAndDaemon`).
///
/// Same as `e.refusal() == Some(Refusal::TaskDaemonBusy)`; prefer that
/// ([`DriverError::refusal`]).
pub fn is_task_daemon_blip(e: &DriverError) -> bool {
    e.refusal() == Some(Refusal::TaskDaemonBusy)
}

/// Which refusals a command is run again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Lock contention only: the command was not executed.
    Lock,
    /// Lock contention and a task daemon's brick-op blip: for task `status` and `stop`, which
    /// are safe to repeat (a second stop of a stopped task changes nothing).
    LockAndDaemon,
}

impl CliDriver {
    /// A driver over `hosts` with a per-call `timeout`.
    pub fn new(hosts: Vec<HostCommand>, timeout: Duration) -> Self {
        Self {
            hosts,
            timeout,
            preferred: AtomicUsize::new(0),
            lock_retries: 6,
            lock_backoff: Duration::from_millis(250),
            observer: None,
        }
    }

    /// Tells `observer` about every invocation (each host tried, each retry).
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// How often and how patiently a command refused for lock contention is retried (the
    /// wait doubles from `backoff`).
    pub fn with_lock_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.lock_retries = retries;
        self.lock_backoff = backoff;
        self
    }

    /// The address of the host that answered last (or that will be tried first).
    pub fn preferred_host(&self) -> Option<&str> {
        self.hosts
            .get(self.preferred.load(Ordering::Relaxed))
            .map(|h| h.address.as_str())
    }

    /// Runs the command like [`Self::call_any_host`], again after a growing wait while
    /// glusterd answers that another transaction holds its lock.
    fn call<T>(
        &self,
        args: &[&str],
        parse: impl Fn(&str) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        self.call_retrying(Retry::Lock, args, parse)
    }

    /// Runs a task's `status` or `stop` like [`Self::call`], also again after a task daemon's
    /// brick-op blip ([`is_task_daemon_blip`]).
    fn call_task_query<T>(
        &self,
        args: &[&str],
        parse: impl Fn(&str) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        self.call_retrying(Retry::LockAndDaemon, args, parse)
    }

    fn call_retrying<T>(
        &self,
        retry: Retry,
        args: &[&str],
        parse: impl Fn(&str) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        let retryable = |e: &DriverError| {
            is_lock_contention(e) || (retry == Retry::LockAndDaemon && is_task_daemon_blip(e))
        };
        let mut wait = self.lock_backoff;
        let mut attempt = 0;
        loop {
            match self.call_any_host(args, &parse) {
                Err(e) if retryable(&e) && attempt < self.lock_retries => {
                    attempt += 1;
                    log::debug!(
                        "gluster {}: {e}; retry {attempt} in {wait:?}",
                        args.join(" ")
                    );
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    /// Runs `gluster --mode=script --xml ARGS…` and parses the answer with `parse`.
    fn call_any_host<T>(
        &self,
        args: &[&str],
        parse: &impl Fn(&str) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        if self.hosts.is_empty() {
            return Err(DriverError::NoHosts);
        }
        let first = self.preferred.load(Ordering::Relaxed) % self.hosts.len();
        let mut failures = Vec::new();
        for i in 0..self.hosts.len() {
            let idx = (first + i) % self.hosts.len();
            let host = &self.hosts[idx];
            let began = Instant::now();
            let result = self.call_host(host, args).and_then(|xml| parse(&xml));
            if let Some(o) = &self.observer {
                o.observe(
                    command_name(args),
                    CallOutcome::of(&result),
                    began.elapsed(),
                );
            }
            match result {
                Err(e) if e.is_host_failure() => {
                    log::warn!("gluster {} on {}: {e}", args.join(" "), host.address);
                    failures.push(match e {
                        // Name the host in a parse error too: the message lists every host.
                        DriverError::Parse(p) => DriverError::Transport {
                            host: host.address.clone(),
                            message: p.to_string(),
                        },
                        e => e,
                    });
                }
                other => {
                    self.preferred.store(idx, Ordering::Relaxed);
                    return other;
                }
            }
        }
        Err(match failures.len() {
            1 => failures.remove(0),
            _ => DriverError::NoHostAnswered(failures),
        })
    }

    /// Runs the command on one host and returns its XML stdout.
    fn call_host(&self, host: &HostCommand, args: &[&str]) -> Result<String, DriverError> {
        let mut argv = host.prefix.clone();
        argv.extend(["--mode=script", "--xml"].map(String::from));
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        log::debug!("run {argv:?}");
        let transport = |message: String| DriverError::Transport {
            host: host.address.clone(),
            message,
        };
        let done = process::run(&argv, self.timeout).map_err(|e| match e {
            RunError::TimedOut => DriverError::Timeout {
                host: host.address.clone(),
                after: self.timeout,
            },
            RunError::Spawn(e) => transport(format!("cannot run {:?}: {e}", host.prefix)),
            RunError::Wait(e) => transport(format!("waiting for gluster failed: {e}")),
        })?;
        // gluster exits non-zero on a refusal but still prints its XML answer: XML wins.
        let trimmed = done.stdout.trim_start();
        if trimmed.starts_with("<?xml") || trimmed.starts_with("<cliOutput") {
            return Ok(done.stdout);
        }
        let said = [done.stdout.trim(), done.stderr.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        let said: String = said.chars().take(500).collect();
        Err(transport(match done.code {
            Some(0) => format!("exit 0, output is not XML: {said}"),
            Some(code) => format!("exit {code}: {said}"),
            None => format!("killed by a signal: {said}"),
        }))
    }
}

/// `volume remove-brick VOL [replica N] BRICK… ACTION` as argv words.
fn remove_brick_args<'a>(
    volume: &'a VolumeName,
    replica: Option<&'a str>,
    bricks: &'a [BrickName],
    action: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["volume", "remove-brick", volume.as_str()];
    if let Some(r) = replica {
        args.extend(["replica", r]);
    }
    args.extend(bricks.iter().map(BrickName::as_str));
    args.push(action);
    args
}

impl Gluster for CliDriver {
    fn pool_list(&self) -> Result<Vec<Peer>, DriverError> {
        self.call(&["pool", "list"], parse::peers)
    }

    fn volume_info(&self, volume: Option<&VolumeName>) -> Result<Vec<VolumeInfo>, DriverError> {
        match volume {
            Some(v) => self.call(&["volume", "info", v.as_str()], parse::volume_info),
            None => self.call(&["volume", "info"], parse::volume_info),
        }
    }

    fn status_all_tasks(&self) -> Result<Vec<VolumeTasks>, DriverError> {
        self.call(&["volume", "status", "all", "tasks"], parse::status_tasks)
    }

    fn rebalance_start(
        &self,
        volume: &VolumeName,
        options: RebalanceOptions,
    ) -> Result<Option<Uuid>, DriverError> {
        let v = volume.as_str();
        let args: &[&str] = match (options.fix_layout, options.force) {
            (true, _) => &["volume", "rebalance", v, "fix-layout", "start"],
            (false, true) => &["volume", "rebalance", v, "start", "force"],
            (false, false) => &["volume", "rebalance", v, "start"],
        };
        self.call(args, parse::rebalance_started)
    }

    fn rebalance_status(&self, volume: &VolumeName) -> Result<TaskReport, DriverError> {
        self.call_task_query(
            &["volume", "rebalance", volume.as_str(), "status"],
            parse::rebalance_report,
        )
    }

    fn rebalance_stop(&self, volume: &VolumeName) -> Result<TaskReport, DriverError> {
        self.call_task_query(
            &["volume", "rebalance", volume.as_str(), "stop"],
            parse::rebalance_report,
        )
    }

    fn remove_brick_start(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<Option<Uuid>, DriverError> {
        self.call(
            &remove_brick_args(volume, None, bricks, "start"),
            parse::remove_brick_done,
        )
    }

    fn remove_brick_status(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<TaskReport, DriverError> {
        self.call_task_query(
            &remove_brick_args(volume, None, bricks, "status"),
            parse::remove_brick_report,
        )
    }

    fn remove_brick_stop(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<TaskReport, DriverError> {
        self.call_task_query(
            &remove_brick_args(volume, None, bricks, "stop"),
            parse::remove_brick_report,
        )
    }

    fn remove_brick_commit(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
    ) -> Result<(), DriverError> {
        self.call(
            &remove_brick_args(volume, None, bricks, "commit"),
            parse::remove_brick_done,
        )
        .map(|_| ())
    }

    fn remove_brick_force(
        &self,
        volume: &VolumeName,
        bricks: &[BrickName],
        replica_count: Option<u32>,
    ) -> Result<(), DriverError> {
        let replica = replica_count.map(|r| r.to_string());
        self.call(
            &remove_brick_args(volume, replica.as_deref(), bricks, "force"),
            parse::remove_brick_done,
        )
        .map(|_| ())
    }

    fn heal_info(&self, volume: &VolumeName) -> Result<HealInfo, DriverError> {
        self.call(
            &["volume", "heal", volume.as_str(), "info"],
            parse::heal_info,
        )
    }

    fn volume_usage(&self, volume: &VolumeName) -> Result<Vec<domain::BrickUsage>, DriverError> {
        let name = volume.as_str();
        let volumes = self.call(&["volume", "status", name, "detail"], crate::volume_usage)?;
        Ok(volumes
            .into_iter()
            .find(|v| v.volume == name)
            .map(|v| v.bricks)
            .unwrap_or_default())
    }

    fn active_host(&self) -> Option<String> {
        self.preferred_host().map(str::to_owned)
    }
}
