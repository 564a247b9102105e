//! Jobs: the service's record of one gluster task, with its steps and state machine.
//! [`status`] holds the job's origin, states and parameters, [`step`] its steps.

mod status;
mod step;

pub use status::{JobOrigin, JobStatus, TaskParams};
pub use step::{Step, StepKind, StepStatus};

use crate::{DomainError, TaskKind, TaskStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A job: the record of one gluster task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Job id.
    pub id: Uuid,
    /// Task kind.
    pub kind: TaskKind,
    /// Job state.
    pub status: JobStatus,
    /// Who started the task.
    pub origin: JobOrigin,
    /// The volume it runs on.
    pub volume_id: Uuid,
    /// The volume's name when the job began.
    pub volume_name: String,
    /// The cluster of the volume.
    pub cluster_id: Uuid,
    /// Gluster's task id, once known.
    pub gluster_task_id: Option<Uuid>,
    /// What was asked.
    pub params: TaskParams,
    /// Gluster's last aggregate status for the task.
    pub task_status: Option<TaskStatus>,
    /// Why the job is in its state, when that needs saying (failures, unknown, refusals).
    pub reason: Option<String>,
    /// When the job was written.
    pub created_at: DateTime<Utc>,
    /// When gluster accepted the task.
    pub started_at: Option<DateTime<Utc>>,
    /// When the job reached a terminal state.
    pub ended_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last time the scheduler polled gluster for it.
    pub polled_at: Option<DateTime<Utc>>,
    /// Set while the job's cluster cannot be asked about it: since when its state is only the
    /// last one known. `None` once a poll reaches gluster again.
    pub stale_since: Option<DateTime<Utc>>,
    /// The `X-Request-Id` of the API request that created the job (`None` for adopted tasks).
    pub request_id: Option<String>,
    /// The name of the API token that created the job (`None` without tokens, or adopted).
    pub initiator: Option<String>,
    /// What following the task has established (miss counts, stall, held nodes).
    pub tracking: crate::Tracking,
    /// The estimate of how far along the task is and when it ends ([`crate::estimate`]).
    pub progress: crate::estimate::JobProgress,
}

impl Job {
    /// A new job in `pending`, before the gluster call.
    pub fn new_pending(
        kind: TaskKind,
        origin: JobOrigin,
        volume_id: Uuid,
        volume_name: &str,
        cluster_id: Uuid,
        params: TaskParams,
        now: DateTime<Utc>,
    ) -> Self {
        Job {
            id: Uuid::new_v4(),
            kind,
            status: JobStatus::Pending,
            origin,
            volume_id,
            volume_name: volume_name.to_owned(),
            cluster_id,
            gluster_task_id: None,
            params,
            task_status: None,
            reason: None,
            created_at: now,
            started_at: None,
            ended_at: None,
            updated_at: now,
            polled_at: None,
            stale_since: None,
            request_id: None,
            initiator: None,
            tracking: crate::Tracking::default(),
            // Nothing measured yet: the figures come with the first polls.
            progress: crate::estimate::JobProgress {
                note: Some(crate::estimate::ProgressNote::Measuring),
                ..Default::default()
            },
        }
    }

    /// The initial steps of a job of this kind: an `executing` root and the task's own step.
    pub fn initial_steps(&self) -> Vec<Step> {
        let root = Uuid::new_v4();
        let step = |id, parent, position, kind, description: String| Step {
            id,
            job_id: self.id,
            parent_id: parent,
            position,
            kind,
            status: StepStatus::Pending,
            description,
            started_at: None,
            ended_at: None,
        };
        let vol = &self.volume_name;
        let mut steps = vec![step(
            root,
            None,
            0,
            StepKind::Executing,
            format!("Executing {} on volume {vol}", self.kind),
        )];
        match self.kind {
            TaskKind::Rebalance => steps.push(step(
                Uuid::new_v4(),
                Some(root),
                0,
                StepKind::RebalancingVolume,
                if self.params.fix_layout {
                    format!("Fixing the layout of volume {vol}")
                } else {
                    format!("Rebalancing volume {vol}")
                },
            )),
            TaskKind::RemoveBrick => {
                steps.push(step(
                    Uuid::new_v4(),
                    Some(root),
                    0,
                    StepKind::RemovingBricks,
                    format!("Migrating data off the bricks being removed from {vol}"),
                ));
                steps.push(step(
                    Uuid::new_v4(),
                    Some(root),
                    1,
                    StepKind::Committing,
                    format!("Committing the removal of bricks from {vol}"),
                ));
            }
        }
        steps
    }

