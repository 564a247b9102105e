//! Server-sent events of job changes: `GET /jobs/{job_id}/events` follows one job until it
//! ends, `GET /events` every job a filter selects. Each event is `event: job`, `id:` the change's
//! time in microseconds since the epoch, and `data:` the job as `GET /jobs/{job_id}` shows it.
//! The feeds watch the shared store (every [`WATCH_STEP`]), so a change made by any replica
//! shows up; a comment line every [`KEEP_ALIVE`] keeps idle connections open.

use crate::dto::JobDto;
use crate::error::{ApiError, Problem};
use crate::limits::StreamSlot;
use crate::state::{blocking, AppState};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{JobOrigin, JobStatus, TaskKind};
use futures_util::stream;
use persistence::repo::jobs;
use persistence::{JobFilter, JobRecord};
use serde::Deserialize;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use utoipa::IntoParams;
use uuid::Uuid;

/// How often a feed looks at the store.
pub const WATCH_STEP: Duration = Duration::from_millis(500);
/// Longest silence on a feed: a comment line is sent after it.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Most jobs one look at the store sends.
const BATCH: i64 = 200;
/// How far back `/events` looks again on every look. A job's `updated_at` is the time its
/// writer began (a poll cycle that then waited for gluster, at most about the CLI timeout), so
/// a change can land after newer ones were sent; looking back this far catches it, and the
/// changes already sent are skipped.
const LOOKBACK: chrono::Duration = chrono::Duration::seconds(120);

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

/// How far ahead of this replica's clock an event id may be (another replica's clock).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// The change time a `Last-Event-ID` names, if it is one a feed can have sent: microseconds
/// since the epoch, not before it and not after `now` (plus [`CLOCK_SKEW`]).
fn resumable_event(id: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let micros = id.trim().parse::<i64>().ok()?;
    let at = DateTime::from_timestamp_micros(micros)?;
    (micros >= 0 && at <= now + CLOCK_SKEW).then_some(at)
}

