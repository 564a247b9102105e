//! `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: it can do its
//! work, the store takes writes and gluster answers).

use crate::dto::{Health, Readiness};
use crate::error::{ApiError, Problem};
use crate::state::{blocking, AppState};
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use persistence::repo::{clusters, leases};
use uuid::Uuid;

/// Liveness: the process is up and serving. It touches neither the database nor gluster, so a
/// store or a cluster that is down never gets a healthy process restarted; see `/readyz`.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "The process answers", body = Health),
    )
)]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        replica: state.replica.id.clone(),
    })
}

/// What keeps the service from being ready, from what was observed (no I/O): the store's
/// probe write failed, or clusters are configured and none answered a poll since `since`.
pub fn unready_reasons(
    store_writable: bool,
    configured: &[(Uuid, String)],
    polled: &[clusters::ClusterRecord],
    since: DateTime<Utc>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if !store_writable {
        reasons.push("the database cannot be written".to_owned());
    }
    let answered = |id: &Uuid| {
        polled
            .iter()
            .any(|c| c.id == *id && c.last_success_at.is_some_and(|t| t >= since))
    };
    if !configured.is_empty() && !configured.iter().any(|(id, _)| answered(id)) {
        let names: Vec<&str> = configured.iter().map(|(_, n)| n.as_str()).collect();
        reasons.push(format!(
            "no configured cluster has answered a poll since {} ({})",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            names.join(", ")
        ));
    }
    reasons
}

/// Readiness: the store takes a write (this replica's heartbeat) and, when clusters are
/// configured, at least one answered a poll within the readiness window.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready (code `not_ready`); `reasons` says why", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let (store, me) = (state.store.clone(), state.replica.id.clone());
    let probe = blocking(move || Ok(store.write(|c| leases::heartbeat(c, &me, now))?)).await;
    if let Err(e) = &probe {
        log::warn!("readiness: the store's probe write failed: {e}");
    }
    let store = state.store.clone();
    let polled = blocking(move || Ok(store.read(clusters::list)?))
        .await
        .unwrap_or_default();
    let configured: Vec<(Uuid, String)> = state
        .scheduler
        .registry()
        .all()
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let since = now - state.ready_window;
    let reasons = unready_reasons(probe.is_ok(), &configured, &polled, since);
    if !reasons.is_empty() {
        return Err(ApiError::NotReady(reasons));
    }
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready".into(),
        replica: state.replica.id.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polled(id: Uuid, last_success_at: Option<DateTime<Utc>>) -> clusters::ClusterRecord {
        clusters::ClusterRecord {
            id,
            name: "c".into(),
            last_poll_at: last_success_at,
            last_success_at,
            last_error: None,
            inventory_at: None,
            active_host: None,
            failed_polls: 0,
            lease: None,
            peers: Vec::new(),
        }
    }

    #[test]
    fn readiness_needs_a_writable_store_and_one_answering_cluster() {
        let now = Utc::now();
        let since = now - chrono::Duration::seconds(30);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let both = [(a, "a".to_owned()), (b, "b".to_owned())];
        let recent = Some(now - chrono::Duration::seconds(5));
        let old = Some(now - chrono::Duration::seconds(60));
        for (writable, configured, seen, ready, why) in [
            (
                true,
                &both[..],
                vec![polled(a, recent)],
                true,
                "one cluster answers",
            ),
            (
                true,
                &both[..],
                vec![polled(a, old), polled(b, recent)],
                true,
                "b answers",
            ),
            (true, &[][..], vec![], true, "no clusters configured"),
            (
                true,
                &both[..],
                vec![polled(a, old), polled(b, None)],
                false,
                "none recently",
            ),
            (true, &both[..], vec![], false, "never polled"),
            (
                true,
                &both[..1],
                vec![polled(b, recent)],
                false,
                "only an unconfigured one",
            ),
            (false, &both[..], vec![polled(a, recent)], false, "store"),
        ] {
            let reasons = unready_reasons(writable, configured, &seen, since);
            assert_eq!(reasons.is_empty(), ready, "{why}: {reasons:?}");
        }
        let r = unready_reasons(false, &both, &[], since);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[1].contains("(a, b)"), "{r:?}");
    }
}
