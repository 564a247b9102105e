//! The CLI driver against scripted stand-ins for `gluster`: exact argv, failover between hosts,
//! timeouts, and refusals that must not fail over.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use domain::VolumeName;
use gluster::{CliDriver, DriverError, Gluster, HostCommand, RebalanceOptions};
use std::path::Path;
use std::time::{Duration, Instant};

const TASKS_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volStatus><volumes><volume><volName>dist</volName><tasks/></volume></volumes></volStatus></cliOutput>"#;

/// Writes an executable script that records its argv to `log` and runs `body`.
fn script(dir: &Path, name: &str, body: &str) -> HostCommand {
    let path = dir.join(name);
    let log = dir.join(format!("{name}.argv"));
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n{body}\n",
            log.display()
        ),
    )
    .unwrap();
    HostCommand {
        address: name.to_owned(),
        prefix: vec!["sh".into(), path.display().to_string()],
    }
}

fn argv(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(format!("{name}.argv")))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn builds_the_exact_argv_for_every_rebalance_start_form() {
    let dir = tempfile::tempdir().unwrap();
    let ok = r#"echo '<cliOutput><opRet>0</opRet><volRebalance><task-id>1bea87af-d176-4044-b4a2-46724ab0f070</task-id></volRebalance></cliOutput>'"#;
    let host = script(dir.path(), "h1", ok);
    let d = CliDriver::new(vec![host], Duration::from_secs(5));
    let vol = VolumeName::parse("dist").unwrap();
    for (opts, tail) in [
        (RebalanceOptions::default(), vec!["start"]),
        (
            RebalanceOptions {
                fix_layout: false,
                force: true,
            },
            vec!["start", "force"],
        ),
        (
            RebalanceOptions {
                fix_layout: true,
                force: false,
            },
            vec!["fix-layout", "start"],
        ),
    ] {
        let id = d.rebalance_start(&vol, opts).unwrap();
        assert_eq!(
            id.unwrap().to_string(),
            "1bea87af-d176-4044-b4a2-46724ab0f070"
        );
        let mut want = vec!["--mode=script", "--xml", "volume", "rebalance", "dist"];
        want.extend(tail);
        assert_eq!(argv(dir.path(), "h1"), want);
    }
}

#[test]
fn fails_over_to_the_next_host_and_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let dead = script(
        dir.path(),
        "dead",
        "echo 'Connection failed. Please check if gluster daemon is operational.'; exit 1",
    );
    let good = script(dir.path(), "good", &format!("cat <<'X'\n{TASKS_XML}\nX"));
    let d = CliDriver::new(vec![dead, good], Duration::from_secs(5));
    assert_eq!(d.status_all_tasks().unwrap()[0].volume, "dist");
    assert_eq!(d.preferred_host(), Some("good"));
    std::fs::remove_file(dir.path().join("dead.argv")).unwrap();
    d.status_all_tasks().unwrap();
    assert!(
        !dir.path().join("dead.argv").exists(),
        "the host that answered is asked first"
    );
}

