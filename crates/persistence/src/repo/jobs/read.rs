//! Loading jobs whole: the row, its steps and its node rows.

use super::{active_states, JobRecord};
use crate::models::{utc, JobRow, NodeRow, StepRow};
use crate::schema::{job_nodes, job_steps, jobs, purged_tasks};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::estimate::NodeEstimate;
use domain::{JobStatus, NodeProgress, Step, TaskKind};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Of `task_ids`, those that belong to a job (whatever its state) or to a purged job's
/// tombstone: tasks that must never be adopted or attached to another job. Two queries.
pub fn known_task_ids(
    conn: &mut DbConnection,
    task_ids: &[Uuid],
) -> Result<HashSet<Uuid>, PersistenceError> {
    let wanted: Vec<String> = task_ids.iter().map(Uuid::to_string).collect();
    let mut known: Vec<Option<String>> = jobs::table
        .filter(jobs::gluster_task_id.eq_any(&wanted))
        .select(jobs::gluster_task_id)
        .load(conn)?;
    let purged: Vec<String> = purged_tasks::table
        .filter(purged_tasks::gluster_task_id.eq_any(&wanted))
        .select(purged_tasks::gluster_task_id)
        .load(conn)?;
    known.extend(purged.into_iter().map(Some));
    known
        .into_iter()
        .flatten()
        .map(|t| {
            Uuid::parse_str(&t).map_err(|e| PersistenceError::Corrupt(format!("task id {t}: {e}")))
        })
        .collect()
}

fn load_record(conn: &mut DbConnection, row: JobRow) -> Result<JobRecord, PersistenceError> {
    let mut records = load_records(conn, vec![row])?;
    records
        .pop()
        .ok_or_else(|| PersistenceError::Corrupt("a loaded job went missing".into()))
}

/// The jobs of `rows` whole, in the order of `rows`: their steps and node rows come in one
/// query each for all of them (`job_id IN (…)`), so a page of any size costs two queries more.
/// Steps are parents before children, by position; nodes by name, each node's estimate (a
/// column of its row) at the same place in `estimates`.
pub(crate) fn load_records(
    conn: &mut DbConnection,
    rows: Vec<JobRow>,
) -> Result<Vec<JobRecord>, PersistenceError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut steps: HashMap<Uuid, Vec<Step>> = HashMap::new();
    let step_rows = job_steps::table
        .filter(job_steps::job_id.eq_any(&ids))
        .select(StepRow::as_select())
        .load(conn)?;
    for r in step_rows {
        let step = r.into_domain()?;
        steps.entry(step.job_id).or_default().push(step);
    }
    let mut nodes: HashMap<String, Vec<(NodeProgress, NodeEstimate)>> = HashMap::new();
    let node_rows = job_nodes::table
        .filter(job_nodes::job_id.eq_any(&ids))
        .select(NodeRow::as_select())
        .load(conn)?;
    for r in node_rows {
        let job_id = r.job_id.clone();
        nodes.entry(job_id).or_default().push(r.into_domain()?);
    }
    rows.into_iter()
        .map(|row| {
            let mut job_nodes = nodes.remove(&row.id).unwrap_or_default();
            job_nodes.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            let (job_nodes, estimates) = job_nodes.into_iter().unzip();
            let change_seq = row.change_seq;
            let job = row.into_domain()?;
            let mut job_steps = steps.remove(&job.id).unwrap_or_default();
            job_steps.sort_by_key(|s| (s.parent_id.is_some(), s.position));
            Ok(JobRecord {
                job,
                steps: job_steps,
                nodes: job_nodes,
                estimates,
                change_seq,
            })
        })
        .collect()
}

/// One job by id.
pub fn get(conn: &mut DbConnection, job_id: Uuid) -> Result<Option<JobRecord>, PersistenceError> {
    let row = jobs::table
        .find(job_id.to_string())
        .select(JobRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| load_record(conn, r)).transpose()
}

