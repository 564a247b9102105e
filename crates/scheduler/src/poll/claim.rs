//! Which job a task listed by `volume status all tasks` belongs to: a pure decision over the
//! jobs the cycle follows and the task ids the store already knows.

use chrono::{DateTime, Utc};
use domain::{Job, JobOrigin, JobStatus, TaskKind, TaskParams, Volume};
use gluster::GlusterTask;
use std::collections::HashSet;
use uuid::Uuid;

/// The owner of a listed task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The followed job at this index tracks the task.
    Follow(usize),
    /// The task belongs to a job that has ended, or to a purged job's tombstone: it is history,
    /// never attached or adopted again.
    Known,
    /// The pending job at this index (same volume and kind, no task id yet) gets the task: its
    /// start was cut off before the id was recorded.
    Attach(usize),
    /// Nobody has it: a task started with the gluster CLI, adopted as a `cli` job.
    Adopt,
}

/// Who owns `task`, listed on volume `volume_id`. `followed` are the jobs the cycle follows and
/// has not claimed yet; `known` the task ids that belong to any job or tombstone. A task's own
/// job is found before any pending job: a volume's previous task, still listed, never goes to
/// the job of a start in progress.
pub fn claim(
    task: &GlusterTask,
    volume_id: Uuid,
    followed: &[Job],
    known: &HashSet<Uuid>,
) -> Claim {
    if let Some(i) = followed
        .iter()
        .position(|j| j.gluster_task_id == Some(task.id))
    {
        return Claim::Follow(i);
    }
    if known.contains(&task.id) {
        return Claim::Known;
    }
    match followed.iter().position(|j| {
        j.gluster_task_id.is_none() && j.volume_id == volume_id && j.kind == task.kind
    }) {
        Some(i) => Claim::Attach(i),
        None => Claim::Adopt,
    }
}

/// The job of a task started with the gluster CLI. It is written `running` (never `pending`,
/// which means "written before gluster is called"); following it in the same cycle brings it
/// to the state gluster reports, with its per-node rows and reason in one write.
pub fn adopted(task: &GlusterTask, volume: &Volume, now: DateTime<Utc>) -> Job {
    let mut job = Job::new_pending(
        task.kind,
        JobOrigin::Cli,
        volume.id,
        &volume.name,
        volume.cluster_id,
        TaskParams {
            fix_layout: task.status.is_fix_layout(),
            bricks: task.bricks.clone(),
            migrate_data: task.kind == TaskKind::RemoveBrick,
            ..TaskParams::default()
        },
        now,
    );
    job.gluster_task_id = Some(task.id);
    // A pending job may become anything.
    let _ = job.transition(JobStatus::Running, now);
    job
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::TaskStatus;

    fn task(id: u128, kind: TaskKind) -> GlusterTask {
        GlusterTask {
            kind,
            id: Uuid::from_u128(id),
            status: TaskStatus::InProgress,
            bricks: Vec::new(),
        }
    }

    fn job(vol: u128, kind: TaskKind, task: Option<u128>) -> Job {
        let mut j = Job::new_pending(
            kind,
            JobOrigin::Api,
            Uuid::from_u128(vol),
            "v",
            Uuid::from_u128(99),
            TaskParams::default(),
            Utc::now(),
        );
        j.gluster_task_id = task.map(Uuid::from_u128);
        j
    }

    #[test]
    fn listed_tasks_go_to_their_own_job_before_any_pending_one() {
        use Claim::*;
        use TaskKind::{Rebalance as R, RemoveBrick as B};
        let vol = 7;
        let known = |ids: &[u128]| {
            ids.iter()
                .copied()
                .map(Uuid::from_u128)
                .collect::<HashSet<_>>()
        };
        // (case, listed task, followed jobs, known ids, expected)
        type Row = (&'static str, GlusterTask, Vec<Job>, HashSet<Uuid>, Claim);
        let rows: Vec<Row> = vec![
            (
                "tracked by id",
                task(1, R),
                vec![job(vol, R, None), job(vol, R, Some(1))],
                known(&[1]),
                Follow(1),
            ),
            (
                "old task of an ended job, a new start pending (case 2)",
                task(1, R),
                vec![job(vol, R, None)],
                known(&[1]),
                Known,
            ),
            (
                "purged job's tombstone",
                task(2, R),
                vec![],
                known(&[2]),
                Known,
            ),
            (
                "start cut off: pending job of same volume and kind",
                task(3, R),
                vec![job(vol, R, None)],
                known(&[]),
                Attach(0),
            ),
            (
                "pending job of another kind is not attached",
                task(3, B),
                vec![job(vol, R, None)],
                known(&[]),
                Adopt,
            ),
            (
                "pending job of another volume is not attached",
                task(3, R),
                vec![job(8, R, None)],
                known(&[]),
                Adopt,
            ),
            (
                "pending job that has its task already",
                task(3, R),
                vec![job(vol, R, Some(4))],
                known(&[4]),
                Adopt,
            ),
            ("nobody has it", task(5, B), vec![], known(&[]), Adopt),
        ];
        for (case, t, followed, known, want) in rows {
            assert_eq!(
                claim(&t, Uuid::from_u128(vol), &followed, &known),
                want,
                "{case}"
            );
        }
    }

    #[test]
    fn an_adopted_job_starts_running_whatever_gluster_lists() {
        let vol = Volume {
            id: Uuid::from_u128(7),
            cluster_id: Uuid::from_u128(99),
            name: "v".into(),
            vol_type: domain::VolumeType::Distribute,
            status: domain::VolumeStatus::Started,
            layout: domain::VolumeLayout::default(),
            bricks: Vec::new(),
            refreshed_at: Utc::now(),
        };
        for (status, kind, want) in [
            (
                TaskStatus::InProgress,
                TaskKind::Rebalance,
                JobStatus::Running,
            ),
            (
                TaskStatus::Completed,
                TaskKind::RemoveBrick,
                JobStatus::Running,
            ),
            (
                TaskStatus::Completed,
                TaskKind::Rebalance,
                JobStatus::Running,
            ),
            (
                TaskStatus::Failed,
                TaskKind::RemoveBrick,
                JobStatus::Running,
            ),
        ] {
            let t = GlusterTask {
                status,
                ..task(1, kind)
            };
            let j = adopted(&t, &vol, Utc::now());
            assert_eq!(
                (j.status, j.origin, j.gluster_task_id),
                (want, JobOrigin::Cli, Some(t.id))
            );
            assert!(
                j.started_at.is_some(),
                "{status}: adopted jobs have started"
            );
        }
    }
}
