//! Jobs as the API shows them: the job with its steps and per-node progress, and the latest
//! task status of a volume.

use super::job_href;
use super::progress::{JobProgressDto, NodeEstimateDto};
use chrono::{DateTime, Utc};
use domain::estimate::NodeEstimate;
use domain::{
    JobOrigin, JobStatus, NodeProgress, ProgressTotals, Step, StepKind, StepStatus, TaskKind,
    TaskStatus,
};
use persistence::JobRecord;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One node's progress.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NodeProgress)]
pub struct NodeProgressDto {
    /// Node name as gluster printed it (`localhost` for the peer that answered).
    pub name: String,
    /// Gluster's peer UUID.
    pub peer_id: Uuid,
    /// Files moved.
    pub files: i64,
    /// Bytes moved.
    pub size_bytes: i64,
    /// Files scanned.
    pub scanned: i64,
    /// Files that failed to move.
    pub failures: i64,
    /// Files skipped.
    pub skipped: i64,
    /// The node's task status.
    pub status: TaskStatus,
    /// Seconds its process has run.
    pub runtime_secs: f64,
    /// How far along the node is, and when it should end.
    pub estimate: NodeEstimateDto,
}

impl NodeProgressDto {
    /// The rows of `rec`'s nodes, each with its estimate.
    pub fn all(rec: &JobRecord) -> Vec<Self> {
        rec.nodes
            .iter()
            .map(|n| {
                let e = rec.estimates.iter().find(|e| e.peer_id == n.peer_id);
                Self::of(n, e)
            })
            .collect()
    }

    fn of(n: &NodeProgress, e: Option<&NodeEstimate>) -> Self {
        NodeProgressDto {
            estimate: NodeEstimateDto::of(e),
            name: n.name.clone(),
            peer_id: n.peer_id,
            files: n.files,
            size_bytes: n.size_bytes,
            scanned: n.scanned,
            failures: n.failures,
            skipped: n.skipped,
            status: n.status,
            runtime_secs: n.runtime_secs,
        }
    }
}

/// Counters summed over all nodes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Aggregate)]
pub struct AggregateDto {
    /// Files moved.
    pub files: i64,
    /// Bytes moved.
    pub size_bytes: i64,
    /// Files scanned.
    pub scanned: i64,
    /// Files that failed to move.
    pub failures: i64,
    /// Files skipped.
    pub skipped: i64,
    /// Longest run time of any node.
    pub runtime_secs: f64,
    /// The task's overall status.
    pub status: Option<TaskStatus>,
}

impl AggregateDto {
    fn of(nodes: &[NodeProgress], status: Option<TaskStatus>) -> Self {
        let t = ProgressTotals::of(nodes);
        AggregateDto {
            files: t.files,
            size_bytes: t.size_bytes,
            scanned: t.scanned,
            failures: t.failures,
            skipped: t.skipped,
            runtime_secs: t.runtime_secs,
            status,
        }
    }
}

/// The latest per-node progress of a task.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Progress)]
pub struct ProgressDto {
    /// One row per node with a task process.
    pub nodes: Vec<NodeProgressDto>,
    /// Sums over the nodes.
    pub aggregate: AggregateDto,
}

/// A step of a job; steps nest.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Step)]
pub struct StepDto {
    /// Step id.
    pub id: Uuid,
    /// What it does.
    pub kind: StepKind,
    /// Its state.
    pub status: StepStatus,
    /// Description.
    pub description: String,
    /// When it began.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Per-node progress, on the step that moves data.
    pub progress: Option<ProgressDto>,
    /// Child steps.
    #[schema(no_recursion)]
    pub steps: Vec<StepDto>,
}

/// What the caller asked for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = JobParams)]
pub struct JobParamsDto {
    /// Rebalance: layout only.
    pub fix_layout: bool,
    /// Rebalance: `start force`.
    pub force: bool,
    /// Remove-brick: the bricks.
    pub bricks: Vec<String>,
    /// Remove-brick: commit by itself once migration completed without failures.
    pub auto_commit: bool,
    /// Remove-brick: data migrates first (false: forced removal).
    pub migrate_data: bool,
    /// Remove-brick: the new replica count, when reduced.
    pub replica_count: Option<i32>,
}

