//! Writing jobs, their steps and node rows. Every write that changes a job gives it the next
//! change sequence in the same transaction ([`super::feed`]); creation, adoption and state
//! changes are entered in the job's timeline ([`crate::repo::timeline`]) in it too.

use super::feed;
use crate::models::{ts, JobRow, NodeRow, StepRow};
use crate::schema::{job_nodes, job_steps, jobs};
use crate::{DbConnection, PersistenceError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::estimate::NodeEstimate;
use domain::timeline::actors;
use domain::{Job, JobOrigin, JobStatus, NodeProgress, Step, StepStatus};
use domain::{TimelineEntry, TimelineKind};
use uuid::Uuid;

/// Writes a new job with its steps and the first entry of its timeline (`created` by its
/// initiator for a job of the API, `adopted` by [`actors::GLUSTER_CLI`] for a task found
/// running, at its creation time); returns the job's change sequence.
pub fn insert(conn: &mut DbConnection, job: &Job, steps: &[Step]) -> Result<i64, PersistenceError> {
    let seq = feed::reserve(conn, 1)?;
    diesel::insert_into(jobs::table)
        .values(JobRow::from_domain(job, seq)?)
        .execute(conn)?;
    let first = match job.origin {
        JobOrigin::Api => TimelineEntry::new(job.id, job.created_at, TimelineKind::Created)
            .by(job.initiator.as_deref()),
        JobOrigin::Cli => TimelineEntry::new(job.id, job.created_at, TimelineKind::Adopted)
            .by(Some(actors::GLUSTER_CLI)),
    };
    crate::repo::timeline::insert_at(conn, &first, seq)?;
    crate::changes::note_changed(job.id, seq);
    log_change("created", job);
    // Parents first, so the self-reference holds at every insert.
    let (roots, children): (Vec<&Step>, Vec<&Step>) =
        steps.iter().partition(|s| s.parent_id.is_none());
    for s in roots.into_iter().chain(children) {
        diesel::insert_into(job_steps::table)
            .values(StepRow::from_domain(s))
            .execute(conn)?;
    }
    Ok(seq)
}

/// Saves every field of `job`. A change of state is entered in the job's timeline
/// (`state_changed` by [`actors::SERVICE`], at `job.updated_at`, with `job.reason`).
pub fn update(conn: &mut DbConnection, job: &Job) -> Result<(), PersistenceError> {
    let before: Option<String> = jobs::table
        .find(job.id.to_string())
        .select(jobs::status)
        .first(conn)
        .optional()?;
    if before.is_none() {
        return Err(PersistenceError::NotFound("job"));
    }
    let seq = feed::reserve(conn, 1)?;
    let n = diesel::update(jobs::table.find(job.id.to_string()))
        .set(JobRow::from_domain(job, seq)?)
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound("job"));
    }
    crate::changes::note_changed(job.id, seq);
    if let Some(from) = before.filter(|b| b != job.status.as_str()) {
        log_change(&from, job);
        let from =
            JobStatus::parse(&from).ok_or_else(|| crate::models::corrupt("job status", &from))?;
        let mut entry = TimelineEntry::state_change(job.id, job.updated_at, from, job.status)
            .by(Some(actors::SERVICE));
        entry.message = job.reason.clone();
        crate::repo::timeline::insert_at(conn, &entry, seq)?;
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
    let jobs: Vec<Uuid> = steps.iter().map(|s| s.job_id).collect();
    feed::stamp(conn, &jobs)
}

/// Replaces the per-node progress of a job with `nodes`, each with its estimate among
/// `estimates` (matched by peer id; a node without one gets an empty estimate).
pub fn set_nodes(
    conn: &mut DbConnection,
    job_id: Uuid,
    nodes: &[NodeProgress],
    estimates: &[NodeEstimate],
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::delete(job_nodes::table.filter(job_nodes::job_id.eq(job_id.to_string())))
        .execute(conn)?;
    for n in nodes {
        let none = NodeEstimate {
            peer_id: n.peer_id,
            ..NodeEstimate::default()
        };
        let estimate = estimates
            .iter()
            .find(|e| e.peer_id == n.peer_id)
            .unwrap_or(&none);
        diesel::insert_into(job_nodes::table)
            .values(NodeRow::from_domain(job_id, n, estimate, now))
            .execute(conn)?;
    }
    feed::stamp(conn, &[job_id])
}

/// Deletes a job (a start that gluster refused leaves nothing behind).
pub fn delete(conn: &mut DbConnection, job_id: Uuid) -> Result<(), PersistenceError> {
    let n = diesel::delete(jobs::table.find(job_id.to_string())).execute(conn)?;
    if n > 0 {
        feed::note_deleted(conn, vec![job_id])?;
    }
    Ok(())
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
    if n == 1 {
        feed::stamp(conn, &[step.job_id])?;
    }
    Ok(n == 1)
}
