//! The verdict's table: one row per tracking rule of docs/tracking.md, and one per case of
//! issue 13. No database, no CLI: a job, what gluster said, the clock.

use super::*;
use chrono::TimeZone;
use domain::{JobOrigin, TaskParams};
use uuid::Uuid;

const TASK: Uuid = Uuid::from_u128(0x7a5c);
const OTHER_TASK: Uuid = Uuid::from_u128(0x7a5d);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

fn rules() -> Rules {
    Rules {
        vanish_misses: 3,
        vanish_grace: Duration::from_secs(600),
        stall_after: Duration::from_secs(900),
    }
}

fn job(kind: TaskKind, status: JobStatus) -> Job {
    let mut j = Job::new_pending(
        kind,
        JobOrigin::Api,
        Uuid::from_u128(1),
        "dist",
        Uuid::from_u128(2),
        TaskParams {
            bricks: if kind == TaskKind::RemoveBrick {
                vec!["192.0.2.12:/b/2".into()]
            } else {
                Vec::new()
            },
            migrate_data: kind == TaskKind::RemoveBrick,
            ..TaskParams::default()
        },
        t0(),
    );
    j.gluster_task_id = Some(TASK);
    j.status = status;
    j.task_status = Some(TaskStatus::InProgress);
    j.tracking.progressed_at = Some(t0());
    j
}

fn node(name: &str, peer: u128, status: TaskStatus, files: i64, failures: i64) -> NodeProgress {
    NodeProgress {
        peer_id: Uuid::from_u128(peer),
        name: name.into(),
        files,
        size_bytes: files * 1024,
        scanned: files,
        failures,
        skipped: 0,
        status,
        runtime_secs: files as f64,
    }
}

fn report(status: TaskStatus, nodes: Vec<NodeProgress>) -> Answer {
    Answer::Report(TaskReport {
        task_id: Some(TASK),
        nodes,
        status,
    })
}

fn refused(r: Refusal, words: &str) -> Answer {
    Answer::Refused(r, words.into())
}

fn decide_at(
    j: &Job,
    recorded: &[NodeProgress],
    listed: Option<TaskStatus>,
    answer: &Answer,
    silent: &[String],
    now: DateTime<Utc>,
) -> Verdict {
    decide(
        j,
        recorded,
        Seen {
            listed,
            answer,
            silent,
            now,
        },
        rules(),
    )
}

fn update(v: Verdict) -> Update {
    match v {
        Verdict::Report(u) => u,
        other => panic!("expected an update, got {other:?}"),
    }
}

use TaskStatus::{Completed, Failed as TFailed, InProgress};

#[test]
fn gluster_reporting_the_task_brings_the_job_in_line() {
    let running = job(TaskKind::Rebalance, JobStatus::Running);
    let n1 = node("192.0.2.11", 11, InProgress, 10, 0);
    let n1_more = node("192.0.2.11", 11, InProgress, 20, 0);
    let done = node("192.0.2.11", 11, Completed, 20, 0);
    // (case, recorded nodes, listed, answer, expected status, expected reason, progressed_at)
    type Row = (
        &'static str,
        Vec<NodeProgress>,
        Option<TaskStatus>,
        Answer,
        TaskStatus,
        Option<&'static str>,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = vec![
        (
            "progress moves: recorded, progress stamped",
            vec![n1.clone()],
            Some(InProgress),
            report(InProgress, vec![n1_more.clone()]),
            InProgress,
            None,
            at(60),
        ),
        (
            "nothing moves: the last movement is kept",
            vec![n1_more.clone()],
            Some(InProgress),
            report(InProgress, vec![n1_more.clone()]),
            InProgress,
            None,
            t0(),
        ),
        (
            "completed",
            vec![n1_more.clone()],
            Some(InProgress),
            report(Completed, vec![done.clone()]),
            Completed,
            None,
            at(60),
        ),
        (
            "no status call needed: the listed status is used",
            vec![n1.clone()],
            Some(Completed),
            Answer::NotAsked,
            Completed,
            None,
            t0(),
        ),
        (
            "a report without task id speaks for the task",
            vec![],
            None,
            Answer::Report(TaskReport {
                task_id: None,
                nodes: vec![n1.clone()],
                status: InProgress,
            }),
            InProgress,
            None,
            at(60),
        ),
        (
            "a report of a newer task does not: the listed status is used",
            vec![n1.clone()],
            Some(InProgress),
            Answer::Report(TaskReport {
                task_id: Some(OTHER_TASK),
                nodes: vec![],
                status: Completed,
            }),
            InProgress,
            None,
            t0(),
        ),
    ];
    for (case, recorded, listed, answer, status, reason, progressed) in rows {
        let u = update(decide_at(&running, &recorded, listed, &answer, &[], at(60)));
        assert_eq!(u.status, status, "{case}");
        assert_eq!(u.reason.as_deref(), reason, "{case}");
        assert_eq!(u.tracking.progressed_at, Some(progressed), "{case}");
        assert_eq!(u.tracking.misses, 0, "{case}");
        assert!(!u.commit, "{case}");
    }
}

