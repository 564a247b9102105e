//! Rows where gluster reports the task: progress, completion held for silent nodes, commit,
//! failure (and a failed removal gluster keeps), stalls.

use super::*;

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
fn a_held_removal_is_let_go_however_gluster_shows_it_no_longer_has_it() {
    let mut held = job(TaskKind::RemoveBrick, JobStatus::Failed);
    held.tracking.needs_stop = true;
    let newer = Answer::Report(TaskReport {
        task_id: Some(OTHER_TASK),
        nodes: vec![],
        status: InProgress,
    });
    // (case, listed, answer, released)
    let rows = [
        ("still listed", Some(TFailed), Answer::NotAsked, false),
        ("not listed, not asked", None, Answer::NotAsked, false),
        ("gluster reports a newer removal", None, newer, true),
        (
            "not started",
            None,
            refused(
                Refusal::NotStarted,
                "remove-brick not started for volume dist.",
            ),
            true,
        ),
        (
            "bricks gone",
            None,
            refused(
                Refusal::Invalid,
                "Incorrect brick 192.0.2.12:/b/2 for volume dist",
            ),
            true,
        ),
        (
            "volume gone",
            None,
            refused(Refusal::VolumeMissing, "Volume dist does not exist"),
            true,
        ),
        (
            "lock held",
            None,
            refused(Refusal::LockHeld, "Another transaction is in progress"),
            false,
        ),
    ];
    for (case, listed, answer, released) in rows {
        let v = decide_at(&held, &[], listed, &answer, &[], at(5));
        assert_eq!(
            matches!(v, Verdict::Released { .. }),
            released,
            "{case}: {v:?}"
        );
    }
}

#[test]
fn a_listed_status_alone_never_makes_a_stall_and_a_failed_auto_commit_is_not_news() {
    let j = job(TaskKind::Rebalance, JobStatus::Running);
    let u = update(decide_at(
        &j,
        &[],
        Some(InProgress),
        &Answer::NotAsked,
        &[],
        at(3600),
    ));
    assert_eq!(
        u.tracking.stalled_since, None,
        "nothing measured, nothing stalled"
    );

    let mut auto = job(TaskKind::RemoveBrick, JobStatus::AwaitingCommit);
    auto.params.auto_commit = true;
    auto.task_status = Some(Completed);
    auto.reason = Some("auto-commit failed: gluster is unavailable".into());
    let clean = report(Completed, vec![node("192.0.2.12", 12, Completed, 9, 0)]);
    let u = update(decide_at(&auto, &[], Some(Completed), &clean, &[], at(5)));
    assert!(u.commit);
    assert_eq!(
        u.reason, auto.reason,
        "the last attempt's reason stays until it succeeds"
    );
}

#[test]
fn one_node_that_stops_moving_stalls_the_task_while_the_others_go_on() {
    use domain::estimate::NodeEstimate;
    let j = job(TaskKind::Rebalance, JobStatus::Running);
    let before = vec![
        node("192.0.2.11", 11, InProgress, 10, 0),
        node("192.0.2.12", 12, InProgress, 5, 0),
    ];
    // 192.0.2.11 last moved at 100 s, 192.0.2.12 at 0 s.
    let marks = vec![
        NodeEstimate {
            peer_id: Uuid::from_u128(11),
            progressed_at: Some(at(100)),
            ..NodeEstimate::default()
        },
        NodeEstimate {
            peer_id: Uuid::from_u128(12),
            progressed_at: Some(at(0)),
            ..NodeEstimate::default()
        },
    ];
    let after = vec![
        node("192.0.2.11", 11, InProgress, 20, 0),
        node("192.0.2.12", 12, InProgress, 5, 0),
    ];
    let answer = report(InProgress, after);
    // (case, now, stalled since)
    for (case, now, since) in [("10 min", at(600), None), ("15 min", at(900), Some(at(0)))] {
        let seen = Seen {
            listed: Some(InProgress),
            answer: &answer,
            silent: &[],
            now,
        };
        let u = update(decide(&j, &before, &marks, seen, rules()));
        assert_eq!(u.tracking.stalled_since, since, "{case}");
        assert_eq!(
            u.tracking.progressed_at,
            Some(now),
            "{case}: the task moved"
        );
        let mark = |peer| {
            u.marks
                .iter()
                .find(|m| m.peer_id == Uuid::from_u128(peer))
                .copied()
        };
        assert_eq!(
            mark(11).map(|m| (m.progressed_at, m.stalled_since)),
            Some((now, None))
        );
        assert_eq!(mark(12).map(|m| m.stalled_since), Some(since), "{case}");
        let reason = u.reason.unwrap_or_default();
        assert_eq!(
            reason.contains("on 192.0.2.12 (run time 5 s)"),
            since.is_some(),
            "{case}: {reason}"
        );
        assert!(!reason.contains("192.0.2.11"), "{case}: {reason}");
    }
}
