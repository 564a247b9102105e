//! Row types and their conversions to and from domain types: jobs, steps, node rows and
//! volumes here, the progress history and the timeline in [`progress`].

mod progress;

pub use progress::*;

use crate::schema::{bricks, job_nodes, job_steps, jobs, volumes};
use crate::PersistenceError;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::estimate::{JobProgress, NodeEstimate};
use domain::{
    Brick, Job, JobOrigin, JobStatus, NodeProgress, Step, StepKind, StepStatus, TaskKind,
    TaskParams, TaskStatus, Tracking, Volume, VolumeLayout, VolumeStatus, VolumeType,
};
use uuid::Uuid;

pub fn ts(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn id(s: &str) -> Result<Uuid, PersistenceError> {
    Uuid::parse_str(s).map_err(|_| PersistenceError::Corrupt(format!("bad uuid {s:?}")))
}

pub(crate) fn corrupt(what: &str, value: &str) -> PersistenceError {
    PersistenceError::Corrupt(format!("unknown {what} {value:?}"))
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = volumes)]
pub struct VolumeRow {
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    pub vol_type: String,
    pub status: String,
    pub brick_count: i32,
    pub distribute_count: i32,
    pub replica_count: i32,
    pub arbiter_count: i32,
    pub disperse_count: i32,
    pub redundancy_count: i32,
    pub refreshed_at: NaiveDateTime,
}

impl VolumeRow {
    pub fn from_domain(v: &Volume) -> Self {
        VolumeRow {
            id: v.id.to_string(),
            cluster_id: v.cluster_id.to_string(),
            name: v.name.clone(),
            vol_type: v.vol_type.as_str().to_owned(),
            status: v.status.as_str().to_owned(),
            brick_count: v.layout.brick_count,
            distribute_count: v.layout.distribute_count,
            replica_count: v.layout.replica_count,
            arbiter_count: v.layout.arbiter_count,
            disperse_count: v.layout.disperse_count,
            redundancy_count: v.layout.redundancy_count,
            refreshed_at: ts(v.refreshed_at),
        }
    }

