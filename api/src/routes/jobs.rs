//! `GET /jobs`, `GET /jobs/{job_id}`.

use crate::conventions::{
    cacheable_tagged, if_none_match_names, json_bytes, validator_of, IfNoneMatchHeader,
};
use crate::dto::{JobDto, JobList, ProgressEventDto};
use crate::error::{ApiError, Problem};
use crate::idempotency::IdempotencyKeyHeader;
use crate::job_cache::Cached;
use crate::state::{blocking, AppState};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{JobOrigin, JobStatus, TaskKind};
use persistence::repo::jobs;
use persistence::JobFilter;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::IntoParams;
use uuid::Uuid;

/// Default page size of the job list.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of the job list.
pub const MAX_LIMIT: u32 = 500;
/// Longest long-poll of `GET /jobs/{job_id}?wait=`, in seconds.
pub const MAX_WAIT_SECS: u32 = 60;

/// Long-polling of one job.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobWaitQuery {
    /// Seconds to wait for the job to change before answering (0 to 60, default 0: answer at
    /// once). "Changed" means: no longer the version `If-None-Match` names, or, without that
    /// header, no longer the version current when the request arrived. An ended job is
    /// answered at once. When nothing changed the answer is the unchanged job (304 with
    /// `If-None-Match`).
    #[param(minimum = 0, maximum = 60)]
    pub wait: Option<u32>,
}

/// Filters and paging of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
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
    /// Only jobs created at or after this instant (RFC 3339).
    pub created_after: Option<DateTime<Utc>>,
    /// Only jobs created before this instant (RFC 3339).
    pub created_before: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Jobs, newest first, in pages.
#[utoipa::path(
    tag = "jobs",
    params(JobQuery),
    responses(
        (status = 200, description = "A page of jobs", body = JobList),
        (status = 400, description = "Malformed query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Limit out of range", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    query: web::Query<JobQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let filter = JobFilter {
        status: q.status,
        kind: q.kind,
        volume_id: q.volume_id,
        cluster_id: q.cluster_id,
        origin: q.origin,
        created_after: q.created_after,
        created_before: q.created_before,
    };
    let store = state.store.clone();
    let page = blocking(move || {
        Ok(store.read(|c| jobs::list(c, &filter, i64::from(limit), q.cursor.as_deref()))?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(JobList {
        items: page.items.iter().map(JobDto::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One job with its steps and the latest per-node progress; with `wait`, a long-poll that
/// answers as soon as the job changes.
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id"), JobWaitQuery, IfNoneMatchHeader),
    responses(
        (status = 200, description = "The job; `ETag` validates it, `Retry-After` (seconds) is set until it ends", body = JobDto,
            headers(("ETag" = String, description = "Validator for If-None-Match"), ("Retry-After" = Option<u64>, description = "Seconds before polling again, while the job has not ended"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
        (status = 400, description = "Malformed job id or query", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`wait` out of range", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{job_id}")]
pub async fn get_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: web::Query<JobWaitQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::InvalidRequest(format!(
            "wait must be between 0 and {MAX_WAIT_SECS} seconds"
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(u64::from(wait));
    let mut first_tag: Option<String> = None;
    // Marked seen now: a change published from here on wakes the wait below.
    let mut changes = state.store.changes();
    changes.borrow_and_update();
    loop {
        let current = current(&state, id).await?;
        let unchanged = if req.headers().contains_key(header::IF_NONE_MATCH) {
            if_none_match_names(&req, &current.etag)
        } else {
            first_tag.get_or_insert_with(|| current.etag.clone()) == &current.etag
        };
        let now = Instant::now();
        if !unchanged || current.settled || now >= deadline {
            return Ok(cacheable_tagged(
                &req,
                current.body.clone(),
                &current.etag,
                current.retry_after,
            ));
        }
        // Woken by the change feed (this replica's writes at once, other replicas' within the
        // store's watch interval), or at the deadline.
        let left = deadline - now;
        if let Ok(Err(_)) = actix_web::rt::time::timeout(left, changes.changed()).await {
            // The store is gone (shutting down): nothing will change any more.
            actix_web::rt::time::sleep(left).await;
        }
    }
}

/// The answer for job `id`: from the cache when it holds the job's current version, else read
/// from the store (and cached).
pub(crate) async fn current(
    state: &web::Data<AppState>,
    id: Uuid,
) -> Result<Arc<Cached>, ApiError> {
    if let Some(hit) = state.jobs_cache.get(id) {
        return Ok(hit);
    }
    let ticket = state.jobs_cache.ticket();
    let store = state.store.clone();
    let rec = blocking(move || Ok(store.read(|c| jobs::get(c, id))?))
        .await?
        .ok_or(ApiError::JobNotFound(id))?;
    let body = json_bytes(&JobDto::from(&rec))?;
    let progress = json_bytes(&ProgressEventDto::of(&rec))?;
    let cached = Arc::new(Cached {
        change_seq: rec.change_seq,
        etag: validator_of(&body),
        body: body.into(),
        progress: progress.into(),
        retry_after: state.retry_after(&rec.job),
        ended: rec.job.status.is_terminal(),
        // A failed removal gluster still holds is not over: its release is still to come.
        settled: rec.job.status.is_terminal() && !rec.job.tracking.needs_stop,
    });
    state.jobs_cache.fill(ticket, id, cached.clone());
    Ok(cached)
}

/// Cancels a job: stops its task (`rebalance … stop`, or `remove-brick … stop`, which keeps the
/// bricks) and answers the job as the stop left it.
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The job, stopped", body = JobDto),
        (status = 400, description = "Malformed job id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not active (ended, or its state is unknown), or gluster refused the stop because of the task's state; or the first request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Gluster refused the stop; or the Idempotency-Key was first used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/jobs/{job_id}/cancel")]
pub async fn cancel_job(
    http: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let asked = scheduler::Asked::cancel(&crate::conventions::requester_of(&http));
    let (store, ops, id) = (state.store.clone(), state.ops.clone(), path.into_inner());
    let rec = blocking(move || {
        let rec = store
            .read(|c| jobs::get(c, id))?
            .ok_or(ApiError::JobNotFound(id))?;
        // A failed removal whose task gluster still holds can be stopped to free the volume.
        if !rec.job.status.is_active() && !rec.job.tracking.needs_stop {
            return Err(ApiError::JobNotActive(format!(
                "job {id} is {}: there is no task of it to stop",
                rec.job.status
            )));
        }
        // The stops below act on the volume's task: make sure it is this job's.
        let holder = ops.holder(rec.job.volume_id)?.map(|h| h.job.id);
        if holder != Some(id) {
            return Err(ApiError::JobNotActive(format!(
                "job {id} is {} and no longer holds volume {}{}",
                rec.job.status,
                rec.job.volume_name,
                holder
                    .map(|h| format!(": job {h} does, cancel that one"))
                    .unwrap_or_default()
            )));
        }
        match rec.job.kind {
            TaskKind::Rebalance => {
                ops.stop_rebalance(rec.job.volume_id, &asked)?;
            }
            TaskKind::RemoveBrick => {
                ops.stop_remove_brick(rec.job.volume_id, None, &asked)?;
            }
        }
        store
            .read(|c| jobs::get(c, id))?
            .ok_or(ApiError::JobNotFound(id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(JobDto::from(&rec)))
}
