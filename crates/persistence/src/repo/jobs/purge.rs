//! Forgetting ended jobs, and the tombstones of their tasks.

use crate::models::ts;
use crate::schema::{jobs, purged_tasks};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::JobStatus;
use std::collections::HashSet;
use uuid::Uuid;

/// Deletes at most `batch` jobs of `cluster_id` that ended (succeeded, failed or stopped)
/// before `before`, with their steps and per-node progress; returns how many jobs went (fewer
/// than `batch`: no expired job is left). Call it in a transaction of its own per batch, so a
/// long purge holds the writer lock in short turns. Active and `unknown` jobs are never purged,
/// nor a job whose task gluster still holds. Each purged job that had a gluster task leaves a
/// tombstone ([`known_task_ids`] keeps knowing the task), so a task gluster still lists is not
/// adopted again.
pub fn purge_ended(
    conn: &mut DbConnection,
    cluster_id: Uuid,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
    batch: usize,
) -> Result<usize, PersistenceError> {
    let expired: Vec<(String, Option<String>, String)> = expired_query(cluster_id, before)
        .select((jobs::id, jobs::gluster_task_id, jobs::volume_id))
        .limit(i64::try_from(batch).unwrap_or(i64::MAX))
        .load(conn)?;
    if expired.is_empty() {
        return Ok(0);
    }
    let tasks: Vec<(&str, &str)> = expired
        .iter()
        .filter_map(|(_, task, volume)| task.as_deref().map(|t| (t, volume.as_str())))
        .collect();
    let task_ids: Vec<&str> = tasks.iter().map(|(t, _)| *t).collect();
    let already: HashSet<String> = purged_tasks::table
        .filter(purged_tasks::gluster_task_id.eq_any(&task_ids))
        .select(purged_tasks::gluster_task_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for (task, volume) in tasks.into_iter().filter(|(t, _)| !already.contains(*t)) {
        diesel::insert_into(purged_tasks::table)
            .values((
                purged_tasks::gluster_task_id.eq(task),
                purged_tasks::cluster_id.eq(cluster_id.to_string()),
                purged_tasks::volume_id.eq(volume),
                purged_tasks::purged_at.eq(ts(now)),
            ))
            .execute(conn)?;
    }
    let ids: Vec<&str> = expired.iter().map(|(id, _, _)| id.as_str()).collect();
    let n = diesel::delete(jobs::table.filter(jobs::id.eq_any(&ids))).execute(conn)?;
    let job_ids = ids
        .iter()
        .map(|id| crate::models::id(id))
        .collect::<Result<Vec<_>, _>>()?;
    super::feed::note_deleted(conn, job_ids)?;
    Ok(n)
}

/// The jobs [`purge_ended`] may delete: ended before `before`, their task not held by gluster.
/// One seek on `jobs_by_cluster_needs_stop` per ended state.
fn expired_query<'a>(
    cluster_id: Uuid,
    before: DateTime<Utc>,
) -> jobs::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend> {
    let ended: Vec<&str> = JobStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(JobStatus::as_str)
        .collect();
    jobs::table
        .filter(jobs::cluster_id.eq(cluster_id.to_string()))
        .filter(jobs::status.eq_any(ended))
        .filter(jobs::ended_at.lt(ts(before)))
        .filter(jobs::needs_stop.eq(false))
        .into_boxed()
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
