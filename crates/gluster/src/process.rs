//! Runs one command as an argv with a timeout; a command that overruns is killed — with every
//! process it started (its process group) — and reaped.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;
use wait_timeout::ChildExt;

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Why a command did not finish.
#[derive(Debug)]
pub enum RunError {
    /// It could not be started.
    Spawn(std::io::Error),
    /// It ran past the timeout and was killed.
    TimedOut,
    /// Waiting for it failed.
    Wait(std::io::Error),
}

/// Runs `argv` (program first) with no standard input, collecting its output, killing it after
/// `timeout`. Never goes through a shell.
pub fn run(argv: &[String], timeout: Duration) -> Result<Finished, RunError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| RunError::Spawn(std::io::Error::other("empty command")))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout also kills what a prefix like ssh started.
        .process_group(0)
        .spawn()
        .map_err(RunError::Spawn)?;
    // Drain both pipes on their own threads so a chatty command cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill_group(&mut child);
            return Err(RunError::TimedOut);
        }
        Err(e) => {
            kill_group(&mut child);
            return Err(RunError::Wait(e));
        }
    };
    Ok(Finished {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Kills the child's whole process group, then reaps the child.
fn kill_group(child: &mut Child) {
    match i32::try_from(child.id()) {
        Ok(pid) => {
            if killpg(Pid::from_raw(pid), Signal::SIGKILL).is_err() {
                let _ = child.kill();
            }
        }
        Err(_) => {
            let _ = child.kill();
        }
    }
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn collects_output_and_exit_code() {
        let f = run(
            &argv(&["sh", "-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            (f.code, f.stdout.as_str(), f.stderr.as_str()),
            (Some(3), "out\n", "err\n")
        );
    }

    #[test]
    fn arguments_are_never_interpreted_by_a_shell() {
        let f = run(&argv(&["echo", "$(id)", ";", "x"]), Duration::from_secs(5)).unwrap();
        assert_eq!(f.stdout, "$(id) ; x\n");
    }

    #[test]
    fn a_hung_command_is_killed_at_the_timeout() {
        let start = Instant::now();
        let r = run(&argv(&["sleep", "30"]), Duration::from_millis(200));
        assert!(matches!(r, Err(RunError::TimedOut)));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_timeout_kills_the_processes_the_command_started_too() {
        let dir = std::env::temp_dir().join(format!("gt-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("grandchild.pid");
        // The shell starts a long sleep in the background (a grandchild) and then hangs.
        let script = format!("sleep 60 & echo $! > '{}'; wait", pidfile.display());
        let start = Instant::now();
        let r = run(&argv(&["sh", "-c", &script]), Duration::from_millis(300));
        assert!(matches!(r, Err(RunError::TimedOut)));
        assert!(start.elapsed() < Duration::from_secs(5));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Give the kernel a moment, then the grandchild must be gone (or a zombie of init).
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z")
        });
        let _ = std::fs::remove_dir_all(&dir);
        assert!(gone, "the background sleep {pid} outlived the timeout");
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        assert!(matches!(
            run(&argv(&["/nonexistent/gluster"]), Duration::from_secs(1)),
            Err(RunError::Spawn(_))
        ));
    }
}