/// One job as an SSE event.
fn job_event(rec: &JobRecord) -> Result<Bytes, ApiError> {
    let data = serde_json::to_string(&JobDto::from(rec))
        .map_err(|e| ApiError::Internal(format!("serialising an event: {e}")))?;
    Ok(Bytes::from(format!(
        "event: job\nid: {}\ndata: {data}\n\n",
        rec.job.updated_at.timestamp_micros()
    )))
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
    let read = move |state: web::Data<AppState>| async move {
        let store = state.store.clone();
        blocking(move || Ok(store.read(|c| jobs::get(c, id))?)).await
    };
    let first = read(state.clone())
        .await?
        .ok_or(ApiError::JobNotFound(id))?;
    struct Feed {
        _slot: StreamSlot,
        state: web::Data<AppState>,
        next: Option<JobRecord>,
        last: Option<DateTime<Utc>>,
        quiet_since: Instant,
        done: bool,
    }
    let feed = Feed {
        _slot: slot,
        state,
        next: Some(first),
        last: None,
        quiet_since: Instant::now(),
        done: false,
    };
    let body = stream::unfold(feed, move |mut f| async move {
        loop {
            if f.done || f.state.limits.is_closing() {
                return None;
            }
            let rec = match f.next.take() {
                Some(r) => Some(r),
                None => match read(f.state.clone()).await {
                    Ok(r) => r,
                    Err(e) => {
                        f.done = true;
                        return Some((Ok(error_event(&e)), f));
                    }
                },
            };
            // Purged meanwhile: nothing more will happen to it.
            let rec = rec?;
            if f.last != Some(rec.job.updated_at) {
                f.last = Some(rec.job.updated_at);
                f.quiet_since = Instant::now();
                f.done = rec.job.status.is_terminal();
                let event = job_event(&rec).unwrap_or_else(|e| error_event(&e));
                return Some((Ok(event), f));
            }
            if f.quiet_since.elapsed() >= KEEP_ALIVE {
                f.quiet_since = Instant::now();
                return Some((Ok(keep_alive()), f));
            }
            actix_web::rt::time::sleep(WATCH_STEP).await;
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
    let resume = match req.headers().get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| resumable_event(s, Utc::now()))
                .ok_or_else(|| {
                    ApiError::BadRequest("Last-Event-ID must be an event id this feed sent".into())
                })?,
        ),
    };
    let slot = state.limits.streams.take()?;
    struct Feed {
        _slot: StreamSlot,
        state: web::Data<AppState>,
        filter: JobFilter,
        /// Changes before this instant are never sent (the request's time, or after the
        /// resumed event).
        start: DateTime<Utc>,
        /// The newest change sent so far.
        newest: DateTime<Utc>,
        /// The (job, change time) pairs sent within the look-back window.
        sent: HashSet<(Uuid, DateTime<Utc>)>,
        pending: Vec<JobRecord>,
        quiet_since: Instant,
        done: bool,
    }
    let start = match resume {
        // The change the id names was sent: start after it.
        Some(at) => at + chrono::Duration::microseconds(1),
        None => Utc::now(),
    };
    let feed = Feed {
        _slot: slot,
        state,
        filter,
        start,
        newest: start,
        sent: HashSet::new(),
        pending: Vec::new(),
        quiet_since: Instant::now(),
        done: false,
    };
    let body = stream::unfold(feed, |mut f| async move {
        loop {
            if let Some(rec) = f.pending.pop() {
                f.quiet_since = Instant::now();
                let event = job_event(&rec).unwrap_or_else(|e| error_event(&e));
                return Some((Ok(event), f));
            }
            if f.done || f.state.limits.is_closing() {
                return None;
            }
            let from = f.start.max(f.newest - LOOKBACK);
            let (store, filter) = (f.state.store.clone(), f.filter.clone());
            let changed =
                blocking(move || Ok(store.read(|c| jobs::changed_since(c, &filter, from, BATCH))?))
                    .await;
            let changed = match changed {
                Ok(c) => c,
                Err(e) => {
                    // The client reconnects with Last-Event-ID and loses nothing.
                    f.done = true;
                    return Some((Ok(error_event(&e)), f));
                }
            };
            f.sent.retain(|(_, at)| *at >= from);
            let fresh: Vec<JobRecord> = changed
                .into_iter()
                .filter(|r| f.sent.insert((r.job.id, r.job.updated_at)))
                .collect();
            if !fresh.is_empty() {
                if let Some(newest) = fresh.iter().map(|r| r.job.updated_at).max() {
                    f.newest = f.newest.max(newest);
                }
                // Sent oldest first: `pending` is popped from the end.
                f.pending = fresh.into_iter().rev().collect();
                continue;
            }
            if f.quiet_since.elapsed() >= KEEP_ALIVE {
                f.quiet_since = Instant::now();
                return Some((Ok(keep_alive()), f));
            }
            actix_web::rt::time::sleep(WATCH_STEP).await;
        }
    });
    Ok(sse(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_a_feed_can_have_sent_resume_it() {
        let now = DateTime::from_timestamp_micros(1_780_000_000_000_000).unwrap();
        let micros = |d: DateTime<Utc>| d.timestamp_micros().to_string();
        assert_eq!(resumable_event(&micros(now), now), Some(now));
        assert_eq!(
            resumable_event(" 0 ", now),
            DateTime::from_timestamp_micros(0)
        );
        let skewed = now + chrono::Duration::minutes(4);
        assert_eq!(resumable_event(&micros(skewed), now), Some(skewed));
        for bad in [
            "253402300800000000",
            &micros(now + chrono::Duration::minutes(6)),
            "-1",
            "9223372036854775807",
            "12abc",
            "",
        ] {
            assert_eq!(resumable_event(bad, now), None, "{bad:?}");
        }
    }
}
