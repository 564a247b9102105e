//! `GET /volumes`, `GET /volumes/{volume_id}`, `GET /volumes/{volume_id}/bricks`.

use crate::dto::{BrickDto, BrickList, VolumeDto, VolumeList};
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use persistence::repo::{jobs, volumes};
use persistence::{JobRecord, PersistenceError};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Filters of the volume list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VolumeQuery {
    /// Only volumes of this cluster.
    pub cluster_id: Option<Uuid>,
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

/// All volumes with their bricks and current activity, by name.
#[utoipa::path(
    tag = "volumes",
    params(VolumeQuery),
    responses(
        (status = 200, description = "The volumes", body = VolumeList),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/volumes")]
pub async fn list_volumes(
    state: web::Data<AppState>,
    query: web::Query<VolumeQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let cluster = query.cluster_id;
    let items = blocking(move || {
        Ok(store.read(|c| {
            volumes::list(c, cluster)?
                .into_iter()
                .map(|v| {
                    let active = jobs::active_for_volume(c, v.id)?;
                    Ok(VolumeDto::of(&v, active.as_ref()))
                })
                .collect::<Result<Vec<_>, PersistenceError>>()
        })?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(VolumeList {
        items,
        next_cursor: None,
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
