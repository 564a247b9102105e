//! Loading jobs whole: the row, its steps and its node rows.

use super::{active_states, JobRecord};
use crate::models::{utc, JobRow, NodeRow, StepRow};
use crate::schema::{job_nodes, job_steps, jobs, purged_tasks};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::{JobStatus, TaskKind};
use std::collections::HashSet;
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

pub(super) fn load_record(
    conn: &mut DbConnection,
    row: JobRow,
) -> Result<JobRecord, PersistenceError> {
    let change_seq = row.change_seq;
    let job = row.into_domain()?;
    let jid = job.id.to_string();
    let mut steps = job_steps::table
        .filter(job_steps::job_id.eq(&jid))
        .select(StepRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StepRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    steps.sort_by_key(|s| (s.parent_id.is_some(), s.position));
    let nodes = job_nodes::table
        .filter(job_nodes::job_id.eq(&jid))
        .order(job_nodes::name.asc())
        .select(NodeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(NodeRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(JobRecord {
        job,
        steps,
        nodes,
        change_seq,
    })
}

pub(super) fn load_records(
    conn: &mut DbConnection,
    rows: Vec<JobRow>,
) -> Result<Vec<JobRecord>, PersistenceError> {
    rows.into_iter().map(|r| load_record(conn, r)).collect()
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
    let rows = jobs::table
        .filter(jobs::cluster_id.eq(cluster_id.to_string()))
        .filter(jobs::status.eq_any(states).or(jobs::needs_stop.eq(true)))
        .order((jobs::created_at.asc(), jobs::id.asc()))
        .select(JobRow::as_select())
        .load(conn)?;
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