#[test]
fn a_hung_host_is_killed_at_the_timeout_and_the_next_answers() {
    let dir = tempfile::tempdir().unwrap();
    let hung = script(dir.path(), "hung", "exec sleep 30");
    let good = script(dir.path(), "good", &format!("cat <<'X'\n{TASKS_XML}\nX"));
    let d = CliDriver::new(vec![hung, good], Duration::from_millis(300));
    let t = Instant::now();
    assert!(d.status_all_tasks().is_ok());
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn every_host_down_is_a_transport_error_with_the_last_cause() {
    let dir = tempfile::tempdir().unwrap();
    let a = script(
        dir.path(),
        "a",
        "echo 'Connection failed. Please check if gluster daemon is operational.'; exit 1",
    );
    let missing = HostCommand {
        address: "b".into(),
        prefix: vec!["/nonexistent/gluster".into()],
    };
    let d = CliDriver::new(vec![a, missing], Duration::from_secs(5));
    let e = d.pool_list().unwrap_err();
    assert!(e.is_transport(), "{e:?}");
    assert!(matches!(
        CliDriver::new(vec![], Duration::from_secs(1)).pool_list(),
        Err(DriverError::NoHosts)
    ));
}

#[test]
fn a_refusal_is_an_answer_and_does_not_fail_over() {
    let dir = tempfile::tempdir().unwrap();
    let refusing = script(dir.path(), "r", "echo '<cliOutput><opRet>-1</opRet><opErrno>30800</opErrno><opErrstr>Rebalance on dist is already started</opErrstr></cliOutput>'; exit 1");
    let other = script(dir.path(), "o", &format!("cat <<'X'\n{TASKS_XML}\nX"));
    let d = CliDriver::new(vec![refusing, other], Duration::from_secs(5));
    let e = d
        .rebalance_start(
            &VolumeName::parse("dist").unwrap(),
            RebalanceOptions::default(),
        )
        .unwrap_err();
    assert_eq!(
        e,
        DriverError::Gluster {
            errno: 30800,
            message: "Rebalance on dist is already started".into()
        }
    );
    assert!(!dir.path().join("o.argv").exists());
}

#[test]
fn exit_zero_without_xml_is_a_transport_error() {
    let dir = tempfile::tempdir().unwrap();
    let h = script(dir.path(), "h", "echo 'some banner'");
    let e = CliDriver::new(vec![h], Duration::from_secs(5))
        .status_all_tasks()
        .unwrap_err();
    assert!(
        matches!(e, DriverError::Transport { ref message, .. } if message.contains("not XML")),
        "{e:?}"
    );
}

#[test]
fn remove_brick_argv_for_every_action() {
    let dir = tempfile::tempdir().unwrap();
    let ok = r#"echo '<cliOutput><opRet>0</opRet><opErrstr>Remove Brick start successful</opErrstr><volRemoveBrick><task-id>1bea87af-d176-4044-b4a2-46724ab0f070</task-id></volRemoveBrick></cliOutput>'"#;
    let d = CliDriver::new(vec![script(dir.path(), "h", ok)], Duration::from_secs(5));
    let vol = VolumeName::parse("distrep").unwrap();
    let bricks = vec![
        domain::BrickName::parse("192.0.2.11:/b/1").unwrap(),
        domain::BrickName::parse("192.0.2.12:/b/2").unwrap(),
    ];
    let base = [
        "--mode=script",
        "--xml",
        "volume",
        "remove-brick",
        "distrep",
    ];
    let with =
        |tail: &[&str]| -> Vec<String> { base.iter().chain(tail).map(|s| s.to_string()).collect() };
    assert!(d.remove_brick_start(&vol, &bricks).unwrap().is_some());
    assert_eq!(
        argv(dir.path(), "h"),
        with(&["192.0.2.11:/b/1", "192.0.2.12:/b/2", "start"])
    );
    d.remove_brick_commit(&vol, &bricks).unwrap();
    assert_eq!(
        argv(dir.path(), "h"),
        with(&["192.0.2.11:/b/1", "192.0.2.12:/b/2", "commit"])
    );
    d.remove_brick_force(&vol, &bricks, Some(2)).unwrap();
    assert_eq!(
        argv(dir.path(), "h"),
        with(&[
            "replica",
            "2",
            "192.0.2.11:/b/1",
            "192.0.2.12:/b/2",
            "force"
        ])
    );
    d.remove_brick_force(&vol, &bricks[..1], None).unwrap();
    assert_eq!(argv(dir.path(), "h"), with(&["192.0.2.11:/b/1", "force"]));
}

#[test]
fn lock_contention_is_retried_with_backoff_then_reported() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    // Refuses with the lock error twice, then answers.
    let body = format!(
        "n=$(cat '{c}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{c}'\nif [ $n -le 2 ]; then echo '<cliOutput><opRet>-1</opRet><opErrno>30802</opErrno><opErrstr>Another transaction is in progress for dist. Please try again after some time.</opErrstr></cliOutput>'; exit 1; fi\ncat <<'X'\n{TASKS_XML}\nX",
        c = count.display()
    );
    let d = CliDriver::new(vec![script(dir.path(), "h", &body)], Duration::from_secs(5))
        .with_lock_retries(3, Duration::from_millis(10));
    assert!(d.status_all_tasks().is_ok());
    assert_eq!(std::fs::read_to_string(&count).unwrap().trim(), "3");
    // Always locked: after the retries, the refusal itself comes back.
    std::fs::write(&count, "-100").unwrap();
    let d = CliDriver::new(vec![script(dir.path(), "h", &body)], Duration::from_secs(5))
        .with_lock_retries(2, Duration::from_millis(10));
    assert!(gluster::is_lock_contention(
        &d.status_all_tasks().unwrap_err()
    ));
    assert_eq!(
        std::fs::read_to_string(&count).unwrap().trim(),
        "-97",
        "1 call + 2 retries"
    );
}

