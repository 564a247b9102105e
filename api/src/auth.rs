//! Bearer tokens. The config file lists tokens by name, role and SHA-256 hash (never the
//! token itself).
//!
//! Access is decided on the route actix matched, never on the request's path text:
//! [`require_token`] wraps the `/api/v1` scope itself (see [`crate::routes::configure`]), so
//! every request that the router sends into that scope, however its path is spelled, passes it
//! before any handler runs. With tokens configured it needs `Authorization: Bearer <token>`: a
//! missing or unknown token is a 401, and a request that is not a read ([`required_role`])
//! needs an operator's token (a viewer gets a 403). The open endpoints are the ones registered
//! outside that scope (`/healthz`, the OpenAPI document, the docs page), and the
//! OpenAPI `security` section is derived from the same split. With no tokens configured the
//! API is open, and the server refuses to listen on anything but loopback
//! ([`check_exposure`]).

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::ToSocketAddrs;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads only (GET).
    Viewer,
    /// Everything.
    Operator,
}

/// One `[[tokens]]` entry of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Who holds the token; recorded on the jobs it starts (`initiator`).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Lower-case hex SHA-256 of the token (`gluster-tasks hash-token` prints it).
    pub sha256: String,
}

/// The caller, once its token is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// The configured tokens, by hash.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_hash: HashMap<String, Principal>,
}

/// Lower-case hex SHA-256 of `token`.
pub fn hash_token(token: &str) -> String {
    // Every request hashes its token: one string, not one formatted string per byte.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest.iter() {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    hex
}

impl Tokens {
    /// Checks and indexes the configured tokens.
    pub fn new(settings: &[TokenSettings]) -> Result<Self, String> {
        let mut by_hash = HashMap::new();
        for t in settings {
            let hex = t.sha256.to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "token {:?}: sha256 must be 64 hex digits (gluster-tasks hash-token prints it)",
                    t.name
                ));
            }
            if t.name.trim().is_empty() {
                return Err("every token needs a name".into());
            }
            let who = Principal {
                name: t.name.clone(),
                role: t.role,
            };
            if by_hash.insert(hex, who).is_some() {
                return Err(format!(
                    "token {:?}: the same token is listed twice",
                    t.name
                ));
            }
        }
        Ok(Self { by_hash })
    }

    /// Whether no token is configured (the API is open, on loopback only).
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The holder of `token`, if it is configured.
    pub fn check(&self, token: &str) -> Option<&Principal> {
        self.by_hash.get(&hash_token(token))
    }
}

/// Without tokens, anyone who can reach the port can stop and commit tasks: refuse any listen
/// address that is not loopback, and say why.
pub fn check_exposure(bind: &str, tokens: &Tokens) -> Result<(), String> {
    if !tokens.is_empty() {
        return Ok(());
    }
    let addrs: Vec<_> = bind
        .to_socket_addrs()
        .map_err(|e| format!("bind address {bind:?}: {e}"))?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(format!(
            "refusing to listen on {bind} without access tokens: anyone reaching it could stop or commit tasks. Configure [[tokens]] (see docs/api.md), or bind to 127.0.0.1"
        ));
    }
    Ok(())
}

/// The caller of the current request, when tokens are configured.
pub fn principal_of(req: &HttpRequest) -> Option<Principal> {
    req.extensions().get::<Principal>().cloned()
}

/// The role a request on a protected route needs: a viewer may read (`GET`, and `HEAD`, which
/// is served as `GET`); every other method, including any added later, needs an operator.
pub fn required_role(method: &Method) -> Role {
    if method == Method::GET || method == Method::HEAD {
        Role::Viewer
    } else {
        Role::Operator
    }
}

/// Middleware on the protected scope; see the module documentation.
pub async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let tokens = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.tokens.clone());
    let Some(tokens) = tokens.filter(|t| !t.is_empty()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // The scheme is case-insensitive (RFC 9110).
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(who) = presented.and_then(|t| tokens.check(t)).cloned() else {
        let why = if presented.is_some() {
            "the bearer token is not valid"
        } else {
            "send Authorization: Bearer <token>"
        };
        return Ok(req
            .error_response(ApiError::Unauthorized(why.into()))
            .map_into_boxed_body());
    };
    if who.role == Role::Viewer && required_role(req.method()) == Role::Operator {
        return Ok(req
            .error_response(ApiError::Forbidden(format!(
                "token {:?} is a viewer: it may only read",
                who.name
            )))
            .map_into_boxed_body());
    }
    req.extensions_mut().insert(who);
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(name: &str, role: Role, token: &str) -> TokenSettings {
        TokenSettings {
            name: name.into(),
            role,
            sha256: hash_token(token),
        }
    }

    #[test]
    fn tokens_are_matched_by_hash() {
        assert_eq!(
            hash_token("test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        let t = Tokens::new(&[settings("ci", Role::Operator, "s3cret")]).unwrap();
        assert_eq!(t.check("s3cret").unwrap().name, "ci");
        assert!(t.check("s3cret ").is_none());
        assert!(t.check("").is_none());
    }

    #[test]
    fn bad_token_settings_are_refused() {
        let mut bad = settings("x", Role::Viewer, "a");
        bad.sha256 = "abc".into();
        assert!(Tokens::new(&[bad]).is_err());
        let twice = [
            settings("a", Role::Viewer, "same"),
            settings("b", Role::Operator, "same"),
        ];
        assert!(Tokens::new(&twice).is_err());
    }

    #[test]
    fn only_reads_are_open_to_viewers() {
        for (method, role) in [
            (Method::GET, Role::Viewer),
            (Method::HEAD, Role::Viewer),
            (Method::POST, Role::Operator),
            (Method::PUT, Role::Operator),
            (Method::DELETE, Role::Operator),
            (Method::PATCH, Role::Operator),
            (Method::OPTIONS, Role::Operator),
            (Method::TRACE, Role::Operator),
            (Method::from_bytes(b"PURGE").unwrap(), Role::Operator),
        ] {
            assert_eq!(required_role(&method), role, "{method}");
        }
    }

    #[test]
    fn without_tokens_only_loopback_is_allowed() {
        let none = Tokens::default();
        assert!(check_exposure("127.0.0.1:8080", &none).is_ok());
        assert!(check_exposure("[::1]:8080", &none).is_ok());
        let e = check_exposure("0.0.0.0:8080", &none).unwrap_err();
        assert!(e.contains("without access tokens"), "{e}");
        assert!(check_exposure("192.0.2.1:8080", &none).is_err());
        let some = Tokens::new(&[settings("ci", Role::Operator, "t")]).unwrap();
        assert!(check_exposure("0.0.0.0:8080", &some).is_ok());
    }
}
