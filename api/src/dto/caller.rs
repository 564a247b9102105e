//! The caller as its token makes it (`GET /whoami`).

use crate::auth::{Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallerRole {
    /// Reads only.
    Viewer,
    /// Reads, starts, stops and commits.
    Operator,
}

/// The caller of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallerDto {
    /// The token's name (recorded as `initiator` on the jobs it starts); `null` when no tokens
    /// are configured (the API is open, on loopback only).
    pub name: Option<String>,
    /// What the caller may do: `operator` for everyone when no tokens are configured.
    pub role: CallerRole,
}

impl CallerDto {
    /// The caller `who` (none: tokens are not configured).
    pub fn of(who: Option<Principal>) -> Self {
        match who {
            Some(p) => Self {
                name: Some(p.name),
                role: match p.role {
                    Role::Viewer => CallerRole::Viewer,
                    Role::Operator => CallerRole::Operator,
                },
            },
            None => Self {
                name: None,
                role: CallerRole::Operator,
            },
        }
    }
}