/// Whether a job exists (one primary-key probe).
pub fn exists(conn: &mut DbConnection, job_id: Uuid) -> Result<bool, PersistenceError> {
    let found: Option<String> = jobs::table
        .find(job_id.to_string())
        .select(jobs::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Like [`get`], for a read-modify-write inside [`crate::Store::write`]: on PostgreSQL the row
/// is locked (`SELECT … FOR UPDATE`) until the transaction ends, so another replica's change
/// cannot land between this read and the write. SQLite transactions already run one at a time.
pub fn get_for_update(
    conn: &mut DbConnection,
    job_id: Uuid,
) -> Result<Option<JobRecord>, PersistenceError> {
    if let DbConnection::Pg(pg) = conn {
        jobs::table
            .find(job_id.to_string())
            .select(jobs::id)
            .for_update()
            .first::<String>(pg)
            .optional()?;
    }
    get(conn, job_id)
}

/// The job tracking gluster task `task_id`.
pub fn by_task_id(
    conn: &mut DbConnection,
    task_id: Uuid,
) -> Result<Option<JobRecord>, PersistenceError> {
    let row = jobs::table
        .filter(jobs::gluster_task_id.eq(task_id.to_string()))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| load_record(conn, r)).transpose()
}

/// The active job of a volume (at most one: the database enforces it).
pub fn active_for_volume(
    conn: &mut DbConnection,
    volume_id: Uuid,
) -> Result<Option<JobRecord>, PersistenceError> {
    let row = jobs::table
        .filter(jobs::volume_id.eq(volume_id.to_string()))
        .filter(jobs::status.eq_any(active_states()))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| load_record(conn, r)).transpose()
}

/// The active job of each of `volume_ids` that has one, by volume: one query for the jobs and
/// two for their steps and nodes, however many volumes.
pub fn active_for_volumes(
    conn: &mut DbConnection,
    volume_ids: &[Uuid],
) -> Result<HashMap<Uuid, JobRecord>, PersistenceError> {
    if volume_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = volume_ids.iter().map(Uuid::to_string).collect();
    let rows = jobs::table
        .filter(jobs::volume_id.eq_any(&ids))
        .filter(jobs::status.eq_any(active_states()))
        .select(JobRow::as_select())
        .load(conn)?;
    Ok(load_records(conn, rows)?
        .into_iter()
        .map(|r| (r.job.volume_id, r))
        .collect())
}

/// The job of a volume whose ended task gluster still holds (a failed removal not stopped
/// yet), if any: it blocks the volume like an active job.
pub fn held_for_volume(
    conn: &mut DbConnection,
    volume_id: Uuid,
) -> Result<Option<JobRecord>, PersistenceError> {
    let row = jobs::table
        .filter(jobs::volume_id.eq(volume_id.to_string()))
        .filter(jobs::needs_stop.eq(true))
        .order(jobs::created_at.desc())
        .select(JobRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| load_record(conn, r)).transpose()
}

/// Jobs the poller must follow on a cluster: active ones, those whose state is unknown, and
/// ended ones whose task gluster still holds.
pub fn tracked(
    conn: &mut DbConnection,
    cluster_id: Uuid,
) -> Result<Vec<JobRecord>, PersistenceError> {
    let mut states = active_states();
    states.push(JobStatus::Unknown.as_str());
    let cid = cluster_id.to_string();
    // Two queries, each a seek on its own index (a cluster's jobs by state; a cluster's jobs
    // gluster holds), rather than one OR that a planner may answer from neither.
    let mut rows: Vec<JobRow> = jobs::table
        .filter(jobs::cluster_id.eq(&cid))
        .filter(jobs::status.eq_any(states))
        .select(JobRow::as_select())
        .load(conn)?;
    let held: Vec<JobRow> = jobs::table
        .filter(jobs::cluster_id.eq(&cid))
        .filter(jobs::needs_stop.eq(true))
        .select(JobRow::as_select())
        .load(conn)?;
    let seen: HashSet<String> = rows.iter().map(|r| r.id.clone()).collect();
    rows.extend(held.into_iter().filter(|r| !seen.contains(&r.id)));
    // The few rows are put in order here rather than by a sort in the database.
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    load_records(conn, rows)
}

/// The newest job of `kind` on a volume, whatever its state.
pub fn latest_for_volume(
    conn: &mut DbConnection,
    volume_id: Uuid,
    kind: TaskKind,
) -> Result<Option<JobRecord>, PersistenceError> {
    let row = jobs::table
        .filter(jobs::volume_id.eq(volume_id.to_string()))
        .filter(jobs::kind.eq(kind.as_str()))
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| load_record(conn, r)).transpose()
}

/// When a job's node rows were last written (None when it has none).
pub fn nodes_updated_at(
    conn: &mut DbConnection,
    job_id: Uuid,
) -> Result<Option<DateTime<Utc>>, PersistenceError> {
    let at: Option<NaiveDateTime> = job_nodes::table
        .filter(job_nodes::job_id.eq(job_id.to_string()))
        .select(diesel::dsl::max(job_nodes::updated_at))
        .first(conn)?;
    Ok(at.map(utc))
}
