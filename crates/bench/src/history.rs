//! Ended jobs as a long-running service accumulates them: rebalances and removals over every
//! volume, mostly succeeded, some failed or stopped, each with its steps and one progress row
//! per node that ran it.

use chrono::{DateTime, Duration, Utc};
use domain::{Job, JobOrigin, JobStatus, NodeProgress, Step, TaskKind, TaskParams, TaskStatus};
use uuid::Uuid;

/// A volume jobs are written for: its id, name and the peers (id, host name) of its bricks.
#[derive(Debug, Clone)]
pub struct VolumeRef {
    /// gluster's volume UUID.
    pub id: Uuid,
    /// Volume name.
    pub name: String,
    /// Peers hosting its bricks: (peer UUID, host name).
    pub peers: Vec<(Uuid, String)>,
}

/// One ended job with its steps and node rows, ready for `jobs::insert` and `jobs::set_nodes`.
#[derive(Debug, Clone)]
pub struct SeedJob {
    /// The job, in a terminal state.
    pub job: Job,
    /// Its steps, settled as the job ended.
    pub steps: Vec<Step>,
    /// One row per node.
    pub nodes: Vec<NodeProgress>,
}

/// The `i`-th of a history of ended jobs: on volume `i % volumes.len()`, created `spacing × i`
/// before `newest` (so creation times are distinct and strictly decreasing with `i`), ended
/// ten minutes after it was created. One in eight is a remove-brick; of every 25 jobs, 3
/// failed, 2 were stopped, the rest succeeded.
pub fn ended_job(
    i: usize,
    volumes: &[VolumeRef],
    cluster_id: Uuid,
    newest: DateTime<Utc>,
    spacing: Duration,
) -> Option<SeedJob> {
    let vol = volumes.get(i % volumes.len().max(1))?;
    let created = newest - spacing * i32::try_from(i).ok()?;
    let kind = if i % 8 == 7 {
        TaskKind::RemoveBrick
    } else {
        TaskKind::Rebalance
    };
    let params = match kind {
        TaskKind::Rebalance => TaskParams::default(),
        TaskKind::RemoveBrick => TaskParams {
            bricks: vol
                .peers
                .last()
                .map(|(_, host)| format!("{host}:/bricks/{}/b2", vol.name))
                .into_iter()
                .collect(),
            migrate_data: true,
            ..TaskParams::default()
        },
    };
    let mut job = Job::new_pending(
        kind,
        JobOrigin::Api,
        vol.id,
        &vol.name,
        cluster_id,
        params,
        created,
    );
    let (status, task) = match i % 25 {
        3 | 11 | 19 => (JobStatus::Failed, TaskStatus::Failed),
        7 | 15 => (JobStatus::Stopped, TaskStatus::Stopped),
        _ => (JobStatus::Succeeded, TaskStatus::Completed),
    };
    let ended = created + Duration::minutes(10);
    job.status = status;
    job.gluster_task_id = Some(Uuid::new_v4());
    job.task_status = Some(task);
    job.started_at = Some(created + Duration::seconds(2));
    job.ended_at = Some(ended);
    job.updated_at = ended;
    job.polled_at = Some(ended);
    job.request_id = Some(format!("bench-{i}"));
    job.initiator = Some("bench".to_owned());
    if status == JobStatus::Failed {
        job.reason = Some("gluster reported the task failed on 1 node".to_owned());
    }
    let mut steps = job.initial_steps();
    job.sync_steps(&mut steps, ended);
    let files = i64::try_from(i % 5000).ok()? * 3 + 100;
    let nodes = vol
        .peers
        .iter()
        .map(|(peer_id, host)| NodeProgress {
            peer_id: *peer_id,
            name: host.clone(),
            files,
            size_bytes: files * 65_536,
            scanned: files * 2,
            failures: i64::from(status == JobStatus::Failed),
            skipped: 0,
            status: task,
            runtime_secs: 598.5,
        })
        .collect();
    Some(SeedJob { job, steps, nodes })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

    use super::*;

    fn volumes() -> Vec<VolumeRef> {
        (0..3)
            .map(|n| VolumeRef {
                id: Uuid::new_v4(),
                name: format!("v{n}"),
                peers: vec![
                    (Uuid::new_v4(), "server1".into()),
                    (Uuid::new_v4(), "server2".into()),
                ],
            })
            .collect()
    }

    #[test]
    fn a_history_is_ended_spread_over_volumes_and_newest_first() {
        let vols = volumes();
        let now = Utc::now();
        let jobs: Vec<SeedJob> = (0..50)
            .map(|i| ended_job(i, &vols, Uuid::nil(), now, Duration::seconds(20)).unwrap())
            .collect();
        for (i, s) in jobs.iter().enumerate() {
            assert!(s.job.status.is_terminal(), "job {i} is {}", s.job.status);
            assert_eq!(s.job.volume_id, vols[i % 3].id);
            assert_eq!(s.nodes.len(), 2);
            assert!(s.steps.len() >= 2, "a root and the task's step");
            assert!(s.job.ended_at.unwrap() > s.job.created_at);
        }
        assert!(jobs
            .windows(2)
            .all(|w| w[0].job.created_at > w[1].job.created_at));
        let count = |st: JobStatus| jobs.iter().filter(|s| s.job.status == st).count();
        assert_eq!(count(JobStatus::Failed), 6);
        assert_eq!(count(JobStatus::Stopped), 4);
        assert_eq!(count(JobStatus::Succeeded), 40);
        assert!(jobs.iter().any(|s| s.job.kind == TaskKind::RemoveBrick));
    }

    #[test]
    fn no_volumes_no_jobs() {
        assert!(ended_job(0, &[], Uuid::nil(), Utc::now(), Duration::seconds(1)).is_none());
    }
}
