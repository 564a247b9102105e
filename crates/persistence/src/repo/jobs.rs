//! Jobs, their steps and the latest per-node progress of their tasks.

use crate::models::{ts, utc, JobRow, NodeRow, StepRow};
use crate::schema::{job_nodes, job_steps, jobs, purged_tasks};
use crate::{DbConnection, PersistenceError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::{Job, JobOrigin, JobStatus, NodeProgress, Step, StepStatus, TaskKind};
use std::collections::HashSet;
use uuid::Uuid;

/// A job with its steps and the latest progress of each node.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The job.
    pub job: Job,
    /// Its steps, parents before children, by position.
    pub steps: Vec<Step>,
    /// Latest progress per node, by node name.
    pub nodes: Vec<NodeProgress>,
}

/// Filters of the job list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs in this state.
    pub status: Option<JobStatus>,
    /// Only jobs of this kind.
    pub kind: Option<TaskKind>,
    /// Only jobs on this volume.
    pub volume_id: Option<Uuid>,
    /// Only jobs of this cluster.
    pub cluster_id: Option<Uuid>,
    /// Only jobs of this origin.
    pub origin: Option<JobOrigin>,
    /// Only jobs created at or after this instant.
    pub created_after: Option<DateTime<Utc>>,
    /// Only jobs created before this instant.
    pub created_before: Option<DateTime<Utc>>,
}