#[test]
fn output_that_is_no_gluster_answer_fails_over_but_an_odd_answer_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let cut = &TASKS_XML[..TASKS_XML.len() / 2];
    let truncated = script(dir.path(), "truncated", &format!("cat <<'X'\n{cut}\nX"));
    let garbage = script(dir.path(), "garbage", "printf '\\001\\377 segfault'");
    let good = script(dir.path(), "good", &format!("cat <<'X'\n{TASKS_XML}\nX"));
    let d = CliDriver::new(vec![truncated, garbage, good], Duration::from_secs(5));
    assert_eq!(d.status_all_tasks().unwrap()[0].volume, "dist");
    assert_eq!(d.active_host().as_deref(), Some("good"));

    // Well-formed gluster XML missing what the parser needs: every host would say the same,
    // so the error comes back at once instead of trying the others.
    let odd = script(
        dir.path(),
        "odd",
        "echo '<cliOutput><opRet>0</opRet><opErrno>0</opErrno></cliOutput>'",
    );
    let other = script(dir.path(), "other", &format!("cat <<'X'\n{TASKS_XML}\nX"));
    let d = CliDriver::new(vec![odd, other], Duration::from_secs(5));
    let e = d.status_all_tasks().unwrap_err();
    assert!(matches!(e, DriverError::Parse(_)), "{e:?}");
    assert!(!e.is_host_failure());
    assert!(
        !dir.path().join("other.argv").exists(),
        "an answer of an unexpected shape must not be retried elsewhere"
    );
}

#[test]
fn when_every_host_fails_the_error_names_each_host_and_its_failure() {
    let dir = tempfile::tempdir().unwrap();
    let dead = script(
        dir.path(),
        "dead",
        "echo 'Connection failed. Please check if gluster daemon is operational.'; exit 1",
    );
    let cut = script(dir.path(), "cut", "echo '<cliOutput><opRet>0</op'");
    let e = CliDriver::new(vec![dead, cut], Duration::from_secs(5))
        .status_all_tasks()
        .unwrap_err();
    assert!(e.is_transport());
    assert_eq!(e.host_failures().len(), 2);
    let text = e.to_string();
    assert!(
        text.contains("dead") && text.contains("Connection failed"),
        "{text}"
    );
    assert!(text.contains("cut") && text.contains("not XML"), "{text}");
}

/// The refusal GlusterFS 10.3 gave a `rebalance … stop` in CI while one node's rebalance
/// process was exiting; the same command answered a moment later.
const DAEMON_BLIP: &str = "<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>Brick ops failed on 192.0.2.13. Glusterd Syncop Mgmt brick op 'Rebalance' failed. Please check brick log file for details.</opErrstr></cliOutput>";

#[test]
fn a_task_daemon_blip_is_retried_for_status_and_stop_but_not_for_start() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    let status = include_str!("fixtures/gluster-10.3/rebalance-status-in-progress.xml");
    let started = include_str!("fixtures/gluster-10.3/rebalance-start.xml");
    // Refuses with the blip once, then answers with `ok`'s XML.
    let blip_once = |name: &str, ok: &str| {
        std::fs::write(&count, "0").unwrap();
        let body = format!(
            "n=$(cat '{c}'); n=$((n+1)); echo $n > '{c}'\nif [ $n -le 1 ]; then echo \"{DAEMON_BLIP}\"; exit 1; fi\ncat <<'X'\n{ok}\nX",
            c = count.display()
        );
        CliDriver::new(
            vec![script(dir.path(), name, &body)],
            Duration::from_secs(5),
        )
        .with_lock_retries(3, Duration::from_millis(10))
    };
    let calls = || std::fs::read_to_string(&count).unwrap().trim().to_owned();
    let vol = VolumeName::parse("dist").unwrap();

    let report = blip_once("status", status).rebalance_status(&vol).unwrap();
    assert!(!report.nodes.is_empty());
    assert_eq!(calls(), "2", "status: 1 blip + 1 answer");
    blip_once("stop", status).rebalance_stop(&vol).unwrap();
    assert_eq!(calls(), "2", "stop: 1 blip + 1 answer");

    // A start that failed this way is not repeated: it is reported as gluster said it.
    let e = blip_once("start", started)
        .rebalance_start(&vol, Default::default())
        .unwrap_err();
    assert!(gluster::is_task_daemon_blip(&e), "{e:?}");
    assert_eq!(calls(), "1");
}
