//! HTTP handlers, one module per resource. Every handler is registered with `service(...)` so
//! that the OpenAPI document is generated from the routes themselves.
//!
//! Routes are declared once, in one of two places: [`protected`] (the `/api/v1` resources,
//! reached only through [`crate::auth::require_token`]) or [`open`]. Both the server
//! ([`configure`]) and the OpenAPI document's `security` section
//! ([`crate::app::spec`]) are built from that split, so a route added to [`protected`] is closed
//! without further ado, and none is open unless it is listed in [`open`].

pub mod body;
pub mod clusters;
pub mod events;
pub mod health;
pub mod history;
pub mod jobs;
pub mod rebalance;
pub mod remove_bricks;
pub mod volumes;
pub mod whoami;

use crate::{auth, idempotency};
use actix_web::middleware::from_fn;
use utoipa_actix_web::service_config::ServiceConfig;

/// The prefix of every protected resource.
pub const API_PREFIX: &str = "/api/v1";

/// Registers every route: the protected scope and the open routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope(API_PREFIX)
            .configure(protected)
            // Inside the token check: a key is claimed only by a caller allowed to act, and
            // scoped to that caller.
            .wrap(from_fn(idempotency::idempotent_posts))
            // Outermost of the scope: runs for every request actix routes into it.
            .wrap(from_fn(auth::require_token)),
    )
    .configure(open);
}

/// The resources under [`API_PREFIX`] (paths relative to it): each needs a token when tokens
/// are configured, with the role [`auth::required_role`] gives its method.
pub fn protected(cfg: &mut ServiceConfig) {
    cfg.service(clusters::list_clusters)
        .service(volumes::list_volumes)
        .service(volumes::get_volume)
        .service(volumes::list_bricks)
        .service(rebalance::start_rebalance)
        .service(rebalance::rebalance_status)
        .service(rebalance::stop_rebalance)
        .service(remove_bricks::start_remove_bricks)
        .service(remove_bricks::remove_bricks_status)
        .service(remove_bricks::stop_remove_bricks)
        .service(remove_bricks::commit_remove_bricks)
        .service(jobs::list_jobs)
        .service(jobs::get_job)
        .service(jobs::cancel_job)
        .service(history::job_progress)
        .service(history::job_timeline)
        .service(events::job_events)
        .service(events::events)
        .service(whoami::whoami);
}

/// The routes anyone who reaches the port may call (besides the OpenAPI document and the docs
/// page, which [`crate::app::build`] serves).
pub fn open(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
}
