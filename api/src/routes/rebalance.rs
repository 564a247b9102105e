//! `POST /volumes/{volume_id}/rebalance`, `GET …/rebalance`, `POST …/rebalance/stop`.

use crate::conventions::{cacheable_json, requester_of, IfNoneMatchHeader};
use crate::dto::{job_href, JobDto, RebalanceRequest, TaskStatusDto};
use crate::error::{ApiError, Problem};
use crate::idempotency::IdempotencyKeyHeader;
use crate::routes::body::optional_json;
use crate::state::{blocking, AppState};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::TaskKind;
use gluster::RebalanceOptions;
use uuid::Uuid;

/// Starts a rebalance of the volume. The job is returned at once (202) and followed by the
/// scheduler; poll `Location` for progress.
#[utoipa::path(
    tag = "rebalance",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IdempotencyKeyHeader),
    request_body(content = Option<RebalanceRequest>, description = "Options; the body may be empty", content_type = "application/json"),
    responses(
        (status = 202, description = "Rebalance started; the job tracks it", body = JobDto,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A task is already active on the volume; or the first request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The volume cannot be rebalanced (gluster's reason inside); or the Idempotency-Key was first used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volumes/{volume_id}/rebalance")]
pub async fn start_rebalance(
    http: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: RebalanceRequest = optional_json(&http, &body)?;
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let requester = requester_of(&http);
    let options = RebalanceOptions {
        fix_layout: req.fix_layout,
        force: req.force,
    };
    let rec = blocking(move || Ok(ops.start_rebalance(id, options, requester)?)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, job_href(rec.job.id)))
        .json(JobDto::from(&rec)))
}

/// The latest rebalance of the volume as the scheduler last polled it.
#[utoipa::path(
    tag = "rebalance",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IfNoneMatchHeader),
    responses(
        (status = 200, description = "Latest rebalance status; `ETag` validates it, `Retry-After` is set while it runs", body = TaskStatusDto,
            headers(("ETag" = String, description = "Validator for If-None-Match"), ("Retry-After" = Option<u64>, description = "Seconds before polling again, while the job has not ended"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
        (status = 400, description = "Malformed volume id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume, or no rebalance has run on it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/volumes/{volume_id}/rebalance")]
pub async fn rebalance_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let rec = blocking(move || Ok(ops.latest(id, TaskKind::Rebalance)?)).await?;
    let retry = state.retry_after(&rec.job);
    Ok(cacheable_json(&req, &TaskStatusDto::from(&rec), retry))
}

/// Stops the running rebalance of the volume and answers the status gluster reported at stop.
#[utoipa::path(
    tag = "rebalance",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Stopped; the final status", body = TaskStatusDto),
        (status = 400, description = "Malformed volume id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No rebalance is running (gluster's message inside); or the first request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Gluster refused the stop; or the Idempotency-Key was first used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volumes/{volume_id}/rebalance/stop")]
pub async fn stop_rebalance(
    http: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let asked = scheduler::Asked::stop(&crate::conventions::requester_of(&http));
    let (rec, report) = blocking(move || Ok(ops.stop_rebalance(id, &asked)?)).await?;
    let Some(rec) = rec else {
        return Err(ApiError::GlusterConflict(format!(
            "gluster accepted the stop but reported no rebalance task (status {})",
            report.status
        )));
    };
    Ok(HttpResponse::Ok().json(TaskStatusDto::from(&rec)))
}
