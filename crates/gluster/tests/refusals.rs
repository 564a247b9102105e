//! [`Refusal`] on every refusal captured from a real GlusterFS 10.3 pool (each capture with
//! `opRet` ≠ 0 under fixtures/gluster-10.3/, see its MANIFEST.md for the command behind each) and
//! on the older public captures, read through the driver's own envelope parser.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use gluster::{is_lock_contention, is_task_daemon_blip, parse, DriverError, Refusal};
use std::path::Path;
use std::time::Duration;

/// Every 10.3 refusal capture and what it means. A new refusal capture needs a row here.
const EXPECTED_10_3: &[(&str, Refusal)] = &[
    ("heal-info-dist.xml", Refusal::Invalid),
    (
        "rebalance-start-while-failed-removal.xml",
        Refusal::RemovalPending,
    ),
    (
        "remove-brick-commit-failed-removal.xml",
        Refusal::MigrationFailed,
    ),
    (
        "remove-brick-start-while-failed-removal.xml",
        Refusal::RemovalPending,
    ),
    (
        "remove-brick-status-failed-removal-stopped.xml",
        Refusal::NotStarted,
    ),
    (
        "rebalance-fix-layout-start-while-running.xml",
        Refusal::AlreadyRunning,
    ),
    (
        "rebalance-start-already-running.xml",
        Refusal::AlreadyRunning,
    ),
    (
        "rebalance-start-during-remove-brick.xml",
        Refusal::RemovalPending,
    ),
    (
        "rebalance-start-force-already-running.xml",
        Refusal::AlreadyRunning,
    ),
    ("rebalance-start-nosuchvol.xml", Refusal::VolumeMissing),
    (
        "rebalance-start-remove-brick-uncommitted.xml",
        Refusal::RemovalPending,
    ),
    ("rebalance-start-single.xml", Refusal::Invalid),
    ("rebalance-start-stopped.xml", Refusal::VolumeNotStarted),
    (
        "rebalance-status-during-remove-brick.xml",
        Refusal::NotStarted,
    ),
    ("rebalance-status-never-started.xml", Refusal::NotStarted),
    ("rebalance-status-nosuchvol.xml", Refusal::VolumeMissing),
    (
        "rebalance-status-remove-brick-uncommitted.xml",
        Refusal::NotStarted,
    ),
    ("rebalance-status-stopped.xml", Refusal::NotStarted),
    ("rebalance-stop-after-stopped.xml", Refusal::NotStarted),
    ("rebalance-stop-not-running.xml", Refusal::NotStarted),
    ("remove-brick-all-bricks.xml", Refusal::Invalid),
    (
        "remove-brick-commit-in-progress.xml",
        Refusal::MigrationInProgress,
    ),
    ("remove-brick-distrep-not-a-set.xml", Refusal::Invalid),
    ("remove-brick-distrep-wrong-count.xml", Refusal::Invalid),
    ("remove-brick-not-in-volume.xml", Refusal::Invalid),
    (
        "remove-brick-other-brick-uncommitted.xml",
        Refusal::RemovalPending,
    ),
    ("remove-brick-start-again.xml", Refusal::RemovalPending),
    ("remove-brick-status-after-commit.xml", Refusal::NotStarted),
    ("remove-brick-status-never-started.xml", Refusal::NotStarted),
    ("remove-brick-status-stopped.xml", Refusal::NotStarted),
    ("volume-info-nosuchvol.xml", Refusal::VolumeMissing),
    ("volume-status-nosuchvol-detail.xml", Refusal::VolumeMissing),
    ("volume-status-nosuchvol-tasks.xml", Refusal::VolumeMissing),
    (
        "volume-status-stopped-detail.xml",
        Refusal::VolumeNotStarted,
    ),
    ("volume-status-stopped-tasks.xml", Refusal::VolumeNotStarted),
];

/// 10.3 refusal captures allowed to classify as [`Refusal::Other`]: none so far.
const OTHER_ALLOWED_10_3: &[&str] = &[];

/// The older public captures that are refusals, and what they mean.
const EXPECTED_OLDER: &[(&str, Refusal)] = &[
    (
        "11a_error_volquota_volume_missing_VERBATIM_kismatic.xml",
        Refusal::VolumeMissing,
    ),
    // `volume set all cluster.op-version`: not a command of this service.
    (
        "11b_error_volset_opversion_VERBATIM_salt.xml",
        Refusal::Other,
    ),
    // `peer probe` of an unreachable host (ENOTCONN): not a node of any volume.
    (
        "11c_error_peer_probe_v34_and_v37_VERBATIM_salt.xml",
        Refusal::Other,
    ),
];

fn dir(version: &str) -> String {
    format!("{}/tests/fixtures/{version}", env!("CARGO_MANIFEST_DIR"))
}

/// What the driver makes of a capture: `None` when gluster accepted the command (`opRet` 0),
/// else the refusal as [`DriverError::Gluster`]. Only XML captures are read (the `.out` ones
/// are a CLI that could not reach glusterd, a transport failure).
fn refusal_of(path: &Path) -> Option<DriverError> {
    let xml = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    match parse::envelope(&xml, |_| Ok(())) {
        Ok(()) => None,
        Err(e @ DriverError::Gluster { .. }) => Some(e),
        Err(e) => panic!("{path:?} is not a gluster answer: {e}"),
    }
}

