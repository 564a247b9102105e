//! HTTP handlers, one module per resource. Every handler is registered with `service(...)` so
//! that the OpenAPI document is generated from the routes themselves.

pub mod body;
pub mod clusters;
pub mod events;
pub mod health;
pub mod jobs;
pub mod rebalance;
pub mod remove_bricks;
pub mod volumes;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the `/api/v1` resources.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1")
            .service(clusters::list_clusters)
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
            .service(events::job_events)
            .service(events::events),
    )
    .service(health::healthz);
}
