//! The JSON shapes of the API (response and request bodies), with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use domain::{
    Brick, JobOrigin, JobStatus, NodeProgress, ProgressTotals, Step, StepKind, StepStatus,
    TaskKind, TaskStatus, Volume, VolumeStatus, VolumeType,
};
use persistence::repo::clusters::ClusterRecord;
use persistence::JobRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub mod poller;
pub use poller::{PollerDto, PollerState};

/// The path of a job resource.
pub fn job_href(id: Uuid) -> String {
    format!("/api/v1/jobs/{id}")
}

/// A page of jobs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// The jobs.
    pub items: Vec<JobDto>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// All volumes (one page).
#[derive(Debug, Serialize, ToSchema)]
pub struct VolumeList {
    /// The volumes, by name.
    pub items: Vec<VolumeDto>,
    /// Always `null`: every volume fits on one page.
    pub next_cursor: Option<String>,
}

/// All clusters (one page).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterList {
    /// The clusters, by name.
    pub items: Vec<ClusterDto>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}

/// The bricks of a volume.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrickList {
    /// The bricks, in volume order.
    pub items: Vec<BrickDto>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}

/// A peer of a trusted pool.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Peer)]
pub struct PeerDto {
    /// Gluster's peer UUID.
    pub id: Uuid,
    /// Host name as the pool knows it (`localhost` is the peer that answered).
    pub hostname: String,
    /// Whether its glusterd is connected.
    pub connected: bool,
}

/// A managed cluster and how its polling goes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Cluster)]
pub struct ClusterDto {
    /// Cluster id (stable, derived from the configured name).
    pub id: Uuid,
    /// Configured name.
    pub name: String,
    /// Whether the last poll cycle reached gluster on some host. `false` means no configured
    /// host answered (or none gave a readable answer): its jobs keep their last known state
    /// and carry `stale_since`.
    pub reachable: bool,
    /// The configured host whose gluster CLI answered last; calls go there first.
    pub active_host: Option<String>,
    /// Poll cycles that failed in a row (0 after a successful one).
    pub failed_polls: u32,
    /// The service replica that polls the cluster (holds its lease), if any.
    pub polled_by: Option<String>,
    /// When that replica's lease runs out unless renewed.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Last poll cycle.
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Last successful poll cycle.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Error of the last cycle, when it failed.
    pub last_error: Option<String>,
    /// Last inventory refresh.
    pub inventory_at: Option<DateTime<Utc>>,
    /// Peers of the pool.
    pub peers: Vec<PeerDto>,
    /// This replica's poller of the cluster (another replica's is on that replica).
    pub poller: PollerDto,
}

impl ClusterDto {
    /// The cluster as recorded, with what this replica's poller of it is doing.
    pub fn new(c: ClusterRecord, poller: scheduler::WorkerStatus) -> Self {
        ClusterDto {
            poller: poller.into(),
            id: c.id,
            name: c.name,
            reachable: c.last_poll_at.is_some() && c.last_error.is_none(),
            active_host: c.active_host,
            failed_polls: c.failed_polls,
            polled_by: c.lease.as_ref().map(|(o, _)| o.clone()),
            lease_expires_at: c.lease.as_ref().map(|(_, t)| *t),
            last_poll_at: c.last_poll_at,
            last_success_at: c.last_success_at,
            last_error: c.last_error,
            inventory_at: c.inventory_at,
            peers: c
                .peers
                .into_iter()
                .map(|p| PeerDto {
                    id: p.id,
                    hostname: p.hostname,
                    connected: p.connected,
                })
                .collect(),
        }
    }
}

/// What is running on a volume or brick now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Activity)]
pub struct ActivityDto {
    /// The job.
    pub job_id: Uuid,
    /// Link to it.
    pub job_href: String,
    /// Task kind.
    pub kind: TaskKind,
    /// Job state.
    pub status: JobStatus,
    /// Gluster's last status of the task.
    pub task_status: Option<TaskStatus>,
    /// A remove-brick whose migration is done waits for a commit.
    pub commit_needed: bool,
}

impl ActivityDto {
    /// The activity of an active job.
    pub fn of(rec: &JobRecord) -> Self {
        ActivityDto {
            job_id: rec.job.id,
            job_href: job_href(rec.job.id),
            kind: rec.job.kind,
            status: rec.job.status,
            task_status: rec.job.task_status,
            commit_needed: rec.job.status == JobStatus::AwaitingCommit,
        }
    }
}

/// A brick.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Brick)]
pub struct BrickDto {
    /// Stable brick id.
    pub id: Uuid,
    /// `host:/path`.
    pub name: String,
    /// Host part.
    pub host: String,
    /// Path part.
    pub path: String,
    /// Position in the volume (decides its replica or disperse set).
    pub position: i32,
    /// Hosting peer.
    pub peer_id: Option<Uuid>,
    /// Arbiter brick.
    pub is_arbiter: bool,
    /// The task this brick is part of (a brick being removed), if any.
    pub activity: Option<ActivityDto>,
}

impl BrickDto {
    /// The DTO of `b`; `active` is the volume's active job, if any.
    pub fn of(b: &Brick, active: Option<&JobRecord>) -> Self {
        let (host, path) = b.name.split_once(':').unwrap_or((b.name.as_str(), ""));
        BrickDto {
            id: b.id,
            name: b.name.clone(),
            host: host.to_owned(),
            path: path.to_owned(),
            position: b.position,
            peer_id: b.peer_id,
            is_arbiter: b.is_arbiter,
            activity: active
                .filter(|r| r.job.params.bricks.contains(&b.name))
                .map(ActivityDto::of),
        }
    }
}

