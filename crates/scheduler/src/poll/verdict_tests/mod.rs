//! The verdict's table: one row per tracking rule of docs/tracking.md, and one per case of
//! issue 13. No database, no CLI: a job, what gluster said, the clock. Shared helpers here,
//! the rows in `reports` (gluster answers for the task) and `misses` (it does not, and the
//! other pure rules).

use super::*;

mod misses;
mod reports;
use chrono::TimeZone;
use domain::{JobOrigin, TaskParams};
use uuid::Uuid;

pub(super) const TASK: Uuid = Uuid::from_u128(0x7a5c);
pub(super) const OTHER_TASK: Uuid = Uuid::from_u128(0x7a5d);

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

pub(super) fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

pub(super) fn rules() -> Rules {
    Rules {
        vanish_misses: 3,
        vanish_grace: Duration::from_secs(600),
        stall_after: Duration::from_secs(900),
    }
}

pub(super) fn job(kind: TaskKind, status: JobStatus) -> Job {
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

pub(super) fn node(
    name: &str,
    peer: u128,
    status: TaskStatus,
    files: i64,
    failures: i64,
) -> NodeProgress {
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

pub(super) fn report(status: TaskStatus, nodes: Vec<NodeProgress>) -> Answer {
    Answer::Report(TaskReport {
        task_id: Some(TASK),
        nodes,
        status,
    })
}

pub(super) fn refused(r: Refusal, words: &str) -> Answer {
    Answer::Refused(r, words.into())
}

pub(super) fn decide_at(
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
        &[],
        Seen {
            listed,
            answer,
            silent,
            now,
        },
        rules(),
    )
}

pub(super) fn update(v: Verdict) -> Update {
    match v {
        Verdict::Report(u) => u,
        other => panic!("expected an update, got {other:?}"),
    }
}

pub(super) use TaskStatus::{Completed, Failed as TFailed, InProgress};
