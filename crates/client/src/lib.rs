//! Rust SDK for the gluster-tasks REST API.
//!
//! Everything except [`client`] is generated at build time by
//! [progenitor](https://github.com/oxidecomputer/progenitor) from the committed `openapi.yaml`
//! (the document utoipa derives from the routes and that a drift test keeps in step with them):
//! a [`Client`] with one builder-style method per `operationId` (`client.list_volumes().send()`),
//! and the request and response types in [`types`]. Errors come back as
//! [`Error::ErrorResponse`] holding the typed [`types::Problem`] (RFC 9457).
//!
//! utoipa writes OpenAPI 3.1, progenitor reads only 3.0 (it parses with the `openapiv3` crate),
//! so `build.rs` first rewrites the document mechanically (`src/downgrade.rs`):
//! `type: [X, 'null']` becomes `type: X, nullable: true`, a `oneOf` with a `type: 'null'` member
//! becomes `allOf` of the other one with `nullable: true`, `license.identifier` goes, and any
//! 3.1 construct it does not know fails the build. `application/problem+json` responses are also
//! listed as `application/json`, since progenitor decodes only that media type. See
//! `docs/client.md`.

#[cfg(test)]
#[path = "downgrade.rs"]
mod downgrade;
#[cfg(test)]
mod downgrade_tests;

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}

pub use generated::*;

/// The error of [`client`]: a token that is not a valid header value, or a client reqwest
/// cannot build.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The token cannot be sent in an `Authorization` header.
    #[error("bearer token: {0}")]
    Token(#[source] reqwest::header::InvalidHeaderValue),
    /// reqwest failed to build the HTTP client.
    #[error("http client: {0}")]
    Http(#[source] reqwest::Error),
}

/// A client of the service at `base` (e.g. `http://127.0.0.1:8080`), sending
/// `Authorization: Bearer <token>` on every request when a token is given.
///
/// Configuration only: the API calls themselves are all generated. TLS is rustls with the ring
/// provider, installed here as the process default unless one is installed already.
pub fn client(base: &str, token: Option<&str>) -> Result<Client, ClientError> {
    // Err only means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(ClientError::Token)?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    let http = reqwest::ClientBuilder::new()
        .default_headers(headers)
        .build()
        .map_err(ClientError::Http)?;
    Ok(Client::new_with_client(base, http))
}