/// A volume with its bricks and current activity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Volume)]
pub struct VolumeDto {
    /// Gluster's volume UUID.
    pub id: Uuid,
    /// Its cluster.
    pub cluster_id: Uuid,
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub vol_type: VolumeType,
    /// State.
    pub status: VolumeStatus,
    /// Number of bricks.
    pub brick_count: i32,
    /// Number of distribute subvolumes.
    pub distribute_count: i32,
    /// Bricks per replica set.
    pub replica_count: i32,
    /// Arbiter bricks per replica set.
    pub arbiter_count: i32,
    /// Bricks per disperse set.
    pub disperse_count: i32,
    /// Redundancy bricks per disperse set.
    pub redundancy_count: i32,
    /// Bricks in order.
    pub bricks: Vec<BrickDto>,
    /// The running task, if any.
    pub activity: Option<ActivityDto>,
    /// When the inventory last refreshed the volume.
    pub refreshed_at: DateTime<Utc>,
}

impl VolumeDto {
    /// The DTO of `v`; `active` is its active job, if any.
    pub fn of(v: &Volume, active: Option<&JobRecord>) -> Self {
        VolumeDto {
            id: v.id,
            cluster_id: v.cluster_id,
            name: v.name.clone(),
            vol_type: v.vol_type,
            status: v.status,
            brick_count: v.layout.brick_count,
            distribute_count: v.layout.distribute_count,
            replica_count: v.layout.replica_count,
            arbiter_count: v.layout.arbiter_count,
            disperse_count: v.layout.disperse_count,
            redundancy_count: v.layout.redundancy_count,
            bricks: v.bricks.iter().map(|b| BrickDto::of(b, active)).collect(),
            activity: active.map(ActivityDto::of),
            refreshed_at: v.refreshed_at,
        }
    }
}

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
}

impl From<&NodeProgress> for NodeProgressDto {
    fn from(n: &NodeProgress) -> Self {
        NodeProgressDto {
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
    /// Set while gluster reports the task in progress but none of its counters or run time
    /// has moved for `poll.stall_after_secs`: since when nothing moves. The job stays
    /// `running`; `reason` says what to check. An operator decides.
    pub stalled_since: Option<DateTime<Utc>>,
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
                nodes: rec.nodes.iter().map(NodeProgressDto::from).collect(),
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
            nodes: rec.nodes.iter().map(NodeProgressDto::from).collect(),
            aggregate: AggregateDto::of(&rec.nodes, rec.job.task_status),
            polled_at: rec.job.polled_at,
            stale_since: rec.job.stale_since,
            completed_at: rec.job.ended_at,
        }
    }
}

/// Options of a rebalance (body of `POST /volumes/{volume_id}/rebalance`; may be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebalanceRequest {
    /// Fix the layout only; move no data (`gluster volume rebalance VOL fix-layout start`).
    #[serde(default)]
    pub fix_layout: bool,
    /// Move files even to bricks with less free space (`… start force`).
    #[serde(default)]
    pub force: bool,
}

/// Liveness of the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`: the process answers.
    pub status: String,
    /// This replica's id (as `polled_by` on `GET /clusters` names it).
    pub replica: String,
}

/// Readiness of the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`: the store takes writes and a configured cluster answered recently.
    pub status: String,
    /// This replica's id.
    pub replica: String,
}

/// The latest remove-brick of a volume: the task status plus the bricks and whether a commit
/// is safe now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RemoveBrickStatus)]
pub struct RemoveBrickStatusDto {
    /// The task status, as for a rebalance.
    #[serde(flatten)]
    pub task: TaskStatusDto,
    /// The bricks being removed.
    pub bricks: Vec<String>,
    /// True only when migration completed on every node that reports, with 0 failures.
    pub commit_allowed: bool,
    /// Why a commit is not allowed now, when it is not.
    pub commit_blocked_by: Option<String>,
}

impl From<&JobRecord> for RemoveBrickStatusDto {
    fn from(rec: &JobRecord) -> Self {
        let blocker = if rec.job.status == JobStatus::AwaitingCommit {
            domain::commit_blocker(rec.job.task_status, &rec.nodes)
        } else {
            Some(format!("the job is {}", rec.job.status))
        };
        RemoveBrickStatusDto {
            task: TaskStatusDto::from(rec),
            bricks: rec.job.params.bricks.clone(),
            commit_allowed: blocker.is_none(),
            commit_blocked_by: blocker,
        }
    }
}

fn yes() -> bool {
    true
}

/// Body of `POST /volumes/{volume_id}/bricks/remove`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveBricksRequest {
    /// Bricks as `host:/path` or brick id.
    pub bricks: Vec<String>,
    /// Migrate the data off the bricks first (default true). False runs `remove-brick … force`.
    #[serde(default = "yes")]
    pub migrate_data: bool,
    /// Commit by itself once migration completed on every node with 0 failures.
    #[serde(default)]
    pub auto_commit: bool,
    /// Reduce the replica count to this, taking the same number of bricks from every set.
    #[serde(default)]
    pub replica_count: Option<i32>,
    /// Required to remove bricks without migration: their files are lost.
    #[serde(default)]
    pub accept_data_loss: bool,
}

/// Optional body of stop and commit: the bricks must be those that started the removal.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveBricksSelection {
    /// The bricks of the removal (optional; checked against the job when given).
    #[serde(default)]
    pub bricks: Option<Vec<String>>,
}
