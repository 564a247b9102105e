//! `GET /volumes`, `GET /volumes/{volume_id}`, `GET /volumes/{volume_id}/bricks`.

use crate::dto::{BrickDto, BrickList, VolumeDto, VolumeList};
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use persistence::repo::{jobs, volumes};
use persistence::JobRecord;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Default page size of the volume list (as the job list's).
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of the volume list.
pub const MAX_LIMIT: u32 = 500;

/// Filters and paging of the volume list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VolumeQuery {
    /// Only volumes of this cluster.
    pub cluster_id: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A volume with its active job, or 404.
async fn with_activity(
    state: &AppState,
    volume_id: Uuid,
) -> Result<(domain::Volume, Option<JobRecord>), ApiError> {
    let store = state.store.clone();
    blocking(move || {
        Ok(store.read(|c| {
            let Some(v) = volumes::get(c, volume_id)? else {
                return Ok(None);
            };
            let active = jobs::active_for_volume(c, volume_id)?;
            Ok(Some((v, active)))
        })?)
    })
    .await?
    .ok_or(ApiError::VolumeNotFound(volume_id))
}

/// Volumes with their bricks and current activity, by name (ties by id), in pages.
#[utoipa::path(
    tag = "volumes",
    params(VolumeQuery),
    responses(
        (status = 200, description = "A page of volumes", body = VolumeList),
        (status = 400, description = "Malformed query or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Limit out of range", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/volumes")]
pub async fn list_volumes(
    state: web::Data<AppState>,
    query: web::Query<VolumeQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let store = state.store.clone();
    let (page, mut active) = blocking(move || {
        Ok(store.read(|c| {
            let page = volumes::list_page(c, q.cluster_id, i64::from(limit), q.cursor.as_deref())?;
            let ids: Vec<Uuid> = page.items.iter().map(|v| v.id).collect();
            let active = jobs::active_for_volumes(c, &ids)?;
            Ok((page, active))
        })?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VolumeList {
        items: page
            .items
            .iter()
            .map(|v| VolumeDto::of(v, active.remove(&v.id).as_ref()))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One volume (by gluster's volume UUID) with its bricks and current activity.
#[utoipa::path(
    tag = "volumes",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID")),
    responses(
        (status = 200, description = "The volume", body = VolumeDto),
        (status = 400, description = "Malformed volume id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/volumes/{volume_id}")]
pub async fn get_volume(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (v, active) = with_activity(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(VolumeDto::of(&v, active.as_ref())))
}

/// The bricks of a volume, each with its current activity (e.g. being removed).
#[utoipa::path(
    tag = "volumes",
    params(("volume_id" = Uuid, Path, description = "Gluster's volume UUID")),
    responses(
        (status = 200, description = "The bricks in volume order", body = BrickList),
        (status = 400, description = "Malformed volume id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volume", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/volumes/{volume_id}/bricks")]
pub async fn list_bricks(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (v, active) = with_activity(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(BrickList {
        items: v
            .bricks
            .iter()
            .map(|b| BrickDto::of(b, active.as_ref()))
            .collect(),
        next_cursor: None,
    }))
}
