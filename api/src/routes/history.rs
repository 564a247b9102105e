//! A job's history: its progress over time (`GET /jobs/{job_id}/progress`, for plotting) and
//! its timeline of what happened and who did it (`GET /jobs/{job_id}/timeline`).

use crate::dto::job_href;
use crate::dto::{ProgressHistoryDto, TimelineDto, TimelineEntryDto};
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use domain::estimate::series;
use persistence::repo::{jobs, timeline};
use uuid::Uuid;

/// A job's progress history: its sizing, its figures now, and one point per poll at which
/// something moved (recent polls all kept, older ones thinned to `poll.history_polls`).
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The history, oldest point first", body = ProgressHistoryDto),
        (status = 400, description = "Malformed job id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{job_id}/progress")]
pub async fn job_progress(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (store, id) = (state.store.clone(), path.into_inner());
    let body = blocking(move || {
        let (rec, sizing, samples) = store
            .read(|c| {
                let Some(rec) = jobs::get(c, id)? else {
                    return Ok(None);
                };
                Ok(Some((rec, jobs::sizing(c, id)?, jobs::samples(c, id)?)))
            })?
            .ok_or(ApiError::JobNotFound(id))?;
        let points = series::series(&samples, sizing.as_ref());
        Ok(ProgressHistoryDto::of(&rec, sizing.as_ref(), points))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A job's timeline: created (by whom), gluster's answer, state changes, stalls and
/// recoveries, stops, commits and cancels (by whom), auto-commit decisions, warnings.
#[utoipa::path(
    tag = "jobs",
    params(("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The entries, oldest first", body = TimelineDto),
        (status = 400, description = "Malformed job id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{job_id}/timeline")]
pub async fn job_timeline(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (store, id) = (state.store.clone(), path.into_inner());
    let entries = blocking(move || {
        store
            .read(|c| {
                if !jobs::exists(c, id)? {
                    return Ok(None);
                }
                Ok(Some(timeline::list(c, id)?))
            })?
            .ok_or(ApiError::JobNotFound(id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(TimelineDto {
        job_id: id,
        job_href: job_href(id),
        entries: entries.iter().map(TimelineEntryDto::from).collect(),
    }))
}
