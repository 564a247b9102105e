//! `GET /whoami`.

use crate::auth::principal_of;
use crate::dto::caller::CallerDto;
use crate::error::Problem;
use actix_web::{get, HttpRequest, HttpResponse};

/// Who the bearer token belongs to and what it may do: how a client (the console) checks a
/// token at sign-in and learns whether to offer the controls that change things.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "The caller", body = CallerDto),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/whoami")]
pub async fn whoami(req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(CallerDto::of(principal_of(&req)))
}
