//! Rows where gluster does not report the task (misses, ended outside, lost), and the other
//! pure rules: silent nodes to check, pending expiry, settled tasks.

use super::*;

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

#[test]
fn not_started_is_never_lost_whatever_the_vanish_settings() {
    let eager = Rules {
        vanish_misses: 1,
        vanish_grace: Duration::ZERO,
        ..rules()
    };
    let j = job(TaskKind::Rebalance, JobStatus::Running);
    let answer = refused(
        Refusal::NotStarted,
        "Rebalance not started for volume dist.",
    );
    let v = decide(
        &j,
        &[],
        &[],
        Seen {
            listed: None,
            answer: &answer,
            silent: &[],
            now: at(1),
        },
        eager,
    );
    assert!(matches!(v, Verdict::Missing(_)), "{v:?}");
    let other = refused(Refusal::VolumeMissing, "Volume dist does not exist");
    let v = decide(
        &j,
        &[],
        &[],
        Seen {
            listed: None,
            answer: &other,
            silent: &[],
            now: at(1),
        },
        eager,
    );
    assert!(matches!(v, Verdict::Lost { .. }), "{v:?}");
}
