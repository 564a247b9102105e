//! `Idempotency-Key` on every POST (starts, stops, commits, cancel). The first request with a
//! key runs and its answer is stored; a retry with the same key and the same request gets that
//! answer again (`Idempotent-Replayed: true`) without running anything. The same key with a
//! different request is a 422; a retry while the first is still running is a 409. 5xx answers
//! are not stored (the request may not have happened), so a retry runs again. Keys are kept
//! for `KEY_RETENTION` and then purged by the scheduler.

use crate::conventions::etag_of;
use crate::error::ApiError;
use crate::state::{blocking, AppState};
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use chrono::Utc;
use persistence::repo::idempotency::{self, Claim, StoredAnswer};

/// The request header carrying the client's key.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on an answer replayed from an earlier request with the same key.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// A claim not answered after this long belonged to a process that died mid-request; a retry
/// may take it over. Far longer than any request (the CLI timeout is a minute).
const ABANDONED_AFTER_SECS: i64 = 600;

/// The `Idempotency-Key` request header, for the OpenAPI document of every POST.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// 1 to 255 visible ASCII characters, e.g. a UUID. A retry with the same key and the same
    /// request gets the first answer again (`Idempotent-Replayed: true`) and runs nothing; the
    /// same key with another request is a 422 `idempotency_key_reused`; a retry while the
    /// first request runs is a 409 `idempotency_in_progress`. 5xx answers are not kept. Keys
    /// are remembered for 24 hours.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    pub idempotency_key: Option<String>,
}

/// A key is 1 to 255 visible ASCII characters (a UUID is the usual choice).
pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Middleware; see the module documentation.
pub async fn idempotent_posts(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let given = req.headers().get(&IDEMPOTENCY_KEY).cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(given), Some(state), true) = (given, state, req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(key) = given
        .to_str()
        .ok()
        .filter(|k| valid_key(k))
        .map(str::to_owned)
    else {
        let e = ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        );
        return Ok(req.error_response(e).map_into_boxed_body());
    };
    // The body decides whether a retry is the same request: read it, then hand it back.
    let bytes = match req.extract::<web::Bytes>().await {
        Ok(b) => b,
        Err(e) => return Ok(req.error_response(e).map_into_boxed_body()),
    };
    req.set_payload(bytes.clone().into());
    // The caller is part of the request: another token's key is another key.
    let caller = req
        .extensions()
        .get::<crate::auth::Principal>()
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let mut signed = format!("{} {}\n", req.method(), req.uri()).into_bytes();
    signed.extend_from_slice(&bytes);
    let fingerprint = etag_of(&signed);
    // Stored under the caller and the key: each token has keys of its own, and one caller
    // can neither block nor detect another's.
    let scoped = scoped_key(&caller, &key);

    // From the claim on, on a task of its own: a client that hangs up drops this future, and
    // once the key is claimed the request must run to its end and its answer be stored (or the
    // claim released), or every retry would see 409 for the next ten minutes.
    let handled = async move {
        let store = state.store.clone();
        let k = scoped.clone();
        let claim = blocking(move || {
            let now = Utc::now();
            let abandoned = now - chrono::Duration::seconds(ABANDONED_AFTER_SECS);
            Ok(store.write(|c| idempotency::claim(c, &k, &fingerprint, now, abandoned))?)
        })
        .await;
        match claim {
            Err(e) => Ok(req.error_response(e).map_into_boxed_body()),
            Ok(Claim::Mismatch) => Ok(req
                .error_response(ApiError::IdempotencyKeyReused(format!(
                    "Idempotency-Key {key:?} was first used with a different request (method, path or body); use a new key for a new request"
                )))
                .map_into_boxed_body()),
            Ok(Claim::InProgress) => Ok(req
                .error_response(ApiError::IdempotencyInProgress(format!(
                    "the first request with Idempotency-Key {key:?} is still being processed; retry shortly"
                )))
                .map_into_boxed_body()),
            Ok(Claim::Answered(a)) => Ok(req.into_response(replay(&a)).map_into_boxed_body()),
            Ok(Claim::Claimed) => {
                let res = match next.call(req).await {
                    Ok(res) => res.map_into_boxed_body(),
                    Err(e) => {
                        forget(&state, scoped).await;
                        return Err(e);
                    }
                };
                if res.status().is_server_error() {
                    forget(&state, scoped).await;
                    return Ok(res);
                }
                remember(&state, scoped, res).await
            }
        }
    };
    actix_web::rt::spawn(handled).await.map_err(|e| {
        Error::from(ApiError::Internal(format!(
            "the idempotent request's task failed: {e}"
        )))
    })?
}

/// The key as stored: the caller's name, then the client's key, unambiguously joined.
fn scoped_key(caller: &str, key: &str) -> String {
    format!("{}:{caller}:{key}", caller.len())
}

/// The stored answer as a response.
fn replay(a: &StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
    let mut resp = HttpResponse::build(status);
    if let Some(ct) = &a.content_type {
        resp.insert_header((header::CONTENT_TYPE, ct.as_str()));
    }
    if let Some(loc) = &a.location {
        resp.insert_header((header::LOCATION, loc.as_str()));
    }
    resp.insert_header((REPLAYED, HeaderValue::from_static("true")));
    resp.body(a.body.clone())
}

/// Stores the answer for the key, and returns it unchanged.
async fn remember(
    state: &web::Data<AppState>,
    key: String,
    res: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let text = |name| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = StoredAnswer {
        status: head.status().as_u16(),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let store = state.store.clone();
    let saved = blocking(move || Ok(store.write(|c| idempotency::answer(c, &key, &answer))?)).await;
    if let Err(e) = saved {
        // The request itself succeeded; a retry will see 409 until the claim is abandoned.
        log::error!("storing an idempotent answer: {e}");
    }
    let res = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, res))
}

/// Releases the key after a failure a retry may fix.
async fn forget(state: &web::Data<AppState>, key: String) {
    let store = state.store.clone();
    if let Err(e) = blocking(move || Ok(store.write(|c| idempotency::release(c, &key))?)).await {
        log::error!("releasing an idempotency key: {e}");
    }
}