#[test]
fn a_completion_without_silent_nodes_is_held_back_until_they_report() {
    let running = job(TaskKind::Rebalance, JobStatus::Running);
    let answer = report(Completed, vec![node("192.0.2.11", 11, Completed, 5, 0)]);
    let silent = vec!["192.0.2.12".to_owned()];
    let u = update(decide_at(
        &running,
        &[],
        Some(Completed),
        &answer,
        &silent,
        at(10),
    ));
    assert_eq!(u.status, InProgress, "held: still in progress");
    assert_eq!(
        u.tracking.held_for, silent,
        "held is a column, not a reason prefix"
    );
    assert!(u
        .reason
        .as_deref()
        .unwrap()
        .contains("1 of this volume's nodes (192.0.2.12) did not report"));

    // Once every node reports, the hold and its reason go.
    let mut held = running.clone();
    held.tracking.held_for = silent.clone();
    held.reason = u.reason.clone();
    let u = update(decide_at(&held, &[], Some(Completed), &answer, &[], at(20)));
    assert_eq!(
        (u.status, u.tracking.held_for.is_empty(), u.reason),
        (Completed, true, None)
    );

    // A fix-layout is held as a fix-layout in progress.
    let fl = report(TaskStatus::FixLayoutCompleted, vec![]);
    let u = update(decide_at(&running, &[], None, &fl, &silent, at(10)));
    assert_eq!(u.status, TaskStatus::FixLayoutInProgress);
}

#[test]
fn a_completed_removal_waits_for_its_commit_or_commits_itself() {
    let removal = job(TaskKind::RemoveBrick, JobStatus::Running);
    let clean = report(Completed, vec![node("192.0.2.12", 12, Completed, 9, 0)]);
    let lossy = report(Completed, vec![node("192.0.2.12", 12, Completed, 9, 2)]);
    let mut auto = removal.clone();
    auto.params.auto_commit = true;
    // (case, job, answer, reason starts with, commit)
    let rows = [
        (
            "clean, no auto-commit: waits, says so",
            &removal,
            &clean,
            Some("migration complete; commit"),
            false,
        ),
        ("clean, auto-commit: commit now", &auto, &clean, None, true),
        (
            "failures: never committed, says why",
            &auto,
            &lossy,
            Some("waiting for a commit decision: 2 files failed"),
            false,
        ),
    ];
    for (case, j, answer, reason, commit) in rows {
        let u = update(decide_at(j, &[], Some(Completed), answer, &[], at(5)));
        assert_eq!(u.status, Completed, "{case}");
        match reason {
            Some(r) => assert!(
                u.reason.as_deref().unwrap_or("").starts_with(r),
                "{case}: {:?}",
                u.reason
            ),
            None => assert_eq!(u.reason, None, "{case}"),
        }
        assert_eq!(u.commit, commit, "{case}");
    }
}

