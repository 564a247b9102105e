//! Conventions applied to every response: the `X-Request-Id` header and the `instance` member
//! of problem documents; `ETag`/`If-None-Match` and `Retry-After` for the pollable resources.

use crate::error::ApiError;
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;

/// The request id header: accepted from the client when it is a sane token, else generated.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request (set by [`request_id_and_instance`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The id [`request_id_and_instance`] gave the request (`None` outside that middleware).
pub fn request_id_of(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

/// Who sent the current request, for the job it may create: its request id and, when tokens
/// are configured, the token's name.
pub fn requester_of(req: &HttpRequest) -> scheduler::Requester {
    scheduler::Requester {
        request_id: request_id_of(req),
        initiator: crate::auth::principal_of(req).map(|p| p.name),
    }
}

/// A client's request id is kept when it is 1 to 128 characters of `[A-Za-z0-9._:-]`; anything
/// else is replaced, so logs and headers never carry arbitrary bytes.
pub fn accepted_request_id(given: Option<&str>) -> Option<String> {
    given
        .filter(|s| (1..=128).contains(&s.len()))
        .filter(|s| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        })
        .map(str::to_owned)
}

/// Middleware: gives the request an id (the client's `X-Request-Id` or a new UUID), echoes it
/// on the response, fills `instance` (the request path) in problem+json bodies, and turns the
/// plain-text errors of actix itself (a body over the size limit, for one) into problem+json.
pub async fn request_id_and_instance(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let given = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok());
    let id = accepted_request_id(given).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let path = req.path().to_owned();
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let status = res.status();
    if !(is_problem || status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let mut bytes = body::to_bytes(body).await.unwrap_or_default();
    if !is_problem {
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        let err = error_for_status(status.as_u16(), text);
        let mut problem = err.problem();
        // Keep actix's status (415, 405, …); the code says what kind of problem it is.
        problem.status = status.as_u16();
        bytes = serde_json::to_vec(&problem).unwrap_or_default().into();
        head.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
    }
    let filled = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut doc)) => {
            doc.insert("instance".into(), path.into());
            serde_json::to_vec(&doc).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    let res = head.set_body(BoxBody::new(filled));
    Ok(ServiceResponse::new(req, res))
}

/// The problem that a plain-text error answer of actix (or of the docs page) stands for.
fn error_for_status(status: u16, text: String) -> ApiError {
    let text = if text.is_empty() {
        actix_web::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned()
    } else {
        text
    };
    match status {
        404 => ApiError::RouteNotFound(text),
        405 => ApiError::MethodNotAllowed(text),
        408 => ApiError::RequestTimeout(text),
        413 => ApiError::PayloadTooLarge(text),
        415 => ApiError::UnsupportedMediaType(text),
        500.. => ApiError::Internal(text),
        _ => ApiError::BadRequest(text),
    }
}

/// A strong validator of a JSON representation: FNV-1a over its bytes (stable across
/// processes and replicas running the same version).
pub fn etag_of(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

/// Fields of a representation that say when it was last checked, not what it says: they do
/// not take part in its validator.
const CHECK_STAMPS: [&str; 1] = ["polled_at"];

/// The weak validator of a JSON representation: [`etag_of`] over it without the
/// [`CHECK_STAMPS`], so a poll that found nothing new (only `polled_at` moves) neither changes
/// the `ETag` nor wakes a long-poll.
pub fn validator_of(bytes: &[u8]) -> String {
    let meaningful = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(mut fields)) => {
            for stamp in CHECK_STAMPS {
                fields.remove(stamp);
            }
            serde_json::to_vec(&fields).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    format!("W/{}", etag_of(&meaningful))
}

/// Answers `value` as JSON with an `ETag`, or 304 when `If-None-Match` already names it;
/// `retry_after` (seconds) is added while the resource is still changing.
pub fn cacheable_json<T: Serialize>(
    req: &HttpRequest,
    value: &T,
    retry_after: Option<u64>,
) -> HttpResponse {
    match json_bytes(value) {
        Ok(bytes) => cacheable(req, bytes, retry_after),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// `value` serialised as the JSON body of a response.
pub fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, crate::error::ApiError> {
    serde_json::to_vec(value)
        .map_err(|e| crate::error::ApiError::Internal(format!("serialising a response: {e}")))
}

/// The `If-None-Match` request header, for the OpenAPI document of every `ETag`'d resource.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfNoneMatchHeader {
    /// The `ETag` of the representation you hold: while it is still current the answer is
    /// 304 with no body.
    #[param(rename = "If-None-Match")]
    pub if_none_match: Option<String>,
}

/// Whether the request's `If-None-Match` names `tag` (or is `*`).
pub fn if_none_match_names(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            // Weak comparison (RFC 9110 13.1.2): `W/"x"` and `"x"` name the same validator.
            let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
            v.split(',')
                .any(|t| t.trim() == "*" || bare(t) == bare(tag))
        })
}

