//! Server-sent events of job changes: `GET /jobs/{job_id}/events` follows one job until it
//! ends, `GET /events` every job a filter selects. A change of a job is sent as, in order:
//!
//! - `event: timeline` for each timeline entry it added (`data:` the entry, as in
//!   `GET /jobs/{job_id}/timeline`);
//! - `event: progress` when its progress changed (`data:` the job's and each node's percent,
//!   time left and stall, enough to draw progress bars without diffing whole jobs);
//! - `event: job`, `id:` the job's change sequence (the store's change feed: every change of a
//!   job gives it the next number, in commit order), and `data:` the job as
//!   `GET /jobs/{job_id}` shows it. Only this last event carries the `id`, so a client that
//!   resumes with `Last-Event-ID` never misses part of a change.
//!
//! The feeds wait on the store's change feed ([`persistence::Store::changes`]): this replica's
//! writes wake them at once, other replicas' within the store's watch interval
//! ([`persistence::store::WATCH_INTERVAL`]). An idle feed reads nothing from the store; a
//! comment line every [`KEEP_ALIVE`] keeps idle connections open.

use crate::dto::{JobDto, ProgressEventDto, TimelineEntryDto};
use crate::error::{ApiError, Problem};
use crate::job_cache::Cached;
use crate::limits::StreamSlot;
use crate::state::{blocking, AppState};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::{JobOrigin, JobStatus, TaskKind};
use futures_util::stream;
use persistence::repo::jobs;
use persistence::repo::timeline::{self, TimelineRecord};
use persistence::{JobFilter, JobRecord, SeqWatch};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::IntoParams;
use uuid::Uuid;

/// How often a waiting feed checks whether the server is shutting down (no store reads).
pub const CLOSING_CHECK: Duration = Duration::from_millis(500);
/// Longest silence on a feed: a comment line is sent after it.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Most jobs one read of the store sends.
const BATCH: i64 = 200;

/// Which jobs `GET /events` reports.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
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
}

/// The change sequence a `Last-Event-ID` names, if it is one a feed can have sent: a
/// sequence from 0 up to `top`, the highest handed out. The timestamp ids of versions before
/// the change feed are far above any sequence, so they are refused.
fn resumable_event(id: &str, top: i64) -> Option<i64> {
    let seq = id.trim().parse::<i64>().ok()?;
    (0..=top).contains(&seq).then_some(seq)
}

/// Waits until the change feed rises, [`KEEP_ALIVE`] has passed since `quiet_since`, or the
/// server is closing; true when the feed rose.
async fn wake(changes: &mut SeqWatch, state: &AppState, quiet_since: Instant) -> bool {
    loop {
        if state.limits.is_closing() || quiet_since.elapsed() >= KEEP_ALIVE {
            return false;
        }
        match actix_web::rt::time::timeout(CLOSING_CHECK, changes.changed()).await {
            Ok(Ok(())) => return true,
            // The store is gone: only the keep-alive and closing checks remain.
            Ok(Err(_)) => actix_web::rt::time::sleep(CLOSING_CHECK).await,
            Err(_) => {}
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|e| ApiError::Internal(format!("serialising an event: {e}")))
}

/// The `timeline` events of `entries` (no `id`: the change's `job` event carries it).
fn timeline_events(out: &mut String, entries: &[TimelineRecord]) -> Result<(), ApiError> {
    for e in entries {
        let data = json(&TimelineEntryDto::from(e))?;
        out.push_str(&format!("event: timeline\ndata: {data}\n\n"));
    }
    Ok(())
}

/// One job's change as SSE events: its new timeline entries, its progress, the job.
fn job_event(rec: &JobRecord, entries: &[TimelineRecord]) -> Result<Bytes, ApiError> {
    let mut out = String::new();
    timeline_events(&mut out, entries)?;
    let progress = json(&ProgressEventDto::of(rec))?;
    out.push_str(&format!("event: progress\ndata: {progress}\n\n"));
    let data = json(&JobDto::from(rec))?;
    out.push_str(&format!(
        "event: job\nid: {}\ndata: {data}\n\n",
        rec.change_seq
    ));
    Ok(Bytes::from(out))
}

/// A failure inside a running feed: sent as an `error` event, then the feed ends.
fn error_event(e: &ApiError) -> Bytes {
    let data = serde_json::to_string(&e.problem()).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("event: error\ndata: {data}\n\n"))
}

fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

fn sse(
    body: impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> + 'static,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(body)
}

/// The changes of one job, as server-sent events, until it ends.
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "A `text/event-stream`: the job at once, then after each change (`event: job`, `data`: the job); the stream ends after the job has ended", content_type = "text/event-stream", body = String),
        (status = 400, description = "Malformed job id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every event-stream slot of this server is taken (code `too_many_streams`); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{job_id}/events")]
pub async fn job_events(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let slot = state.limits.streams.take()?;
    let first = super::jobs::current(&state, id).await?;
    struct Feed {
        _slot: StreamSlot,
        state: web::Data<AppState>,
        changes: SeqWatch,
        next: Option<Arc<Cached>>,
        last: Option<i64>,
        last_progress: Option<Bytes>,
        quiet_since: Instant,
        done: bool,
    }
    let mut changes = state.store.changes();
    changes.borrow_and_update();
    let feed = Feed {
        _slot: slot,
        state,
        changes,
        next: Some(first),
        last: None,
        last_progress: None,
        quiet_since: Instant::now(),
        done: false,
    };
    let body = stream::unfold(feed, move |mut f| async move {
        loop {
            if f.done || f.state.limits.is_closing() {
                return None;
            }
            let current = match f.next.take() {
                Some(c) => c,
                None => {
                    if !wake(&mut f.changes, &f.state, f.quiet_since).await {
                        if f.state.limits.is_closing() {
                            return None;
                        }
                        f.quiet_since = Instant::now();
                        return Some((Ok(keep_alive()), f));
                    }
                    // From the cache, which the same change feed keeps current.
                    match super::jobs::current(&f.state, id).await {
                        Ok(c) => c,
                        // Purged meanwhile: nothing more will happen to it.
                        Err(ApiError::JobNotFound(_)) => return None,
                        Err(e) => {
                            f.done = true;
                            return Some((Ok(error_event(&e)), f));
                        }
                    }
                }
            };
            if f.last != Some(current.change_seq) {
                let mut out = String::new();
                if let Some(after) = f.last {
                    // The entries of the changes since the last one sent, up to this one.
                    let (store, upto) = (f.state.store.clone(), current.change_seq);
                    let read = blocking(move || Ok(store.read(|c| timeline::since(c, id, after))?));
                    match read.await {
                        Ok(entries) => {
                            let new: Vec<TimelineRecord> =
                                entries.into_iter().filter(|e| e.seq <= upto).collect();
                            if let Err(e) = timeline_events(&mut out, &new) {
                                f.done = true;
                                return Some((Ok(error_event(&e)), f));
                            }
                        }
                        Err(e) => {
                            f.done = true;
                            return Some((Ok(error_event(&e)), f));
                        }
                    }
                }
                if f.last_progress.as_ref() != Some(&current.progress) {
                    out.push_str("event: progress\ndata: ");
                    out.push_str(&String::from_utf8_lossy(&current.progress));
                    out.push_str("\n\n");
                    f.last_progress = Some(current.progress.clone());
                }
                f.last = Some(current.change_seq);
                f.quiet_since = Instant::now();
                f.done = current.ended;
                out.push_str(&format!(
                    "event: job\nid: {}\ndata: {}\n\n",
                    current.change_seq,
                    String::from_utf8_lossy(&current.body)
                ));
                return Some((Ok(Bytes::from(out)), f));
            }
        }
    });
    Ok(sse(body))
}