/// One page of jobs, newest first.
#[derive(Debug, Clone)]
pub struct JobPage {
    /// The jobs of this page.
    pub items: Vec<JobRecord>,
    /// Cursor of the next page, `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Writes a new job with its steps.
pub fn insert(conn: &mut DbConnection, job: &Job, steps: &[Step]) -> Result<(), PersistenceError> {
    diesel::insert_into(jobs::table)
        .values(JobRow::from_domain(job)?)
        .execute(conn)?;
    log_change("created", job);
    // Parents first, so the self-reference holds at every insert.
    let (roots, children): (Vec<&Step>, Vec<&Step>) =
        steps.iter().partition(|s| s.parent_id.is_none());
    for s in roots.into_iter().chain(children) {
        diesel::insert_into(job_steps::table)
            .values(StepRow::from_domain(s))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves every field of `job`.
pub fn update(conn: &mut DbConnection, job: &Job) -> Result<(), PersistenceError> {
    let before: Option<String> = jobs::table
        .find(job.id.to_string())
        .select(jobs::status)
        .first(conn)
        .optional()?;
    let n = diesel::update(jobs::table.find(job.id.to_string()))
        .set(JobRow::from_domain(job)?)
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound("job"));
    }
    if let Some(from) = before.filter(|b| b != job.status.as_str()) {
        log_change(&from, job);
    }
    Ok(())
}

/// The job lifecycle line of the log: one per state change, with who and why. Written with
/// the change, inside its transaction.
fn log_change(from: &str, job: &Job) {
    log::info!(
        "job {} ({} on volume {}): {from} -> {}; initiator {}; reason {}",
        job.id,
        job.kind,
        job.volume_name,
        job.status,
        job.initiator.as_deref().unwrap_or("-"),
        job.reason.as_deref().unwrap_or("-"),
    );
}

/// Saves the state of `steps`.
pub fn update_steps(conn: &mut DbConnection, steps: &[Step]) -> Result<(), PersistenceError> {
    for s in steps {
        diesel::update(job_steps::table.find(s.id.to_string()))
            .set(StepRow::from_domain(s))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes the jobs of `cluster_id` that ended (succeeded, failed or stopped) before `before`,
/// with their steps and per-node progress; returns how many jobs went. Active and `unknown`
/// jobs are never purged, nor a job whose task gluster still holds. Each purged job that had a
/// gluster task leaves a tombstone ([`known_task_ids`] keeps knowing the task), so a task
/// gluster still lists is not adopted again.
pub fn purge_ended(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    let ended: Vec<&str> = JobStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(JobStatus::as_str)
        .collect();
    let expired = jobs::table
        .filter(jobs::cluster_id.eq(cluster_id.to_string()))
        .filter(jobs::status.eq_any(ended))
        .filter(jobs::ended_at.lt(ts(before)))
        .filter(jobs::needs_stop.eq(false));
    let tasks: Vec<(String, String)> = expired
        .clone()
        .select((jobs::gluster_task_id, jobs::volume_id))
        .load::<(Option<String>, String)>(conn)?
        .into_iter()
        .filter_map(|(task, volume)| task.map(|t| (t, volume)))
        .collect();
    let ids: Vec<&String> = tasks.iter().map(|(t, _)| t).collect();
    let already: HashSet<String> = purged_tasks::table
        .filter(purged_tasks::gluster_task_id.eq_any(ids))
        .select(purged_tasks::gluster_task_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for (task, volume) in tasks.into_iter().filter(|(t, _)| !already.contains(t)) {
        diesel::insert_into(purged_tasks::table)
            .values((
                purged_tasks::gluster_task_id.eq(task),
                purged_tasks::cluster_id.eq(cluster_id.to_string()),
                purged_tasks::volume_id.eq(volume),
                purged_tasks::purged_at.eq(ts(now)),
            ))
            .execute(conn)?;
    }
    Ok(diesel::delete(expired).execute(conn)?)
}

/// Forgets the tombstones of `cluster_id` written before `before` whose volume is among
/// `volumes` (listed by gluster just now) while their task is not in `listed`: gluster no
/// longer lists the task, so it cannot be adopted again. Returns how many went.
pub fn purge_tombstones(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    before: DateTime<Utc>,
    volumes: &[Uuid],
    listed: &[Uuid],
) -> Result<usize, PersistenceError> {
    let volumes: Vec<String> = volumes.iter().map(Uuid::to_string).collect();
    let listed: Vec<String> = listed.iter().map(Uuid::to_string).collect();
    Ok(diesel::delete(
        purged_tasks::table
            .filter(purged_tasks::cluster_id.eq(cluster_id.to_string()))
            .filter(purged_tasks::purged_at.lt(ts(before)))
            .filter(purged_tasks::volume_id.eq_any(volumes))
            .filter(purged_tasks::gluster_task_id.ne_all(listed)),
    )
    .execute(conn)?)
}

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

/// Replaces the per-node progress of a job with `nodes`.
pub fn set_nodes(
    conn: &mut DbConnection,
    job_id: Uuid,
    nodes: &[NodeProgress],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::delete(job_nodes::table.filter(job_nodes::job_id.eq(job_id.to_string())))
        .execute(conn)?;
    for n in nodes {
        diesel::insert_into(job_nodes::table)
            .values(NodeRow::from_domain(job_id, n, now))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes a job (a start that gluster refused leaves nothing behind).
pub fn delete(conn: &mut DbConnection, job_id: Uuid) -> Result<(), PersistenceError> {
    diesel::delete(jobs::table.find(job_id.to_string())).execute(conn)?;
    Ok(())
}

fn load_record(conn: &mut DbConnection, row: JobRow) -> Result<JobRecord, PersistenceError> {
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
    Ok(JobRecord { job, steps, nodes })
}

fn load_records(
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

/// Moves one step from `from` to `to` only if it is still in `from`; returns whether it moved.
/// Two writers racing for the same step (two replicas committing the same removal) cannot both
/// win.
pub fn claim_step(
    conn: &mut DbConnection,
    step: &Step,
    from: StepStatus,
    to: StepStatus,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(
        job_steps::table
            .filter(job_steps::id.eq(step.id.to_string()))
            .filter(job_steps::status.eq(from.as_str())),
    )
    .set((
        job_steps::status.eq(to.as_str()),
        job_steps::started_at.eq(ts(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
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

fn active_states() -> Vec<&'static str> {
    JobStatus::ACTIVE.iter().map(|s| s.as_str()).collect()
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

fn encode_cursor(created_at: NaiveDateTime, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", created_at.and_utc().timestamp_micros()))
}

fn decode_cursor(cursor: &str) -> Result<(NaiveDateTime, String), PersistenceError> {
    let raw = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| PersistenceError::InvalidCursor)?;
    let raw = String::from_utf8(raw).map_err(|_| PersistenceError::InvalidCursor)?;
    let (micros, id) = raw.split_once('|').ok_or(PersistenceError::InvalidCursor)?;
    let micros: i64 = micros
        .parse()
        .map_err(|_| PersistenceError::InvalidCursor)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or(PersistenceError::InvalidCursor)?;
    Uuid::parse_str(id).map_err(|_| PersistenceError::InvalidCursor)?;
    Ok((at.naive_utc(), id.to_owned()))
}

/// A page of at most `limit` jobs matching `filter`, newest first (ties by id), after `cursor`.
pub fn list(
    conn: &mut DbConnection,
    filter: &JobFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<JobPage, PersistenceError> {
    let mut q = filtered(filter).select(JobRow::as_select());
    if let Some(c) = cursor {
        let (at, id) = decode_cursor(c)?;
        q = q.filter(
            jobs::created_at
                .lt(at)
                .or(jobs::created_at.eq(at).and(jobs::id.lt(id))),
        );
    }
    let limit = limit.clamp(1, 500);
    let mut rows = q
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(r.created_at, &r.id))
    } else {
        None
    };
    Ok(JobPage {
        items: load_records(conn, rows)?,
        next_cursor,
    })
}

/// The jobs `filter` selects, as a query to refine.
fn filtered<'a>(
    filter: &JobFilter,
) -> jobs::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend> {
    let mut q = jobs::table.into_boxed();
    if let Some(s) = filter.status {
        q = q.filter(jobs::status.eq(s.as_str()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(jobs::kind.eq(k.as_str()));
    }
    if let Some(v) = filter.volume_id {
        q = q.filter(jobs::volume_id.eq(v.to_string()));
    }
    if let Some(c) = filter.cluster_id {
        q = q.filter(jobs::cluster_id.eq(c.to_string()));
    }
    if let Some(o) = filter.origin {
        q = q.filter(jobs::origin.eq(o.as_str()));
    }
    if let Some(at) = filter.created_after {
        q = q.filter(jobs::created_at.ge(ts(at)));
    }
    if let Some(at) = filter.created_before {
        q = q.filter(jobs::created_at.lt(ts(at)));
    }
    q
}

/// Jobs matching `filter` whose `updated_at` is at or after `since`, oldest change first, at
/// most `limit`: what a change feed sends next. The caller skips the jobs it already sent for
/// the same instant.
pub fn changed_since(
    conn: &mut DbConnection,
    filter: &JobFilter,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<JobRecord>, PersistenceError> {
    let q = filtered(filter)
        .select(JobRow::as_select())
        .filter(jobs::updated_at.ge(ts(since)));
    let rows = q
        .order((jobs::updated_at.asc(), jobs::id.asc()))
        .limit(limit.clamp(1, 500))
        .load(conn)?;
    load_records(conn, rows)
}

/// Stamps the poll time `now` (when the cycle began) on jobs whose state was just refreshed
/// (which are then no longer stale). A job that ended after `now` (stopped through the API
/// while the cycle asked gluster) is left as it ended: an ended job never changes again.
pub fn mark_polled(
    conn: &mut DbConnection,
    job_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let ids: Vec<String> = job_ids.iter().map(Uuid::to_string).collect();
    let mut states = active_states();
    states.push(JobStatus::Unknown.as_str());
    diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .filter(jobs::status.eq_any(states).or(jobs::ended_at.le(ts(now)))),
    )
    .set((
        jobs::polled_at.eq(ts(now)),
        jobs::stale_since.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Marks jobs whose state could not be refreshed as stale since `now`; a job already stale
/// keeps its earlier time. Only jobs that have not ended are touched.
pub fn mark_stale(
    conn: &mut DbConnection,
    job_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    let ids: Vec<String> = job_ids.iter().map(Uuid::to_string).collect();
    let mut states = active_states();
    states.push(JobStatus::Unknown.as_str());
    diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(ids))
            .filter(jobs::status.eq_any(states))
            .filter(jobs::stale_since.is_null()),
    )
    .set(jobs::stale_since.eq(ts(now)))
    .execute(conn)?;
    Ok(())
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
