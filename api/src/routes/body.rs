//! Request bodies: one reading of JSON bodies for every endpoint. A body is either empty
//! (where the endpoint allows that) or a JSON object sent as `application/json`.

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;
use serde::de::DeserializeOwned;

/// Whether the request says its body is JSON: `application/json`, with or without parameters
/// (`; charset=utf-8`).
fn declares_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A body that is not `application/json` is a 415; malformed JSON a 400; JSON that is not an
/// object, or an object of the wrong shape (unknown or missing fields, wrong types), a 422
/// naming the problem.
fn parse<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if !declares_json(req) {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as Content-Type: application/json".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::InvalidRequest(
            "the body must be a JSON object".into(),
        ));
    }
    serde_json::from_value(value).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

fn is_empty(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// An optional body: empty means all defaults.
pub fn optional_json<T: DeserializeOwned + Default>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, ApiError> {
    if is_empty(body) {
        return Ok(T::default());
    }
    parse(req, body)
}

/// A required body; `what` says what it must hold when it is missing.
pub fn required_json<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    if is_empty(body) {
        return Err(ApiError::InvalidRequest(format!(
            "a body with {what} is required"
        )));
    }
    parse(req, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Opts {
        #[serde(default)]
        a: bool,
        #[serde(default)]
        b: bool,
    }

    fn with_type(ct: Option<&str>) -> HttpRequest {
        let mut r = TestRequest::post();
        if let Some(ct) = ct {
            r = r.insert_header((header::CONTENT_TYPE, ct));
        }
        r.to_http_request()
    }

    #[test]
    fn bodies_are_json_objects_sent_as_json() {
        let json = with_type(Some("application/json"));
        let code = |r: Result<Opts, ApiError>| r.map_err(|e| e.code());
        assert_eq!(code(optional_json(&json, b"")), Ok(Opts::default()));
        assert_eq!(
            code(optional_json(&with_type(None), b"  ")),
            Ok(Opts::default())
        );
        assert_eq!(
            code(optional_json(&json, br#"{"a":true}"#)),
            Ok(Opts { a: true, b: false })
        );
        let charset = with_type(Some("Application/JSON; charset=utf-8"));
        assert!(optional_json::<Opts>(&charset, b"{}").is_ok());
        for (req, body, want) in [
            (&json, &b"[true,true]"[..], "invalid_request"),
            (&json, b"true", "invalid_request"),
            (&json, b"null", "invalid_request"),
            (&json, br#"{"c":1}"#, "invalid_request"),
            (&json, b"{", "bad_request"),
            (&with_type(None), b"{}", "unsupported_media_type"),
            (
                &with_type(Some("text/plain")),
                b"{}",
                "unsupported_media_type",
            ),
            (
                &with_type(Some("application/x-www-form-urlencoded")),
                b"a=1",
                "unsupported_media_type",
            ),
        ] {
            assert_eq!(code(optional_json(req, body)), Err(want), "{body:?}");
        }
        assert_eq!(code(required_json(&json, b"", "x")), Err("invalid_request"));
    }
}