    pub fn into_domain(self, bricks: Vec<Brick>) -> Result<Volume, PersistenceError> {
        Ok(Volume {
            id: id(&self.id)?,
            cluster_id: id(&self.cluster_id)?,
            name: self.name,
            vol_type: VolumeType::parse(&self.vol_type),
            status: VolumeStatus::parse(&self.status),
            layout: VolumeLayout {
                brick_count: self.brick_count,
                distribute_count: self.distribute_count,
                replica_count: self.replica_count,
                arbiter_count: self.arbiter_count,
                disperse_count: self.disperse_count,
                redundancy_count: self.redundancy_count,
            },
            bricks,
            refreshed_at: utc(self.refreshed_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = bricks)]
pub struct BrickRow {
    pub id: String,
    pub volume_id: String,
    pub position: i32,
    pub name: String,
    pub peer_id: Option<String>,
    pub is_arbiter: bool,
}

impl BrickRow {
    pub fn from_domain(volume_id: Uuid, b: &Brick) -> Self {
        BrickRow {
            id: b.id.to_string(),
            volume_id: volume_id.to_string(),
            position: b.position,
            name: b.name.clone(),
            peer_id: b.peer_id.map(|p| p.to_string()),
            is_arbiter: b.is_arbiter,
        }
    }

    pub fn into_domain(self) -> Result<Brick, PersistenceError> {
        Ok(Brick {
            id: id(&self.id)?,
            name: self.name,
            position: self.position,
            peer_id: self.peer_id.as_deref().map(id).transpose()?,
            is_arbiter: self.is_arbiter,
        })
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = jobs, treat_none_as_null = true)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub origin: String,
    pub cluster_id: String,
    pub volume_id: String,
    pub volume_name: String,
    pub gluster_task_id: Option<String>,
    pub params: String,
    pub task_status: Option<String>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub polled_at: Option<NaiveDateTime>,
    pub stale_since: Option<NaiveDateTime>,
    pub request_id: Option<String>,
    pub initiator: Option<String>,
    pub held_for: Option<String>,
    pub miss_count: i32,
    pub missing_since: Option<NaiveDateTime>,
    pub progressed_at: Option<NaiveDateTime>,
    pub stalled_since: Option<NaiveDateTime>,
    pub needs_stop: bool,
    /// The job's place in the change feed ([`crate::changes`]).
    pub change_seq: i64,
    pub progress_percent: Option<f64>,
    pub progress_eta: Option<NaiveDateTime>,
    pub progress_rate: Option<f64>,
    pub progress_basis: Option<String>,
    pub progress_note: Option<String>,
}

impl JobRow {
    /// The row of `j`, at `change_seq` in the change feed.
    pub fn from_domain(j: &Job, change_seq: i64) -> Result<Self, PersistenceError> {
        Ok(JobRow {
            id: j.id.to_string(),
            kind: j.kind.as_str().to_owned(),
            status: j.status.as_str().to_owned(),
            origin: j.origin.as_str().to_owned(),
            cluster_id: j.cluster_id.to_string(),
            volume_id: j.volume_id.to_string(),
            volume_name: j.volume_name.clone(),
            gluster_task_id: j.gluster_task_id.map(|t| t.to_string()),
            params: serde_json::to_string(&j.params)
                .map_err(|e| PersistenceError::Corrupt(e.to_string()))?,
            task_status: j.task_status.map(|s| s.as_str().to_owned()),
            reason: j.reason.clone(),
            created_at: ts(j.created_at),
            started_at: j.started_at.map(ts),
            ended_at: j.ended_at.map(ts),
            updated_at: ts(j.updated_at),
            polled_at: j.polled_at.map(ts),
            stale_since: j.stale_since.map(ts),
            request_id: j.request_id.clone(),
            initiator: j.initiator.clone(),
            held_for: if j.tracking.held_for.is_empty() {
                None
            } else {
                Some(
                    serde_json::to_string(&j.tracking.held_for)
                        .map_err(|e| PersistenceError::Corrupt(e.to_string()))?,
                )
            },
            miss_count: i32::try_from(j.tracking.misses).unwrap_or(i32::MAX),
            missing_since: j.tracking.missing_since.map(ts),
            progressed_at: j.tracking.progressed_at.map(ts),
            stalled_since: j.tracking.stalled_since.map(ts),
            needs_stop: j.tracking.needs_stop,
            change_seq,
            progress_percent: j.progress.percent,
            progress_eta: j.progress.estimated_end_at.map(ts),
            progress_rate: j.progress.rate,
            progress_basis: j.progress.basis.map(|b| b.as_str().to_owned()),
            progress_note: j.progress.note.map(|n| n.as_str().to_owned()),
        })
    }

    pub fn into_domain(self) -> Result<Job, PersistenceError> {
        Ok(Job {
            id: id(&self.id)?,
            kind: TaskKind::parse(&self.kind).ok_or_else(|| corrupt("job kind", &self.kind))?,
            status: JobStatus::parse(&self.status)
                .ok_or_else(|| corrupt("job status", &self.status))?,
            origin: JobOrigin::parse(&self.origin)
                .ok_or_else(|| corrupt("job origin", &self.origin))?,
            volume_id: id(&self.volume_id)?,
            volume_name: self.volume_name,
            cluster_id: id(&self.cluster_id)?,
            gluster_task_id: self.gluster_task_id.as_deref().map(id).transpose()?,
            params: serde_json::from_str::<TaskParams>(&self.params)
                .map_err(|e| PersistenceError::Corrupt(format!("job params: {e}")))?,
            task_status: self
                .task_status
                .as_deref()
                .map(|s| TaskStatus::parse(s).ok_or_else(|| corrupt("task status", s)))
                .transpose()?,
            reason: self.reason,
            created_at: utc(self.created_at),
            started_at: self.started_at.map(utc),
            ended_at: self.ended_at.map(utc),
            updated_at: utc(self.updated_at),
            polled_at: self.polled_at.map(utc),
            stale_since: self.stale_since.map(utc),
            request_id: self.request_id,
            initiator: self.initiator,
            tracking: Tracking {
                held_for: match self.held_for.as_deref() {
                    None => Vec::new(),
                    Some(text) => serde_json::from_str(text)
                        .map_err(|e| PersistenceError::Corrupt(format!("job held_for: {e}")))?,
                },
                misses: u32::try_from(self.miss_count).unwrap_or(0),
                missing_since: self.missing_since.map(utc),
                progressed_at: self.progressed_at.map(utc),
                stalled_since: self.stalled_since.map(utc),
                needs_stop: self.needs_stop,
            },
            progress: JobProgress {
                percent: self.progress_percent,
                estimated_end_at: self.progress_eta.map(utc),
                rate: self.progress_rate,
                basis: self.progress_basis.as_deref().map(basis).transpose()?,
                note: self.progress_note.as_deref().map(note).transpose()?,
            },
        })
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = job_steps, treat_none_as_null = true)]
pub struct StepRow {
    pub id: String,
    pub job_id: String,
    pub parent_id: Option<String>,
    pub position: i32,
    pub kind: String,
    pub status: String,
    pub description: String,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
}

impl StepRow {
    pub fn from_domain(s: &Step) -> Self {
        StepRow {
            id: s.id.to_string(),
            job_id: s.job_id.to_string(),
            parent_id: s.parent_id.map(|p| p.to_string()),
            position: s.position,
            kind: s.kind.as_str().to_owned(),
            status: s.status.as_str().to_owned(),
            description: s.description.clone(),
            started_at: s.started_at.map(ts),
            ended_at: s.ended_at.map(ts),
        }
    }

    pub fn into_domain(self) -> Result<Step, PersistenceError> {
        Ok(Step {
            id: id(&self.id)?,
            job_id: id(&self.job_id)?,
            parent_id: self.parent_id.as_deref().map(id).transpose()?,
            position: self.position,
            kind: StepKind::parse(&self.kind).ok_or_else(|| corrupt("step kind", &self.kind))?,
            status: StepStatus::parse(&self.status)
                .ok_or_else(|| corrupt("step status", &self.status))?,
            description: self.description,
            started_at: self.started_at.map(utc),
            ended_at: self.ended_at.map(utc),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = job_nodes)]
pub struct NodeRow {
    pub job_id: String,
    pub peer_id: String,
    pub name: String,
    pub files: i64,
    pub size_bytes: i64,
    pub scanned: i64,
    pub failures: i64,
    pub skipped: i64,
    pub status: String,
    pub runtime_secs: f64,
    pub updated_at: NaiveDateTime,
    pub work_total: Option<i64>,
    pub work_done: i64,
    pub percent: Option<f64>,
    pub rate: Option<f64>,
    pub estimated_end_at: Option<NaiveDateTime>,
    pub progressed_at: Option<NaiveDateTime>,
    pub stalled_since: Option<NaiveDateTime>,
}

impl NodeRow {
    /// The row of node `n` of job `job_id` with its estimate `e` (whose `peer_id` is not
    /// looked at: the row's is `n`'s), written at `now`.
    pub fn from_domain(
        job_id: Uuid,
        n: &NodeProgress,
        e: &NodeEstimate,
        now: DateTime<Utc>,
    ) -> Self {
        NodeRow {
            job_id: job_id.to_string(),
            peer_id: n.peer_id.to_string(),
            name: n.name.clone(),
            files: n.files,
            size_bytes: n.size_bytes,
            scanned: n.scanned,
            failures: n.failures,
            skipped: n.skipped,
            status: n.status.as_str().to_owned(),
            runtime_secs: n.runtime_secs,
            updated_at: ts(now),
            work_total: e.total,
            work_done: e.done,
            percent: e.percent,
            rate: e.rate,
            estimated_end_at: e.estimated_end_at.map(ts),
            progressed_at: e.progressed_at.map(ts),
            stalled_since: e.stalled_since.map(ts),
        }
    }

    /// The node's progress and its estimate.
    pub fn into_domain(self) -> Result<(NodeProgress, NodeEstimate), PersistenceError> {
        let peer_id = id(&self.peer_id)?;
        let estimate = NodeEstimate {
            peer_id,
            total: self.work_total,
            done: self.work_done,
            percent: self.percent,
            rate: self.rate,
            estimated_end_at: self.estimated_end_at.map(utc),
            progressed_at: self.progressed_at.map(utc),
            stalled_since: self.stalled_since.map(utc),
        };
        let node = NodeProgress {
            peer_id,
            name: self.name,
            files: self.files,
            size_bytes: self.size_bytes,
            scanned: self.scanned,
            failures: self.failures,
            skipped: self.skipped,
            status: TaskStatus::parse(&self.status)
                .ok_or_else(|| corrupt("node status", &self.status))?,
            runtime_secs: self.runtime_secs,
        };
        Ok((node, estimate))
    }
}