/// Every refusal capture of a fixtures folder, by file name, in name order.
fn refusal_captures(version: &str) -> Vec<(String, DriverError)> {
    let mut found: Vec<(String, DriverError)> = std::fs::read_dir(dir(version))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .filter_map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            refusal_of(&p).map(|e| (name, e))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn classified(e: &DriverError) -> Refusal {
    e.refusal()
        .unwrap_or_else(|| panic!("{e:?} is not a refusal"))
}

#[test]
fn each_10_3_refusal_capture_means_what_its_scenario_says() {
    for (name, want) in EXPECTED_10_3 {
        let path = Path::new(&dir("gluster-10.3")).join(name);
        let e = refusal_of(&path).unwrap_or_else(|| panic!("{name}: not a refusal"));
        assert_eq!(classified(&e), *want, "{name}: {e}");
    }
}

#[test]
fn every_10_3_refusal_capture_has_an_expected_variant() {
    let missing: Vec<String> = refusal_captures("gluster-10.3")
        .into_iter()
        .filter(|(name, _)| !EXPECTED_10_3.iter().any(|(n, _)| n == name))
        .map(|(name, e)| format!("{name} ({:?}): {e}", classified(&e)))
        .collect();
    assert!(
        missing.is_empty(),
        "refusal captures without a row in EXPECTED_10_3: {missing:#?}"
    );
}

#[test]
fn no_10_3_refusal_capture_is_other_unless_listed() {
    let captures = refusal_captures("gluster-10.3");
    assert!(captures.len() >= EXPECTED_10_3.len(), "{captures:?}");
    let other: Vec<String> = captures
        .into_iter()
        .filter(|(name, e)| {
            classified(e) == Refusal::Other && !OTHER_ALLOWED_10_3.contains(&name.as_str())
        })
        .map(|(name, e)| format!("{name}: {e}"))
        .collect();
    assert!(other.is_empty(), "unclassified refusals: {other:#?}");
}

#[test]
fn the_older_refusal_captures() {
    let captures = refusal_captures("gluster-older");
    let names: Vec<&str> = captures.iter().map(|(n, _)| n.as_str()).collect();
    let listed: Vec<&str> = EXPECTED_OLDER.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, listed);
    for ((name, e), (_, want)) in captures.iter().zip(EXPECTED_OLDER) {
        assert_eq!(classified(e), *want, "{name}: {e}");
    }
}

#[test]
fn accepted_commands_are_not_refusals() {
    let path = Path::new(&dir("gluster-10.3")).join("remove-brick-start.xml");
    assert!(refusal_of(&path).is_none(), "opRet 0 with an opErrstr");
}

fn refused(errno: i64, message: &str) -> DriverError {
    DriverError::Gluster {
        errno,
        message: message.into(),
    }
}

fn transport(host: &str) -> DriverError {
    DriverError::Transport {
        host: host.into(),
        message: "exit 1: Connection failed. Please check if gluster daemon is operational.".into(),
    }
}

#[test]
fn only_a_refusal_has_a_refusal() {
    assert_eq!(
        refused(30800, "Volume dist is not started").refusal(),
        Some(Refusal::VolumeNotStarted)
    );
    let timeout = DriverError::Timeout {
        host: "h1".into(),
        after: Duration::from_secs(1),
    };
    for e in [transport("h1"), timeout, DriverError::NoHosts] {
        assert_eq!(e.refusal(), None, "{e:?}");
    }
    let parse_error = DriverError::Parse(gluster::ParseError::Missing("opRet"));
    assert_eq!(parse_error.refusal(), None);
}

#[test]
fn every_host_refusing_alike_is_that_refusal() {
    let lock = "Another transaction is in progress for dist. Please try again after some time.";
    let all_locked = DriverError::NoHostAnswered(vec![
        refused(30802, lock),
        refused(
            30800,
            "Locking failed on 192.0.2.12. Please check log file for details.",
        ),
    ]);
    assert_eq!(all_locked.refusal(), Some(Refusal::LockHeld));
    assert!(is_lock_contention(&all_locked));

    let mixed = DriverError::NoHostAnswered(vec![refused(30802, lock), transport("h2")]);
    assert_eq!(mixed.refusal(), None);
    let disagreeing = DriverError::NoHostAnswered(vec![
        refused(30802, lock),
        refused(30800, "Volume dist does not exist"),
    ]);
    assert_eq!(disagreeing.refusal(), None);
    assert_eq!(DriverError::NoHostAnswered(vec![]).refusal(), None);
    let hosts_down = DriverError::NoHostAnswered(vec![transport("h1"), transport("h2")]);
    assert_eq!(hosts_down.refusal(), None);
}

#[test]
fn the_old_predicates_agree_with_refusal() {
    let blip = refused(
        30800,
        "Brick ops failed on 192.0.2.13. Glusterd Syncop Mgmt brick op 'Rebalance' failed. \
         Please check brick log file for details.",
    );
    let lock = refused(30802, "Another transaction is in progress for dist.");
    let already = refused(30800, "Rebalance on dist is already started");
    for e in [&blip, &lock, &already, &transport("h1")] {
        assert_eq!(
            is_lock_contention(e),
            e.refusal() == Some(Refusal::LockHeld),
            "{e:?}"
        );
        assert_eq!(
            is_task_daemon_blip(e),
            e.refusal() == Some(Refusal::TaskDaemonBusy),
            "{e:?}"
        );
    }
    assert!(is_task_daemon_blip(&blip) && !is_lock_contention(&blip));
    assert!(is_lock_contention(&lock) && !is_task_daemon_blip(&lock));
    assert!(blip.refusal().is_some_and(Refusal::is_retryable));
    assert!(already
        .refusal()
        .is_some_and(|r| r.is_conflict() && !r.is_retryable()));
}
