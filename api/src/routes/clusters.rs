//! `GET /clusters`.

use crate::dto::{ClusterDto, ClusterList};
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use persistence::repo::clusters;

/// The managed clusters, their peers and how polling them goes.
#[utoipa::path(
    tag = "clusters",
    responses(
        (status = 200, description = "All clusters", body = ClusterList),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clusters")]
pub async fn list_clusters(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let items = blocking(move || Ok(store.read(clusters::list)?)).await?;
    let scheduler = &state.scheduler;
    Ok(HttpResponse::Ok().json(ClusterList {
        items: items
            .into_iter()
            .map(|c| {
                let poller = scheduler.worker_status(c.id);
                ClusterDto::new(c, poller)
            })
            .collect(),
        next_cursor: None,
    }))
}
