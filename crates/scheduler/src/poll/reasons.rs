//! The words of a job's `reason`: pure functions of the facts the verdict decided on. The state
//! itself lives in columns ([`domain::Tracking`]); these texts only explain it to people.

use chrono::{DateTime, Utc};
use domain::estimate::stall::Mark;
use domain::{Job, JobStatus, NodeProgress, TaskKind};
use std::time::Duration;

/// A task kind as people say it.
fn kind_words(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Rebalance => "rebalance",
        TaskKind::RemoveBrick => "remove-brick",
    }
}

/// A job held back from `completed` because some of its nodes did not report.
pub fn held(silent: &[String]) -> String {
    format!(
        "gluster reports the task completed, but {} of this volume's nodes ({}) did not report: their glusterd is or was just disconnected and their migration may still run; waiting for them",
        silent.len(),
        silent.join(", ")
    )
}

/// A task gluster reports in progress with nodes whose counters and run time have not moved
/// for the stall threshold (`marks` say which, and since when).
pub fn stalled(nodes: &[NodeProgress], marks: &[Mark], now: DateTime<Utc>) -> String {
    let stalled: Vec<(&NodeProgress, DateTime<Utc>)> = nodes
        .iter()
        .filter_map(|n| {
            marks
                .iter()
                .find(|m| m.peer_id == n.peer_id)
                .and_then(|m| m.stalled_since)
                .map(|since| (n, since))
        })
        .collect();
    let since = stalled.iter().map(|(_, s)| *s).min().unwrap_or(now);
    let minutes = (now - since).num_minutes();
    let names: Vec<String> = stalled
        .iter()
        .map(|(n, _)| format!("{} (run time {:.0} s)", n.name, n.runtime_secs))
        .collect();
    let on = if names.is_empty() {
        String::new()
    } else {
        format!(" on {}", names.join(", "))
    };
    format!(
        "stalled: gluster reports the task in progress{on}, but no counter or run time has moved there for {minutes} min (since {}); its rebalance process may have exited. Check the node's rebalance log; stopping the task and starting it again resumes the work",
        since.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// A task gluster reports failed, from its per-node rows; `needs_stop` when gluster keeps the
/// task (a removal), which the operator must stop.
pub fn failed(kind: TaskKind, nodes: &[NodeProgress], needs_stop: bool) -> String {
    let failed: Vec<&NodeProgress> = nodes.iter().filter(|n| n.status.is_failed()).collect();
    let files: i64 = nodes.iter().map(|n| n.failures).sum();
    let mut text = if failed.is_empty() {
        format!("gluster reports the {} failed", kind_words(kind))
    } else {
        let names: Vec<&str> = failed.iter().map(|n| n.name.as_str()).collect();
        format!(
            "gluster reports the {} failed on {} of {} nodes ({})",
            kind_words(kind),
            failed.len(),
            nodes.len(),
            names.join(", ")
        )
    };
    if files > 0 {
        let s = if files == 1 { "" } else { "s" };
        text.push_str(&format!("; {files} file{s} failed to migrate"));
    }
    if needs_stop {
        text.push_str("; gluster keeps the remove-brick task, which blocks rebalance and remove-brick on this volume until it is stopped: cancel this job (or stop the removal) to release the volume; the bricks stay in it");
    }
    text
}

/// Why a removal waiting for its commit waits: `None` when auto-commit is about to commit it.
pub fn awaiting_commit(job: &Job, blocker: Option<String>) -> Option<String> {
    match blocker {
        Some(why) => Some(format!("waiting for a commit decision: {why}")),
        None if job.params.auto_commit => None,
        None => Some("migration complete; commit to remove the bricks".to_owned()),
    }
}

/// A failed removal whose task gluster no longer holds: `how` it was let go ("outside this
/// service", "through the API").
pub fn released(nodes: &[NodeProgress], how: &str) -> String {
    format!(
        "{}; its remove-brick task was stopped {how}, the bricks stay in the volume and it is free again",
        failed(TaskKind::RemoveBrick, nodes, false)
    )
}

/// A task nobody reports any more.
pub fn lost(job: &Job, misses: u32, missing_for: Duration, refusal: Option<&str>) -> String {
    format!(
        "gluster no longer reports task {} on volume {} ({} polls in a row over {}s){}",
        job.gluster_task_id
            .map(|t| t.to_string())
            .unwrap_or_default(),
        job.volume_name,
        misses,
        missing_for.as_secs(),
        refusal
            .map(|m| format!("; it answers: {m}"))
            .unwrap_or_default()
    )
}

/// A pending job whose task never appeared.
pub fn never_started(job: &Job, waited: Duration) -> String {
    format!(
        "the start never reached gluster: no {} task appeared on volume {} within {}s",
        kind_words(job.kind),
        job.volume_name,
        waited.as_secs()
    )
}

/// A task that ended outside this service, by what the volume shows.
pub fn ended_outside(kind: TaskKind, next: JobStatus) -> &'static str {
    match (kind, next) {
        (TaskKind::RemoveBrick, JobStatus::Stopped) => "stopped outside this service: gluster no longer has the remove-brick task and the bricks are still in the volume",
        (TaskKind::RemoveBrick, _) => "committed outside this service: gluster no longer has the remove-brick task and the bricks have left the volume",
        (TaskKind::Rebalance, _) => "stopped outside this service: gluster no longer lists the rebalance and answers that none was started (gluster keeps no record of a stopped rebalance)",
    }
}
