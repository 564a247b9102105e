//! Settings: defaults, then the TOML config file, then `GLUSTER_TASKS_*` variables, then flags.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// A configuration that cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file or a variable is not valid.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// How to run `gluster` for one host of a cluster.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostSettings {
    /// The host's address (for messages and failover).
    pub address: String,
    /// The command prefix run before `--mode=script --xml …`; default `["gluster"]`.
    #[serde(default = "default_command")]
    pub command: Vec<String>,
}

fn default_command() -> Vec<String> {
    vec!["gluster".to_owned()]
}

/// One gluster trusted pool.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// A unique name; the cluster's id is derived from it.
    pub name: String,
    /// The hosts the CLI may run on, tried in order when one does not answer.
    pub hosts: Vec<HostSettings>,
}

/// The longest interval, timeout or grace period accepted (a year): far beyond any sensible
/// value, and small enough that no timer arithmetic can overflow.
const MAX_SECS: f64 = 365.0 * 86_400.0;
/// The longest job retention accepted (a century).
const MAX_RETENTION_DAYS: f64 = 36_500.0;

/// Poller timing, in seconds.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PollFile {
    /// Seconds between cycles while a task runs.
    pub active_interval_secs: f64,
    /// Seconds between cycles while nothing runs.
    pub idle_interval_secs: f64,
    /// Seconds between inventory refreshes.
    pub inventory_interval_secs: f64,
    /// Longest back-off after failing cycles.
    pub max_backoff_secs: f64,
    /// How long a pending job waits for its task to appear.
    pub pending_timeout_secs: f64,
    /// Timeout of one gluster CLI call.
    pub gluster_timeout_secs: f64,
    /// Cycles in a row a followed task must be missing before its job may become `unknown`.
    pub vanish_misses: u32,
    /// Seconds a followed task must be missing, at least, before its job becomes `unknown`.
    pub vanish_grace_secs: f64,
    /// Seconds a replica's lease on a cluster lasts without renewal: after a replica dies,
    /// another takes its clusters over within this (plus a third of it).
    pub lease_secs: f64,
    /// Days an ended job (succeeded, failed, stopped) is kept before the scheduler purges it.
    pub job_retention_days: f64,
    /// Seconds a task gluster reports in progress may show no movement (no counter, no run
    /// time) before its job is marked stalled (`stalled_since` and a reason; it stays running).
    pub stall_after_secs: f64,
    /// Seconds of recent samples a node's rate (and so the time left) is measured over.
    pub progress_window_secs: f64,
    /// Seconds the samples in that window must span before a time left is given.
    pub progress_min_span_secs: f64,
    /// Most polls of progress samples kept per job; older ones are thinned.
    pub history_polls: usize,
}

impl Default for PollFile {
    fn default() -> Self {
        Self {
            active_interval_secs: 2.0,
            idle_interval_secs: 10.0,
            inventory_interval_secs: 60.0,
            max_backoff_secs: 60.0,
            pending_timeout_secs: 120.0,
            gluster_timeout_secs: 60.0,
            vanish_misses: 3,
            vanish_grace_secs: 600.0,
            lease_secs: 15.0,
            job_retention_days: 30.0,
            stall_after_secs: 900.0,
            progress_window_secs: 300.0,
            progress_min_span_secs: 10.0,
            history_polls: 300,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Listen address.
    pub bind: String,
    /// `sqlite:PATH` (default) or `postgres://…`.
    pub database_url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// SQLite: seconds a write waits for another connection's lock before it is refused (503).
    pub busy_timeout_secs: f64,
    /// Poller timing.
    pub poll: PollFile,
    /// The clusters to manage.
    pub clusters: Vec<ClusterSettings>,
    /// Bearer tokens that may call the API; none: the API is open and listens on loopback only.
    pub tokens: Vec<crate::auth::TokenSettings>,
    /// Serve HTTPS with this certificate and key (default: plain HTTP).
    pub tls: Option<crate::tls::TlsSettings>,
    /// Limits on clients: body deadline, event streams, connections, shutdown.
    pub http: crate::limits::HttpSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            database_url: "sqlite:gluster-tasks.db".to_owned(),
            pool_size: 8,
            busy_timeout_secs: 10.0,
            poll: PollFile::default(),
            clusters: Vec::new(),
            tokens: Vec::new(),
            tls: None,
            http: crate::limits::HttpSettings::default(),
        }
    }
}