    /// Moves the job to `next`, stamping times; refuses what the state machine forbids.
    /// Returns whether anything changed.
    pub fn transition(&mut self, next: JobStatus, now: DateTime<Utc>) -> Result<bool, DomainError> {
        if !self.status.can_become(next) {
            return Err(DomainError::IllegalTransition {
                from: self.status.as_str(),
                to: next.as_str(),
            });
        }
        if self.status == next {
            return Ok(false);
        }
        self.status = next;
        self.updated_at = now;
        if next != JobStatus::Pending && next != JobStatus::Unknown && self.started_at.is_none() {
            self.started_at = Some(now);
        }
        if next.is_terminal() {
            self.ended_at = Some(now);
        }
        self.progress.settle(next);
        Ok(true)
    }

    /// Brings `steps` in line with the job's state. Returns whether any step changed.
    pub fn sync_steps(&self, steps: &mut [Step], now: DateTime<Utc>) -> bool {
        let mut changed = false;
        for s in steps.iter_mut() {
            let want = step_status_for(self.kind, self.status, s.kind, s.status);
            if want != s.status {
                if s.started_at.is_none() && want != StepStatus::Pending {
                    s.started_at = Some(now);
                }
                if matches!(
                    want,
                    StepStatus::Succeeded | StepStatus::Failed | StepStatus::Stopped
                ) {
                    s.ended_at = Some(now);
                } else {
                    s.ended_at = None;
                }
                s.status = want;
                changed = true;
            }
        }
        changed
    }
}