/// The changes of every job the filter selects, as server-sent events. Without
/// `Last-Event-ID` the feed starts with the changes after the request; with it (a reconnecting
/// client sends the last `id` it saw), with the changes after that one.
#[utoipa::path(
    tag = "jobs",
    params(EventQuery, ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: resume after it")),
    responses(
        (status = 200, description = "A `text/event-stream` of job changes (`event: job`, `data`: the job); it stays open", content_type = "text/event-stream", body = String),
        (status = 400, description = "Malformed query, or a Last-Event-ID that is not an event id this feed can have sent", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every event-stream slot of this server is taken (code `too_many_streams`); retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = JobFilter {
        status: q.status,
        kind: q.kind,
        volume_id: q.volume_id,
        cluster_id: q.cluster_id,
        origin: q.origin,
        ..JobFilter::default()
    };
    let store = state.store.clone();
    let top = blocking(move || Ok(store.read(jobs::feed::counter)?))
        .await?
        .0;
    let start = match req.headers().get("last-event-id") {
        None => top,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| resumable_event(s, top))
            .ok_or_else(|| {
                ApiError::BadRequest("Last-Event-ID must be an event id this feed sent".into())
            })?,
    };
    let slot = state.limits.streams.take()?;
    struct Feed {
        _slot: StreamSlot,
        state: web::Data<AppState>,
        changes: SeqWatch,
        filter: JobFilter,
        /// Every change up to this sequence was sent (or did not match the filter).
        cursor: i64,
        /// The highest sequence known committed.
        known: i64,
        pending: Vec<(JobRecord, Vec<TimelineRecord>)>,
        quiet_since: Instant,
        done: bool,
    }
    let mut changes = state.store.changes();
    let known = (*changes.borrow_and_update()).max(top);
    let feed = Feed {
        _slot: slot,
        state,
        changes,
        filter,
        cursor: start,
        known,
        pending: Vec::new(),
        quiet_since: Instant::now(),
        done: false,
    };
    let body = stream::unfold(feed, |mut f| async move {
        loop {
            if let Some((rec, entries)) = f.pending.pop() {
                f.quiet_since = Instant::now();
                let event = job_event(&rec, &entries).unwrap_or_else(|e| error_event(&e));
                return Some((Ok(event), f));
            }
            if f.done || f.state.limits.is_closing() {
                return None;
            }
            if f.known <= f.cursor {
                if !wake(&mut f.changes, &f.state, f.quiet_since).await {
                    if f.state.limits.is_closing() {
                        return None;
                    }
                    f.quiet_since = Instant::now();
                    return Some((Ok(keep_alive()), f));
                }
                f.known = f.known.max(*f.changes.borrow_and_update());
                continue;
            }
            // Every change up to `known` has committed (commit order is sequence order).
            let known = f.known;
            let (store, filter, after) = (f.state.store.clone(), f.filter.clone(), f.cursor);
            let changed = blocking(move || {
                Ok(store.read(|c| {
                    let changed = jobs::feed::since(c, &filter, after, BATCH)?;
                    let ids: Vec<Uuid> = changed.iter().map(|r| r.job.id).collect();
                    let entries = timeline::for_jobs(c, &ids, after)?;
                    Ok((changed, entries))
                })?)
            })
            .await;
            let (changed, mut entries) = match changed {
                Ok(c) => c,
                Err(e) => {
                    // The client reconnects with Last-Event-ID and loses nothing.
                    f.done = true;
                    return Some((Ok(error_event(&e)), f));
                }
            };
            let full = changed.len() as i64 >= BATCH;
            f.cursor = match changed.last() {
                Some(last) if full => last.change_seq,
                Some(last) => last.change_seq.max(known),
                None => known,
            };
            f.known = f.known.max(f.cursor);
            // Sent lowest first: `pending` is popped from the end. A job's entries written
            // after the job was read come with its next change.
            f.pending = changed
                .into_iter()
                .rev()
                .map(|rec| {
                    let mut mine = entries.remove(&rec.job.id).unwrap_or_default();
                    mine.retain(|e| e.seq <= rec.change_seq);
                    (rec, mine)
                })
                .collect();
        }
    });
    Ok(sse(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_a_feed_can_have_sent_resume_it() {
        assert_eq!(resumable_event("41", 41), Some(41));
        assert_eq!(resumable_event(" 0 ", 41), Some(0));
        // A timestamp id of the versions before the change feed.
        for bad in [
            "1780000000000000",
            "42",
            "-1",
            "9223372036854775808",
            "12abc",
            "",
        ] {
            assert_eq!(resumable_event(bad, 41), None, "{bad:?}");
        }
    }
}
