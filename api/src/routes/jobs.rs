//! `GET /jobs`, `GET /jobs/{job_id}`.

use crate::conventions::cacheable_json;
use crate::dto::{JobDto, JobList};
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::{JobOrigin, JobStatus, TaskKind};
use persistence::repo::jobs;
use persistence::JobFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Default page size of the job list.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of the job list.
pub const MAX_LIMIT: u32 = 500;

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

/// One job with its steps and the latest per-node progress.
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job; `ETag` validates it, `Retry-After` (seconds) is set until it ends", body = JobDto,
            headers(("ETag" = String, description = "Validator for If-None-Match"), ("Retry-After" = Option<u64>, description = "Seconds before polling again, while the job has not ended"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
        (status = 400, description = "Malformed job id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{job_id}")]
pub async fn get_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (store, id) = (state.store.clone(), path.into_inner());
    let rec = blocking(move || Ok(store.read(|c| jobs::get(c, id))?))
        .await?
        .ok_or(ApiError::JobNotFound(id))?;
    let retry = state.retry_after(rec.job.status);
    Ok(cacheable_json(&req, &JobDto::from(&rec), retry))
}

/// Cancels a job: stops its task (`rebalance … stop`, or `remove-brick … stop`, which keeps the
/// bricks) and answers the job as the stop left it.
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job, stopped", body = JobDto),
        (status = 400, description = "Malformed job id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not active (ended, or its state is unknown), or gluster refused the stop because of the task's state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Gluster refused the stop", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/jobs/{job_id}/cancel")]
pub async fn cancel_job(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (store, ops, id) = (state.store.clone(), state.ops.clone(), path.into_inner());
    let rec = blocking(move || {
        let rec = store
            .read(|c| jobs::get(c, id))?
            .ok_or(ApiError::JobNotFound(id))?;
        if !rec.job.status.is_active() {
            return Err(ApiError::JobNotActive(format!(
                "job {id} is {}: there is no task of it to stop",
                rec.job.status
            )));
        }
        match rec.job.kind {
            TaskKind::Rebalance => {
                ops.stop_rebalance(rec.job.volume_id)?;
            }
            TaskKind::RemoveBrick => {
                ops.stop_remove_brick(rec.job.volume_id, None)?;
            }
        }
        store
            .read(|c| jobs::get(c, id))?
            .ok_or(ApiError::JobNotFound(id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(JobDto::from(&rec)))
}