/// The state of a step of `kind` in a job of `job_kind` that is in `job` state.
fn step_status_for(
    job_kind: TaskKind,
    job: JobStatus,
    step: StepKind,
    current: StepStatus,
) -> StepStatus {
    let mirror = match job {
        JobStatus::Pending => StepStatus::Pending,
        JobStatus::Running | JobStatus::AwaitingCommit => StepStatus::Running,
        JobStatus::Succeeded => StepStatus::Succeeded,
        JobStatus::Failed => StepStatus::Failed,
        JobStatus::Stopped => StepStatus::Stopped,
        JobStatus::Unknown => StepStatus::Unknown,
    };
    match (job_kind, step, job) {
        (TaskKind::RemoveBrick, StepKind::RemovingBricks, JobStatus::AwaitingCommit) => {
            StepStatus::Succeeded
        }
        (TaskKind::RemoveBrick, StepKind::Committing, JobStatus::Pending)
        | (TaskKind::RemoveBrick, StepKind::Committing, JobStatus::Running)
        | (TaskKind::RemoveBrick, StepKind::Committing, JobStatus::AwaitingCommit) => {
            StepStatus::Pending
        }
        (TaskKind::RemoveBrick, StepKind::Committing, JobStatus::Stopped)
        | (TaskKind::RemoveBrick, StepKind::Committing, JobStatus::Failed)
            if current == StepStatus::Pending =>
        {
            StepStatus::Pending
        }
        (TaskKind::RemoveBrick, StepKind::RemovingBricks, JobStatus::Succeeded) => {
            StepStatus::Succeeded
        }
        _ => mirror,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(kind: TaskKind) -> Job {
        Job::new_pending(
            kind,
            JobOrigin::Api,
            Uuid::new_v4(),
            "dist",
            Uuid::new_v4(),
            TaskParams::default(),
            Utc::now(),
        )
    }

    #[test]
    fn terminal_states_are_final() {
        for from in [JobStatus::Succeeded, JobStatus::Failed, JobStatus::Stopped] {
            for to in JobStatus::ALL {
                assert_eq!(from.can_become(to), from == to, "{from} -> {to}");
            }
        }
        assert!(!JobStatus::Running.can_become(JobStatus::Pending));
        assert!(JobStatus::Unknown.can_become(JobStatus::Succeeded));
    }

    #[test]
    fn task_states_map_to_job_states() {
        use TaskStatus::*;
        let rb = |s| JobStatus::for_task(TaskKind::Rebalance, s);
        assert_eq!(rb(InProgress), JobStatus::Running);
        assert_eq!(rb(FixLayoutInProgress), JobStatus::Running);
        assert_eq!(rb(Completed), JobStatus::Succeeded);
        assert_eq!(rb(FixLayoutCompleted), JobStatus::Succeeded);
        assert_eq!(rb(Failed), JobStatus::Failed);
        assert_eq!(rb(FixLayoutStopped), JobStatus::Stopped);
        assert_eq!(rb(ResetDueToReplaceBrick), JobStatus::Stopped);
        assert_eq!(
            JobStatus::for_task(TaskKind::RemoveBrick, Completed),
            JobStatus::AwaitingCommit
        );
    }

    #[test]
    fn transition_stamps_times_and_refuses_illegal_moves() {
        let mut j = job(TaskKind::Rebalance);
        let t = Utc::now();
        assert_eq!(j.transition(JobStatus::Running, t), Ok(true));
        assert_eq!(j.started_at, Some(t));
        assert_eq!(j.transition(JobStatus::Running, t), Ok(false));
        assert_eq!(j.transition(JobStatus::Succeeded, t), Ok(true));
        assert_eq!(j.ended_at, Some(t));
        assert!(j.transition(JobStatus::Running, t).is_err());
    }

    #[test]
    fn an_ended_job_keeps_its_percent_and_loses_its_time_left() {
        use crate::estimate::{Basis, JobProgress, ProgressNote};
        let t = Utc::now();
        let running = JobProgress {
            percent: Some(42.0),
            estimated_end_at: Some(t),
            rate: Some(3.0),
            basis: Some(Basis::Files),
            note: Some(ProgressNote::Measuring),
        };
        // (end state, percent afterwards)
        for (to, percent) in [
            (JobStatus::Stopped, Some(42.0)),
            (JobStatus::Failed, Some(42.0)),
            (JobStatus::Succeeded, Some(100.0)),
            (JobStatus::AwaitingCommit, Some(100.0)),
        ] {
            let mut j = job(TaskKind::RemoveBrick);
            j.transition(JobStatus::Running, t).unwrap();
            j.progress = running.clone();
            j.transition(to, t).unwrap();
            assert_eq!(j.progress.percent, percent, "{to}");
            assert_eq!(
                (
                    j.progress.estimated_end_at,
                    j.progress.rate,
                    j.progress.note
                ),
                (None, None, None),
                "{to}"
            );
            assert_eq!(j.progress.basis, Some(Basis::Files));
        }
        let mut j = job(TaskKind::Rebalance);
        j.progress = running.clone();
        j.transition(JobStatus::Running, t).unwrap();
        assert_eq!(j.progress, running, "a running job keeps its figures");
    }

    #[test]
    fn steps_follow_the_job() {
        let mut j = job(TaskKind::Rebalance);
        let mut steps = j.initial_steps();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1].parent_id, Some(steps[0].id));
        let t = Utc::now();
        j.transition(JobStatus::Running, t).unwrap();
        assert!(j.sync_steps(&mut steps, t));
        assert!(steps.iter().all(|s| s.status == StepStatus::Running));
        assert!(!j.sync_steps(&mut steps, t));
        j.transition(JobStatus::Stopped, t).unwrap();
        j.sync_steps(&mut steps, t);
        assert!(steps
            .iter()
            .all(|s| s.status == StepStatus::Stopped && s.ended_at == Some(t)));
    }

    #[test]
    fn remove_brick_steps_wait_for_commit() {
        let mut j = job(TaskKind::RemoveBrick);
        let mut steps = j.initial_steps();
        let t = Utc::now();
        j.transition(JobStatus::AwaitingCommit, t).unwrap();
        j.sync_steps(&mut steps, t);
        let by = |k| steps.iter().find(|s| s.kind == k).unwrap().status;
        assert_eq!(by(StepKind::Executing), StepStatus::Running);
        assert_eq!(by(StepKind::RemovingBricks), StepStatus::Succeeded);
        assert_eq!(by(StepKind::Committing), StepStatus::Pending);
    }
}