#[test]
fn a_failed_task_says_which_nodes_failed_and_a_failed_removal_must_be_stopped() {
    let nodes = vec![
        node("192.0.2.11", 11, Completed, 4, 0),
        node("192.0.2.12", 12, TFailed, 1, 3),
    ];
    // Case 5: the reason is built from gluster's per-node status.
    let rb = update(decide_at(
        &job(TaskKind::Rebalance, JobStatus::Running),
        &[],
        Some(TFailed),
        &report(TFailed, nodes.clone()),
        &[],
        at(5),
    ));
    let reason = rb.reason.unwrap();
    assert!(
        reason.contains("failed on 1 of 2 nodes (192.0.2.12)") && reason.contains("3 files failed"),
        "{reason}"
    );
    assert!(
        !rb.tracking.needs_stop,
        "gluster does not hold a failed rebalance"
    );

    // Case 1: gluster keeps a failed removal's task; the job says what to do.
    let rm = update(decide_at(
        &job(TaskKind::RemoveBrick, JobStatus::Running),
        &[],
        Some(TFailed),
        &report(TFailed, nodes),
        &[],
        at(5),
    ));
    assert!(rm.tracking.needs_stop);
    assert!(rm.reason.unwrap().contains("cancel this job"));
}

#[test]
fn a_failed_removal_gluster_holds_is_followed_until_gluster_lets_it_go() {
    let mut held = job(TaskKind::RemoveBrick, JobStatus::Failed);
    held.tracking.needs_stop = true;
    held.reason = Some(reasons::failed(TaskKind::RemoveBrick, &[], true));
    assert!(
        settled(&held, &[], Some(TFailed)),
        "listed: still held, nothing to ask"
    );
    assert!(!settled(&held, &[], None), "not listed: ask");
    let still = decide_at(&held, &[], Some(TFailed), &Answer::NotAsked, &[], at(5));
    assert_eq!(still, Verdict::Unchanged);
    let gone = decide_at(
        &held,
        &[],
        None,
        &refused(
            Refusal::NotStarted,
            "remove-brick not started for volume dist.",
        ),
        &[],
        at(5),
    );
    match gone {
        Verdict::Released { reason } => assert!(
            reason.contains("stopped outside this service") && !reason.contains("cancel this job"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_task_nobody_reports_is_counted_then_ended_or_lost() {
    let not_started = refused(
        Refusal::NotStarted,
        "Rebalance not started for volume dist.",
    );
    let missing_vol = refused(Refusal::VolumeMissing, "Volume dist does not exist");
    // (case, misses before, missing since, answer, now, expected)
    enum Want {
        Missing(u32),
        EndedOutside,
        Lost,
    }
    let rows = [
        (
            "first miss is only counted",
            0,
            None,
            &not_started,
            at(0),
            Want::Missing(1),
        ),
        (
            "second 'not started': still counted",
            1,
            Some(t0()),
            &not_started,
            at(2),
            Want::Missing(2),
        ),
        (
            "third 'not started': ended outside this service",
            2,
            Some(t0()),
            &not_started,
            at(4),
            Want::EndedOutside,
        ),
        (
            "anything else: enough misses but within the grace",
            2,
            Some(t0()),
            &missing_vol,
            at(10),
            Want::Missing(3),
        ),
        (
            "anything else: past the grace but too few misses",
            0,
            Some(t0()),
            &missing_vol,
            at(700),
            Want::Missing(1),
        ),
        (
            "anything else: misses and grace both passed: lost",
            2,
            Some(t0()),
            &missing_vol,
            at(700),
            Want::Lost,
        ),
        (
            "no answer at all counts the same",
            2,
            Some(t0()),
            &Answer::NotAsked,
            at(700),
            Want::Lost,
        ),
    ];
    for (case, before, since, answer, now, want) in rows {
        let mut j = job(TaskKind::Rebalance, JobStatus::Running);
        j.tracking.misses = before;
        j.tracking.missing_since = since;
        let v = decide_at(&j, &[], None, answer, &[], now);
        match (want, v) {
            (Want::Missing(n), Verdict::Missing(t)) => {
                assert_eq!(t.misses, n, "{case}");
                assert_eq!(
                    t.missing_since,
                    Some(since.unwrap_or(now)),
                    "{case}: the first miss is kept"
                );
            }
            (Want::EndedOutside, Verdict::EndedOutside) => {}
            (Want::Lost, Verdict::Lost { reason, tracking }) => {
                assert!(
                    reason.contains("3 polls in a row over 700s"),
                    "{case}: {reason}"
                );
                assert_eq!(tracking.misses, 3, "{case}");
            }
            (_, v) => panic!("{case}: got {v:?}"),
        }
    }
}

#[test]
fn a_task_reported_again_starts_its_miss_count_over_and_an_unknown_job_comes_back() {
    let mut j = job(TaskKind::Rebalance, JobStatus::Running);
    j.tracking.misses = 2;
    j.tracking.missing_since = Some(t0());
    let u = update(decide_at(
        &j,
        &[],
        Some(InProgress),
        &report(InProgress, vec![]),
        &[],
        at(5),
    ));
    assert_eq!((u.tracking.misses, u.tracking.missing_since), (0, None));

    let mut lost = job(TaskKind::Rebalance, JobStatus::Unknown);
    lost.reason = Some("gluster no longer reports task".into());
    assert_eq!(
        decide_at(&lost, &[], None, &Answer::NotAsked, &[], at(5)),
        Verdict::Unchanged,
        "an unknown job stays so while nothing reports"
    );
    let back = update(decide_at(
        &lost,
        &[],
        Some(InProgress),
        &report(InProgress, vec![]),
        &[],
        at(5),
    ));
    assert_eq!(
        back.reason, None,
        "the lost-track reason goes once gluster reports again"
    );
}

#[test]
fn a_task_in_progress_that_does_not_move_is_stalled_but_stays_running() {
    // Case 4: one node "in progress" at run time 0 after its process exited.
    let stuck = vec![
        node("192.0.2.11", 11, Completed, 50, 0),
        node("192.0.2.12", 12, InProgress, 0, 0),
    ];
    let j = job(TaskKind::Rebalance, JobStatus::Running);
    let answer = report(InProgress, stuck.clone());
    // (case, now, stalled)
    for (case, now, stalled) in [
        ("10 min: not yet", at(600), false),
        ("15 min: stalled", at(900), true),
        ("an hour", at(3600), true),
    ] {
        let u = update(decide_at(&j, &stuck, Some(InProgress), &answer, &[], now));
        assert_eq!(u.status, InProgress, "{case}: the job stays running");
        assert_eq!(u.tracking.stalled_since, stalled.then_some(t0()), "{case}");
        assert_eq!(
            u.reason
                .as_deref()
                .is_some_and(|r| r.contains("192.0.2.12 (run time 0 s)")),
            stalled,
            "{case}: {:?}",
            u.reason
        );
    }
    // Movement clears the stall and its reason.
    let mut was = j.clone();
    was.tracking.stalled_since = Some(t0());
    was.reason = Some("stalled: …".into());
    let moving = report(InProgress, vec![node("192.0.2.12", 12, InProgress, 1, 0)]);
    let u = update(decide_at(
        &was,
        &stuck,
        Some(InProgress),
        &moving,
        &[],
        at(3600),
    ));
    assert_eq!(
        (u.tracking.stalled_since, u.reason, u.tracking.progressed_at),
        (None, None, Some(at(3600)))
    );
}

#[test]
fn the_nodes_to_check_for_silence_are_those_missing_from_a_completion() {
    let brick = |name: &str, peer: u128| domain::Brick {
        id: Uuid::from_u128(peer + 100),
        name: name.into(),
        position: 0,
        peer_id: Some(Uuid::from_u128(peer)),
        is_arbiter: false,
    };
    let bricks = vec![
        brick("192.0.2.11:/b/1", 11),
        brick("192.0.2.12:/b/2", 12),
        brick("192.0.2.13:/b/3", 13),
    ];
    let only_11 = report(Completed, vec![node("192.0.2.11", 11, Completed, 1, 0)]);
    let rb = job(TaskKind::Rebalance, JobStatus::Running);
    let rm = job(TaskKind::RemoveBrick, JobStatus::Running);
    let mut done = rb.clone();
    done.status = JobStatus::Succeeded;
    let ids = |v: &[u128]| v.iter().copied().map(Uuid::from_u128).collect::<Vec<_>>();
    let rows = [
        (
            "rebalance: every node with a brick",
            &rb,
            &only_11,
            ids(&[12, 13]),
        ),
        (
            "removal: the nodes of the removed bricks",
            &rm,
            &only_11,
            ids(&[12]),
        ),
        (
            "in progress: nothing to check",
            &rb,
            &report(InProgress, vec![]),
            ids(&[]),
        ),
        (
            "already completed: nothing to check",
            &done,
            &only_11,
            ids(&[]),
        ),
        (
            "no report: nothing to check",
            &rb,
            &Answer::NotAsked,
            ids(&[]),
        ),
    ];
    for (case, j, answer, want) in rows {
        assert_eq!(expected_silent(j, answer, &bricks), want, "{case}");
    }
}

#[test]
fn a_task_ended_outside_ends_the_way_the_volume_shows() {
    let rm = job(TaskKind::RemoveBrick, JobStatus::Running);
    let rb = job(TaskKind::Rebalance, JobStatus::Running);
    let mut fl = rb.clone();
    fl.params.fix_layout = true;
    let rows = [
        (
            "removal, bricks still there: stopped",
            &rm,
            true,
            JobStatus::Stopped,
            TaskStatus::Stopped,
        ),
        (
            "removal, bricks gone: committed",
            &rm,
            false,
            JobStatus::Succeeded,
            TaskStatus::Completed,
        ),
        (
            "rebalance: stopped",
            &rb,
            false,
            JobStatus::Stopped,
            TaskStatus::Stopped,
        ),
        (
            "fix-layout: fix-layout stopped",
            &fl,
            false,
            JobStatus::Stopped,
            TaskStatus::FixLayoutStopped,
        ),
    ];
    for (case, j, there, next, task) in rows {
        let (n, t, reason) = ended_outside(j, there);
        assert_eq!((n, t), (next, task), "{case}");
        assert!(reason.contains("outside this service"), "{case}");
    }
}

#[test]
fn a_pending_job_fails_only_after_the_timeout_and_only_without_a_task() {
    let mut pending = job(TaskKind::Rebalance, JobStatus::Pending);
    pending.gluster_task_id = None;
    let timeout = Duration::from_secs(120);
    assert_eq!(pending_expired(&pending, at(119), timeout), None);
    assert!(pending_expired(&pending, at(120), timeout)
        .unwrap()
        .contains("never reached gluster"));
    let mut attached = pending.clone();
    attached.gluster_task_id = Some(TASK);
    assert_eq!(pending_expired(&attached, at(500), timeout), None);
}

#[test]
fn a_settled_task_is_not_asked_again() {
    let mut ended = job(TaskKind::Rebalance, JobStatus::Succeeded);
    ended.task_status = Some(Completed);
    let running = job(TaskKind::Rebalance, JobStatus::Running);
    let rows = vec![node("192.0.2.11", 11, Completed, 3, 0)];
    assert!(settled(&ended, &rows, Some(Completed)));
    assert!(
        !settled(&ended, &[], Some(Completed)),
        "adopted ended: ask once for its nodes"
    );
    assert!(
        !settled(&running, &rows, Some(Completed)),
        "the job must catch up first"
    );
    assert!(!settled(&running, &rows, Some(InProgress)));
    assert!(!settled(&ended, &rows, None));
}
