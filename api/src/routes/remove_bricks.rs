//! `POST /volumes/{volume_id}/bricks/remove` and its status, stop and commit.

use crate::conventions::{cacheable_json, requester_of, IfNoneMatchHeader};
use crate::dto::{
    job_href, JobDto, RemoveBrickStatusDto, RemoveBricksRequest, RemoveBricksSelection,
};
use crate::error::{ApiError, Problem};
use crate::idempotency::IdempotencyKeyHeader;
use crate::routes::body::{optional_json, required_json};
use crate::state::{blocking, AppState};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::{RemovalRequest, TaskKind};
use scheduler::{RemovalOutcome, RemoveBricks};
use uuid::Uuid;

/// Removes bricks. With `migrate_data` (the default) the data migrates off first: **202** and a
/// `remove_brick` job whose steps are executing → removing bricks → committing. Without
/// migration the removal is immediate and needs `accept_data_loss`: **200** with the job already
/// `succeeded`. A replica reduction (`replica_count`) takes one brick per set and needs no
/// migration; it is refused while heals are pending.
#[utoipa::path(
    tag = "remove-bricks",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IdempotencyKeyHeader),
    request_body(content = RemoveBricksRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Migration started; the job tracks it", body = JobDto,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 200, description = "Removed without migration; the job is on record", body = JobDto,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A task is already active on the volume; or the first request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The removal breaks a rule (message says which) or gluster refused it; or the Idempotency-Key was first used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volumes/{volume_id}/bricks/remove")]
pub async fn start_remove_bricks(
    http: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: RemoveBricksRequest = required_json(&http, &body, "\"bricks\"")?;
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let requester = requester_of(&http);
    let opts = RemoveBricks {
        request: RemovalRequest {
            bricks: req.bricks,
            migrate_data: req.migrate_data,
            replica_count: req.replica_count,
            accept_data_loss: req.accept_data_loss,
        },
        auto_commit: req.auto_commit,
    };
    let outcome = blocking(move || Ok(ops.start_remove_brick(id, opts, requester)?)).await?;
    let (mut resp, rec) = match outcome {
        RemovalOutcome::Started(rec) => (HttpResponse::Accepted(), rec),
        RemovalOutcome::Removed(rec) => (HttpResponse::Ok(), rec),
    };
    Ok(resp
        .insert_header((header::LOCATION, job_href(rec.job.id)))
        .json(JobDto::from(&rec)))
}

/// The latest remove-brick of the volume as the scheduler last polled it, with the bricks and
/// whether a commit is allowed now.
#[utoipa::path(
    tag = "remove-bricks",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IfNoneMatchHeader),
    responses(
        (status = 200, description = "Latest remove-brick status; `ETag` validates it, `Retry-After` is set while it runs or waits for a commit", body = RemoveBrickStatusDto,
            headers(("ETag" = String, description = "Validator for If-None-Match"), ("Retry-After" = Option<u64>, description = "Seconds before polling again, while the job has not ended"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current `ETag`"),
        (status = 400, description = "Malformed volume id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume, or no remove-brick has run on it", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/volumes/{volume_id}/bricks/remove")]
pub async fn remove_bricks_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let rec = blocking(move || Ok(ops.latest(id, TaskKind::RemoveBrick)?)).await?;
    let retry = state.retry_after(&rec.job);
    Ok(cacheable_json(
        &req,
        &RemoveBrickStatusDto::from(&rec),
        retry,
    ))
}

/// Stops the migration; the bricks stay in the volume and the job ends `stopped`.
#[utoipa::path(
    tag = "remove-bricks",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IdempotencyKeyHeader),
    request_body(content = Option<RemoveBricksSelection>, description = "Optional", content_type = "application/json"),
    responses(
        (status = 200, description = "Stopped; the final status", body = RemoveBrickStatusDto),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume, or no active remove-brick", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Gluster refused (nothing to stop); or the first request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not the bricks that started the removal; or the Idempotency-Key was first used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volumes/{volume_id}/bricks/remove/stop")]
pub async fn stop_remove_bricks(
    http: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let sel: RemoveBricksSelection = optional_json(&http, &body)?;
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let asked = scheduler::Asked::stop(&crate::conventions::requester_of(&http));
    let (rec, _) =
        blocking(move || Ok(ops.stop_remove_brick(id, sel.bricks.as_deref(), &asked)?)).await?;
    Ok(HttpResponse::Ok().json(RemoveBrickStatusDto::from(&rec)))
}

/// Commits a completed migration: the bricks leave the volume and the job ends `succeeded`.
/// Refused (409) unless migration completed on every node with 0 failures.
#[utoipa::path(
    tag = "remove-bricks",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID"), IdempotencyKeyHeader),
    request_body(content = Option<RemoveBricksSelection>, description = "Optional", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed", body = JobDto),
        (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume, or no active remove-brick", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Migration not complete, files failed to migrate, or gluster refused; or the first request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not the bricks that started the removal; or the Idempotency-Key was first used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No gluster host answered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volumes/{volume_id}/bricks/remove/commit")]
pub async fn commit_remove_bricks(
    http: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let sel: RemoveBricksSelection = optional_json(&http, &body)?;
    let (ops, id) = (state.ops.clone(), path.into_inner());
    let asked = scheduler::Asked::commit(&crate::conventions::requester_of(&http));
    let rec =
        blocking(move || Ok(ops.commit_remove_brick(id, sel.bricks.as_deref(), &asked)?)).await?;
    Ok(HttpResponse::Ok().json(JobDto::from(&rec)))
}
