//! The JSON shapes of the API (response and request bodies), with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use domain::{Brick, JobStatus, TaskKind, TaskStatus, Volume, VolumeStatus, VolumeType};
use persistence::repo::clusters::ClusterRecord;
use persistence::JobRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub mod caller;
pub mod job;
pub mod poller;
pub mod progress;
pub use job::{
    AggregateDto, JobDto, JobParamsDto, NodeProgressDto, ProgressDto, StepDto, TaskStatusDto,
};
pub use poller::{PollerDto, PollerState};
pub use progress::{
    JobProgressDto, NodeEstimateDto, ProgressEventDto, ProgressHistoryDto, TimelineDto,
    TimelineEntryDto,
};

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
    /// The volumes of this page, by name (ties by id).
    pub items: Vec<VolumeDto>,
    /// Cursor of the next page (pass it as `cursor`); `null` on the last page.
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