impl Settings {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))
    }

    /// Applies `GLUSTER_TASKS_*` variables from `vars` (the process environment in production).
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        // The conventional DATABASE_URL (diesel's, most platforms'), below our own variable.
        if let Some((_, url)) = vars.iter().find(|(k, _)| k == "DATABASE_URL") {
            self.database_url = url.clone();
        }
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("GLUSTER_TASKS_") else {
                continue;
            };
            let secs = |v: &str| -> Result<f64, ConfigError> {
                v.parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| {
                        ConfigError::Invalid(format!(
                            "{key}={v:?} is not a positive number of seconds"
                        ))
                    })
            };
            match name {
                "BIND" => self.bind = value,
                "DATABASE_URL" => self.database_url = value,
                "POOL_SIZE" => {
                    self.pool_size = value.parse().map_err(|_| {
                        ConfigError::Invalid(format!("{key}={value:?} is not a number"))
                    })?
                }
                "BUSY_TIMEOUT_SECS" => self.busy_timeout_secs = secs(&value)?,
                "POLL_ACTIVE_INTERVAL_SECS" => self.poll.active_interval_secs = secs(&value)?,
                "POLL_IDLE_INTERVAL_SECS" => self.poll.idle_interval_secs = secs(&value)?,
                "POLL_INVENTORY_INTERVAL_SECS" => self.poll.inventory_interval_secs = secs(&value)?,
                "POLL_MAX_BACKOFF_SECS" => self.poll.max_backoff_secs = secs(&value)?,
                "POLL_PENDING_TIMEOUT_SECS" => self.poll.pending_timeout_secs = secs(&value)?,
                "GLUSTER_TIMEOUT_SECS" => self.poll.gluster_timeout_secs = secs(&value)?,
                "POLL_LEASE_SECS" => self.poll.lease_secs = secs(&value)?,
                "POLL_STALL_AFTER_SECS" => self.poll.stall_after_secs = secs(&value)?,
                "POLL_PROGRESS_WINDOW_SECS" => self.poll.progress_window_secs = secs(&value)?,
                "POLL_PROGRESS_MIN_SPAN_SECS" => self.poll.progress_min_span_secs = secs(&value)?,
                "POLL_HISTORY_POLLS" => {
                    self.poll.history_polls = value.parse().map_err(|_| {
                        ConfigError::Invalid(format!("{key}={value:?} is not a number"))
                    })?
                }
                "POLL_JOB_RETENTION_DAYS" => {
                    self.poll.job_retention_days = secs(&value).map_err(|_| {
                        ConfigError::Invalid(format!(
                            "{key}={value:?} is not a positive number of days"
                        ))
                    })?
                }
                "POLL_VANISH_MISSES" => {
                    self.poll.vanish_misses = value.parse().map_err(|_| {
                        ConfigError::Invalid(format!("{key}={value:?} is not a number"))
                    })?
                }
                "POLL_VANISH_GRACE_SECS" => {
                    self.poll.vanish_grace_secs = value
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .ok_or_else(|| {
                            ConfigError::Invalid(format!(
                                "{key}={value:?} is not a number of seconds (0 or more)"
                            ))
                        })?
                }
                "CLUSTERS" => {
                    self.clusters = serde_json::from_str(&value).map_err(|e| {
                        ConfigError::Invalid(format!("{key} must be a JSON list of clusters: {e}"))
                    })?
                }
                "TLS_CERT" | "TLS_KEY" => {
                    let path = std::path::PathBuf::from(&value);
                    let tls = self.tls.get_or_insert_with(|| crate::tls::TlsSettings {
                        cert: path.clone(),
                        key: path.clone(),
                    });
                    if name == "TLS_CERT" {
                        tls.cert = path;
                    } else {
                        tls.key = path;
                    }
                }
                "TOKENS" => {
                    self.tokens = serde_json::from_str(&value).map_err(|e| {
                        ConfigError::Invalid(format!(
                            "{key} must be a JSON list of {{\"name\", \"role\", \"sha256\"}}: {e}"
                        ))
                    })?
                }
                // Read by the command line parser itself.
                "CONFIG" | "DEMO_TASK_SECS" | "DEMO_TOKEN" | "DATA_DIR" => {}
                other => {
                    let known = match other.strip_prefix("HTTP_") {
                        Some(setting) => self
                            .http
                            .apply_env(setting, &value)
                            .map_err(ConfigError::Invalid)?,
                        None => false,
                    };
                    if !known {
                        log::warn!("ignoring unknown variable {key}");
                    }
                }
            }
        }
        Ok(())
    }

    /// The configured tokens, checked.
    pub fn tokens(&self) -> Result<crate::auth::Tokens, ConfigError> {
        crate::auth::Tokens::new(&self.tokens).map_err(ConfigError::Invalid)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::auth::check_exposure(&self.bind, &self.tokens()?).map_err(ConfigError::Invalid)?;
        self.http.validate().map_err(ConfigError::Invalid)?;
        let mut names = std::collections::HashSet::new();
        for c in &self.clusters {
            if !names.insert(c.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "cluster {:?} is configured twice",
                    c.name
                )));
            }
            if c.hosts.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "cluster {:?} has no hosts",
                    c.name
                )));
            }
            if let Some(h) = c.hosts.iter().find(|h| h.command.is_empty()) {
                return Err(ConfigError::Invalid(format!(
                    "host {:?} of cluster {:?} has an empty command",
                    h.address, c.name
                )));
            }
        }
        if !(self.busy_timeout_secs.is_finite()
            && self.busy_timeout_secs > 0.0
            && self.busy_timeout_secs <= 3600.0)
        {
            return Err(ConfigError::Invalid(
                "busy_timeout_secs must be more than 0 and at most 3600".to_owned(),
            ));
        }
        let p = &self.poll;
        for (name, v) in [
            ("active_interval_secs", p.active_interval_secs),
            ("idle_interval_secs", p.idle_interval_secs),
            ("inventory_interval_secs", p.inventory_interval_secs),
            ("max_backoff_secs", p.max_backoff_secs),
            ("pending_timeout_secs", p.pending_timeout_secs),
            ("gluster_timeout_secs", p.gluster_timeout_secs),
            ("lease_secs", p.lease_secs),
            ("stall_after_secs", p.stall_after_secs),
            ("progress_window_secs", p.progress_window_secs),
            ("progress_min_span_secs", p.progress_min_span_secs),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= MAX_SECS) {
                return Err(ConfigError::Invalid(format!(
                    "poll.{name} must be a positive number of seconds, at most {MAX_SECS}"
                )));
            }
        }
        if !(p.job_retention_days.is_finite()
            && p.job_retention_days > 0.0
            && p.job_retention_days <= MAX_RETENTION_DAYS)
        {
            return Err(ConfigError::Invalid(format!(
                "poll.job_retention_days must be a positive number of days, at most {MAX_RETENTION_DAYS}"
            )));
        }
        if !(p.vanish_grace_secs.is_finite()
            && p.vanish_grace_secs >= 0.0
            && p.vanish_grace_secs <= MAX_SECS)
        {
            return Err(ConfigError::Invalid(format!(
                "poll.vanish_grace_secs must be 0 or more, at most {MAX_SECS}"
            )));
        }
        if p.history_polls < 2 {
            return Err(ConfigError::Invalid(
                "poll.history_polls must be at least 2".to_owned(),
            ));
        }
        if p.vanish_misses == 0 {
            return Err(ConfigError::Invalid(
                "poll.vanish_misses must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }

    /// The poller settings.
    pub fn poll_settings(&self) -> scheduler::PollSettings {
        // validate() bounds every value; saturate rather than panic on one that was not.
        let d = |s: f64| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX);
        scheduler::PollSettings {
            active_interval: d(self.poll.active_interval_secs),
            idle_interval: d(self.poll.idle_interval_secs),
            inventory_interval: d(self.poll.inventory_interval_secs),
            max_backoff: d(self.poll.max_backoff_secs),
            pending_timeout: d(self.poll.pending_timeout_secs),
            vanish_misses: self.poll.vanish_misses,
            vanish_grace: d(self.poll.vanish_grace_secs),
            job_retention: d(self.poll.job_retention_days * 86_400.0),
            stall_after: d(self.poll.stall_after_secs),
            progress_window: d(self.poll.progress_window_secs),
            progress_min_span: d(self.poll.progress_min_span_secs),
            history_polls: self.poll.history_polls,
        }
    }

    /// This process's identity among replicas sharing the database, with the lease length.
    pub fn replica(&self) -> scheduler::Replica {
        // Another run on this host with the same store and working directory is the same
        // service: it may take over the leases its dead predecessor left.
        let cwd = std::env::current_dir().unwrap_or_default();
        scheduler::Replica::this_process(
            Duration::from_secs_f64(self.poll.lease_secs),
            &format!("{}\n{}", self.database_url, cwd.display()),
        )
    }

    /// How long `/readyz` accepts since a configured cluster last answered: three idle poll
    /// intervals plus one CLI timeout (a cycle that waited for a slow host).
    pub fn ready_window(&self) -> chrono::Duration {
        let secs = 3.0 * self.poll.idle_interval_secs + self.poll.gluster_timeout_secs;
        chrono::Duration::milliseconds((secs * 1000.0) as i64)
    }

    /// SQLite's busy timeout.
    pub fn busy_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.busy_timeout_secs)
    }

    /// The CLI call timeout.
    pub fn gluster_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.poll.gluster_timeout_secs)
    }
}

#[cfg(test)]
mod tests;