/// [`cacheable_json`] for a body already serialised.
pub fn cacheable(req: &HttpRequest, bytes: Vec<u8>, retry_after: Option<u64>) -> HttpResponse {
    let tag = validator_of(&bytes);
    cacheable_tagged(req, bytes.into(), &tag, retry_after)
}

/// [`cacheable`] for a body whose validator `tag` is already known.
pub fn cacheable_tagged(
    req: &HttpRequest,
    bytes: actix_web::web::Bytes,
    tag: &str,
    retry_after: Option<u64>,
) -> HttpResponse {
    let matches = if_none_match_names(req, tag);
    let mut resp = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::ETAG, tag.to_owned()));
    if let Some(secs) = retry_after {
        resp.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    if matches {
        resp.finish()
    } else {
        resp.content_type("application/json").body(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_kept_only_when_sane() {
        assert_eq!(
            accepted_request_id(Some("abc-123.x:y_z")),
            Some("abc-123.x:y_z".into())
        );
        assert_eq!(accepted_request_id(Some("")), None);
        assert_eq!(accepted_request_id(Some("a b")), None);
        assert_eq!(accepted_request_id(Some("x\r\ny")), None);
        assert_eq!(accepted_request_id(Some(&"a".repeat(129))), None);
    }

    #[test]
    fn plain_errors_get_the_code_of_their_status() {
        for (status, code) in [
            (400, "bad_request"),
            (404, "not_found"),
            (405, "method_not_allowed"),
            (408, "request_timeout"),
            (413, "payload_too_large"),
            (415, "unsupported_media_type"),
            (431, "bad_request"),
            (500, "internal"),
        ] {
            assert_eq!(
                error_for_status(status, String::new()).code(),
                code,
                "{status}"
            );
        }
        assert_eq!(
            error_for_status(404, String::new()).to_string(),
            "Not Found",
            "an empty text becomes the status's reason"
        );
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let asked = |v: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, v))
                .to_http_request()
        };
        let tag = "W/\"00ff\"";
        assert!(if_none_match_names(&asked("W/\"00ff\""), tag));
        assert!(if_none_match_names(&asked("\"00ff\""), tag));
        assert!(if_none_match_names(&asked("\"1\", W/\"00ff\""), tag));
        assert!(if_none_match_names(&asked("*"), tag));
        assert!(!if_none_match_names(&asked("W/\"00fe\""), tag));
    }

    #[test]
    fn validators_ignore_the_poll_stamp_only() {
        let a = validator_of(br#"{"status":"running","polled_at":"2026-01-01T00:00:00Z"}"#);
        let b = validator_of(br#"{"status":"running","polled_at":"2026-01-01T00:00:02Z"}"#);
        let c = validator_of(br#"{"status":"stopped","polled_at":"2026-01-01T00:00:02Z"}"#);
        assert_eq!(a, b);
        assert_ne!(b, c);
        assert!(a.starts_with("W/\""));
    }

    #[test]
    fn etags_are_stable_and_change_with_the_content() {
        assert_eq!(etag_of(b"{}"), etag_of(b"{}"));
        assert_ne!(etag_of(b"{\"a\":1}"), etag_of(b"{\"a\":2}"));
        assert!(etag_of(b"").starts_with('"') && etag_of(b"").ends_with('"'));
    }
}
