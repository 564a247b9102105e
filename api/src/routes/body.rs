//! Request bodies: JSON parsing with one classification of errors for every endpoint.

use crate::error::ApiError;
use serde::de::DeserializeOwned;

/// Malformed JSON is a 400; well-formed JSON of the wrong shape (unknown or missing fields,
/// wrong types) is a 422 naming the problem.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::InvalidRequest(e.to_string()),
        _ => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
    })
}

fn is_empty(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// An optional body: empty means all defaults.
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if is_empty(body) {
        return Ok(T::default());
    }
    parse(body)
}

/// A required body; `what` says what it must hold when it is missing.
pub fn required_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    if is_empty(body) {
        return Err(ApiError::InvalidRequest(format!(
            "a body with {what} is required"
        )));
    }
    parse(body)
}
