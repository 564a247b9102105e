//! Applying what gluster reports to a job record, and writing only what changed.

use chrono::{DateTime, Utc};
use domain::{JobStatus, NodeProgress, TaskStatus};
use persistence::repo::jobs;
use persistence::{DbConnection, JobRecord, PersistenceError};

/// Brings `rec` in line with gluster's `status` (and the per-node rows `nodes`, when a status
/// call reported them),
/// then saves the parts that changed. Returns whether anything was written.
pub fn apply(
    conn: &mut DbConnection,
    rec: &mut JobRecord,
    status: TaskStatus,
    nodes: Option<&[NodeProgress]>,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let job = &mut rec.job;
    let mut job_changed = false;
    // The task list reports a fix-layout as a plain rebalance; its status reply tells.
    if status.is_fix_layout() && !job.params.fix_layout {
        job.params.fix_layout = true;
        job_changed = true;
    }
    if job.task_status != Some(status) {
        job.task_status = Some(status);
        job_changed = true;
    }
    let next = JobStatus::for_task(job.kind, status);
    match job.transition(next, now) {
        Ok(changed) => job_changed |= changed,
        // A terminal job does not move again; gluster re-reporting it is not news.
        Err(e) => log::debug!("job {}: {e}", job.id),
    }
    if job_changed {
        job.updated_at = now;
        if next.is_terminal() {
            job.reason = None;
        }
    }
    let steps_changed = job.sync_steps(&mut rec.steps, now);
    let nodes_changed = match nodes {
        Some(n) if n != rec.nodes.as_slice() => {
            rec.nodes = n.to_vec();
            true
        }
        _ => false,
    };
    if nodes_changed && !job_changed {
        job.updated_at = now;
    }
    if job_changed || nodes_changed {
        jobs::update(conn, job)?;
    }
    if steps_changed {
        jobs::update_steps(conn, &rec.steps)?;
    }
    if nodes_changed {
        jobs::set_nodes(conn, job.id, &rec.nodes, &rec.estimates, now)?;
    }
    Ok(job_changed || steps_changed || nodes_changed)
}
