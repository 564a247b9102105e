//! The real service as a separate process (`gluster-tasks serve`) on a loopback port, with an
//! operator and a viewer token, its simulator logging every gluster call, and raw HTTP/1.1
//! over TCP: requests go out byte for byte as written, with no client normalising the path.

use gluster_tasks::auth::hash_token;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const OPERATOR: &str = "operator-secret-0123456789";
pub const VIEWER: &str = "viewer-secret-0123456789";

/// A running service; killed when dropped.
pub struct Service {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    task_secs: f64,
    env: Vec<(String, String)>,
}

/// `gluster-tasks serve` on `port`, with its database, simulator and log in `dir`.
fn spawn_child(dir: &Path, port: u16, task_secs: f64, env: &[(String, String)]) -> Child {
    let exe = super::exe();
    let hosts: Vec<Value> = (1..=3)
        .map(|n| {
            json!({
                "address": simulator::node_address(n),
                "command": [exe, "gluster-sim",
                    "--state", dir.join("sim.json"),
                    "--call-log", dir.join("sim.calls"),
                    "--task-secs", task_secs.to_string(), "--node", n.to_string()],
            })
        })
        .collect();
    let tokens = json!([
        {"name": "ops", "role": "operator", "sha256": hash_token(OPERATOR)},
        {"name": "dash", "role": "viewer", "sha256": hash_token(VIEWER)},
    ]);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("service.log"))
        .unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg("serve")
        .env("GLUSTER_TASKS_BIND", format!("127.0.0.1:{port}"))
        .env(
            "GLUSTER_TASKS_DATABASE_URL",
            format!("sqlite:{}", dir.join("t.db").display()),
        )
        .env(
            "GLUSTER_TASKS_CLUSTERS",
            json!([{ "name": "demo", "hosts": hosts }]).to_string(),
        )
        .env("GLUSTER_TASKS_TOKENS", tokens.to_string())
        .env("GLUSTER_TASKS_POLL_ACTIVE_INTERVAL_SECS", "0.3")
        .env("GLUSTER_TASKS_POLL_IDLE_INTERVAL_SECS", "0.5")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Splits a raw HTTP/1.1 answer (the whole connection, `Connection: close`).
pub fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 || raw.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[(end + 4 + size).min(raw.len())..];
    }
    out
}

impl Service {
    /// Starts the service on a fresh SQLite file and simulator, with `env` added, and waits
    /// until it answers.
    pub fn start(task_secs: f64, env: &[(&str, &str)]) -> Self {
        let s = Self::spawn(tempfile::tempdir().unwrap(), task_secs, env);
        s.wait_until_up();
        s
    }

    /// Starts the service without waiting for it.
    pub fn spawn(dir: tempfile::TempDir, task_secs: f64, env: &[(&str, &str)]) -> Self {
        let port = super::free_port();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let child = spawn_child(dir.path(), port, task_secs, &env);
        Service {
            child,
            port,
            dir,
            task_secs,
            env,
        }
    }

    /// Waits until the service answers with its inventory.
    pub fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.get("/api/v1/volumes", Some(OPERATOR)).json()["items"]
                    .as_array()
                    .is_some_and(|v| !v.is_empty());
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "service never came up: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILLs the process and starts it again on the same database and simulator (same
    /// settings and working directory, a new port); returns when it answers.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port = super::free_port();
        self.child = spawn_child(self.dir.path(), self.port, self.task_secs, &self.env);
        self.wait_until_up();
    }

    /// The service's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }

    /// Sets a knob of simulated node `n` (1-based) under the simulator's lock, as
    /// `Env::peer_knob` does in-process.
    pub fn peer_knob(&self, n: usize, key: &str, value: impl Into<Value>) {
        let value = value.into();
        super::edit_sim_file(&self.dir.path().join("sim.json"), |state| {
            state["peers"][n - 1][key] = value;
        });
    }

    /// The simulator's call log: one line per gluster command.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.calls_path())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn calls_path(&self) -> PathBuf {
        self.dir.path().join("sim.calls")
    }

    /// A connection to the service.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    }

    /// Sends `raw` (a whole request) on a new connection and reads the answer until the
    /// server closes it.
    pub fn raw(&self, raw: &[u8]) -> Answer {
        let mut s = self.connect();
        s.write_all(raw).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        parse_answer(&buf)
    }

    /// `method target` with an optional token and JSON body, `Connection: close`.
    pub fn request(&self, method: &str, target: &str, token: Option<&str>, body: &str) -> Answer {
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let typed = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/json\r\n".to_owned()
        };
        self.raw(
            format!(
                "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}{typed}Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
    }

    pub fn get(&self, target: &str, token: Option<&str>) -> Answer {
        self.request("GET", target, token, "")
    }

    /// The id of the volume named `name`.
    pub fn volume(&self, name: &str) -> Value {
        self.get("/api/v1/volumes", Some(OPERATOR)).json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()
            .clone()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    }
}

/// Whether a call-log line is a command that changes the volume (not a status or info query).
pub fn is_write(call: &str) -> bool {
    let last = call.split_whitespace().last().unwrap_or("");
    ["start", "stop", "commit", "force"].contains(&last)
}
