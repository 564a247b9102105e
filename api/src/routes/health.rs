//! `GET /healthz`.

use crate::dto::Health;
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use persistence::repo::clusters;

/// Liveness and database reachability.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "The service and its database answer", body = Health),
        (status = 500, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    blocking(move || Ok(store.read(clusters::list)?)).await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        replica: state.replica.id.clone(),
    }))
}