/// A job: one gluster task as this service tracks it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobDto {
    /// Job id.
    pub id: Uuid,
    /// Link to this job.
    pub href: String,
    /// Task kind.
    pub kind: TaskKind,
    /// Job state.
    pub status: JobStatus,
    /// `api` when started here, `cli` when found in gluster.
    pub origin: JobOrigin,
    /// The volume.
    pub volume_id: Uuid,
    /// The volume's name.
    pub volume_name: String,
    /// The cluster.
    pub cluster_id: Uuid,
    /// Gluster's task id, once known.
    pub gluster_task_id: Option<Uuid>,
    /// Gluster's last status of the task.
    pub task_status: Option<TaskStatus>,
    /// What was asked.
    pub params: JobParamsDto,
    /// Why the job is in its state, when that needs saying.
    pub reason: Option<String>,
    /// When the job was written.
    pub created_at: DateTime<Utc>,
    /// When gluster accepted the task.
    pub started_at: Option<DateTime<Utc>>,
    /// When the job ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last time the scheduler polled gluster for it.
    pub polled_at: Option<DateTime<Utc>>,
    /// Set while gluster cannot be asked about the job (cluster unreachable, unreadable
    /// answer): since when `status` and the progress are only the last ones known.
    pub stale_since: Option<DateTime<Utc>>,
    /// Set while gluster reports the task in progress but a node's counters and run time
    /// have not moved for `poll.stall_after_secs`: since when (the earliest such node). The
    /// job stays `running`; `reason` says which nodes and what to check. An operator decides.
    pub stalled_since: Option<DateTime<Utc>>,
    /// How far along the task is and when it should end (docs/progress.md).
    pub progress: JobProgressDto,
    /// Nodes whose report is awaited before the job may complete: gluster reported the task
    /// completed without them while their glusterd is disconnected (their migration may still
    /// run). Empty when nothing holds the job back.
    pub waiting_for_nodes: Vec<String>,
    /// Gluster still holds this ended job's task (a failed removal): it blocks rebalance and
    /// remove-brick on the volume until it is stopped (`POST /jobs/{id}/cancel` or the
    /// volume's `bricks/remove/stop`).
    pub needs_stop: bool,
    /// Steps: the `executing` root with the task's steps inside.
    pub steps: Vec<StepDto>,
    /// The `X-Request-Id` of the request that created the job (`null` for tasks adopted from
    /// the gluster CLI): quote it to find the request in the logs.
    pub request_id: Option<String>,
    /// The name of the API token that created the job (`null` without tokens, or for a task
    /// adopted from the gluster CLI). Taken from the token, never from the request body.
    pub initiator: Option<String>,
}

impl From<&JobRecord> for JobDto {
    fn from(rec: &JobRecord) -> Self {
        let j = &rec.job;
        JobDto {
            request_id: j.request_id.clone(),
            initiator: j.initiator.clone(),
            id: j.id,
            href: job_href(j.id),
            kind: j.kind,
            status: j.status,
            origin: j.origin,
            volume_id: j.volume_id,
            volume_name: j.volume_name.clone(),
            cluster_id: j.cluster_id,
            gluster_task_id: j.gluster_task_id,
            task_status: j.task_status,
            params: JobParamsDto {
                fix_layout: j.params.fix_layout,
                force: j.params.force,
                bricks: j.params.bricks.clone(),
                auto_commit: j.params.auto_commit,
                migrate_data: j.params.migrate_data,
                replica_count: j.params.replica_count,
            },
            reason: j.reason.clone(),
            created_at: j.created_at,
            started_at: j.started_at,
            ended_at: j.ended_at,
            updated_at: j.updated_at,
            polled_at: j.polled_at,
            stale_since: j.stale_since,
            stalled_since: j.tracking.stalled_since,
            progress: JobProgressDto::of(rec),
            waiting_for_nodes: j.tracking.held_for.clone(),
            needs_stop: j.tracking.needs_stop,
            steps: step_tree(rec, None),
        }
    }
}

fn step_tree(rec: &JobRecord, parent: Option<Uuid>) -> Vec<StepDto> {
    let mut level: Vec<&Step> = rec.steps.iter().filter(|s| s.parent_id == parent).collect();
    level.sort_by_key(|s| s.position);
    level
        .into_iter()
        .map(|s| StepDto {
            id: s.id,
            kind: s.kind,
            status: s.status,
            description: s.description.clone(),
            started_at: s.started_at,
            ended_at: s.ended_at,
            progress: matches!(
                s.kind,
                StepKind::RebalancingVolume | StepKind::RemovingBricks
            )
            .then(|| ProgressDto {
                nodes: NodeProgressDto::all(rec),
                aggregate: AggregateDto::of(&rec.nodes, rec.job.task_status),
            }),
            steps: step_tree(rec, Some(s.id)),
        })
        .collect()
}

/// The latest status of a volume's task, as the scheduler last polled it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RebalanceStatus)]
pub struct TaskStatusDto {
    /// The job tracking the task.
    pub job_id: Uuid,
    /// Link to it.
    pub job_href: String,
    /// The job's state.
    pub job_status: JobStatus,
    /// Gluster's task id.
    pub task_id: Option<Uuid>,
    /// Gluster's status of the task as a whole.
    pub status: Option<TaskStatus>,
    /// One row per node with a task process.
    pub nodes: Vec<NodeProgressDto>,
    /// Sums over the nodes.
    pub aggregate: AggregateDto,
    /// When gluster was last asked.
    pub polled_at: Option<DateTime<Utc>>,
    /// Set while gluster cannot be asked about the task: since when this is only the last
    /// known state.
    pub stale_since: Option<DateTime<Utc>>,
    /// When the task ended (`null` until then).
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<&JobRecord> for TaskStatusDto {
    fn from(rec: &JobRecord) -> Self {
        TaskStatusDto {
            job_id: rec.job.id,
            job_href: job_href(rec.job.id),
            job_status: rec.job.status,
            task_id: rec.job.gluster_task_id,
            status: rec.job.task_status,
            nodes: NodeProgressDto::all(rec),
            aggregate: AggregateDto::of(&rec.nodes, rec.job.task_status),
            polled_at: rec.job.polled_at,
            stale_since: rec.job.stale_since,
            completed_at: rec.job.ended_at,
        }
    }
}
