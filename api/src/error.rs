//! The HTTP error: one variant per outcome, each with one status and one stable code, rendered
//! as RFC 9457 `application/problem+json`. 5xx bodies never carry internals.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use domain::{DomainError, JobStatus, TaskKind};
use persistence::PersistenceError;
use scheduler::OpError;
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;
use uuid::Uuid;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:gluster-tasks:problem:<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Gluster's own message, when gluster refused the command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gluster_message: Option<String>,
    /// The job that blocks the request (409) or that was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Uuid>,
    /// Link to that job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_href: Option<String>,
    /// Why the service is not ready (`GET /readyz`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The path of the request this problem occurred on (filled in for every response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// Everything an endpoint can answer besides success.
#[derive(Debug, Error)]
pub enum ApiError {
    /// 404: no such volume.
    #[error("volume {0} not found")]
    VolumeNotFound(Uuid),
    /// 404: no such job.
    #[error("job {0} not found")]
    JobNotFound(Uuid),
    /// 404: no such path.
    #[error("{0}")]
    RouteNotFound(String),
    /// 404: no task of that kind ever ran on the volume.
    #[error("{0}")]
    NoTask(String),
    /// 409: another task holds the volume.
    #[error("{detail}")]
    TaskActive {
        /// Message.
        detail: String,
        /// The blocking job.
        job_id: Uuid,
    },
    /// 409: committing now would not be safe (migration incomplete, files failed).
    #[error("{0}")]
    CommitRefused(String),
    /// 409: the job has ended (or its state is unknown): there is nothing to cancel.
    #[error("{0}")]
    JobNotActive(String),
    /// 409: gluster refused because a task is running or not running.
    #[error("{0}")]
    GlusterConflict(String),
    /// 422: gluster refused the command.
    #[error("{0}")]
    GlusterRefused(String),
    /// 422: the volume cannot run the task.
    #[error("{0}")]
    NotEligible(String),
    /// 422: the request body or a parameter is not acceptable.
    #[error("{0}")]
    InvalidRequest(String),
    /// 400: malformed request (unparsable JSON, bad path or query).
    #[error("{0}")]
    BadRequest(String),
    /// 503: gluster cannot be reached.
    #[error("gluster is unavailable")]
    GlusterUnavailable(String),
    /// 413: the request body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 405: the resource exists but does not answer this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 408: the request body did not arrive in time.
    #[error("{0}")]
    RequestTimeout(String),
    /// 415: a body that is not `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 503: the database cannot take the request now (locked past its busy timeout, disk
    /// full, read-only); the cause is logged, never sent.
    #[error("the store is unavailable")]
    StoreUnavailable(String),
    /// 503: the service cannot do its work now (`GET /readyz`); the reasons say why.
    #[error("not ready: {}", .0.join("; "))]
    NotReady(Vec<String>),
    /// 503: every event-stream slot is taken.
    #[error("{0}")]
    TooManyStreams(String),
    /// No valid bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// The token's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The `Idempotency-Key` was first used with a different request.
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// The first request with this `Idempotency-Key` is still being processed.
    #[error("{0}")]
    IdempotencyInProgress(String),
    /// 500: anything else; the cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code of the variant.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::VolumeNotFound(_) => "volume_not_found",
            ApiError::JobNotFound(_) => "job_not_found",
            ApiError::NoTask(_) => "no_task",
            ApiError::RouteNotFound(_) => "not_found",
            ApiError::TaskActive { .. } => "task_active",
            ApiError::GlusterConflict(_) => "gluster_conflict",
            ApiError::CommitRefused(_) => "commit_refused",
            ApiError::JobNotActive(_) => "job_not_active",
            ApiError::GlusterRefused(_) => "gluster_refused",
            ApiError::NotEligible(_) => "not_eligible",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::GlusterUnavailable(_) => "gluster_unavailable",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyStreams(_) => "too_many_streams",
            ApiError::StoreUnavailable(_) => "store_unavailable",
            ApiError::NotReady(_) => "not_ready",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::IdempotencyKeyReused(_) => "idempotency_key_reused",
            ApiError::IdempotencyInProgress(_) => "idempotency_in_progress",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::VolumeNotFound(_) => "Volume not found",
            ApiError::JobNotFound(_) => "Job not found",
            ApiError::NoTask(_) => "No such task",
            ApiError::RouteNotFound(_) => "Not found",
            ApiError::TaskActive { .. } => "A task is already active on the volume",
            ApiError::GlusterConflict(_) => "Gluster refused: conflicting task state",
            ApiError::CommitRefused(_) => "Commit refused: the data has not safely left the bricks",
            ApiError::JobNotActive(_) => "The job is not active",
            ApiError::GlusterRefused(_) => "Gluster refused the command",
            ApiError::NotEligible(_) => "The volume cannot run this task",
            ApiError::InvalidRequest(_) => "Invalid request",
            ApiError::BadRequest(_) => "Malformed request",
            ApiError::GlusterUnavailable(_) => "Gluster is unavailable",
            ApiError::PayloadTooLarge(_) => "Request body too large",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::RequestTimeout(_) => "Request body timed out",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::TooManyStreams(_) => "Too many event streams",
            ApiError::StoreUnavailable(_) => "The store is unavailable",
            ApiError::NotReady(_) => "Not ready",
            ApiError::Unauthorized(_) => "Authentication required",
            ApiError::Forbidden(_) => "Not allowed for this token",
            ApiError::IdempotencyKeyReused(_) => "Idempotency-Key already used for another request",
            ApiError::IdempotencyInProgress(_) => {
                "The first request with this Idempotency-Key is still running"
            }
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code().as_u16();
        let (detail, gluster_message, job_id) = match self {
            ApiError::TaskActive { detail, job_id } => (detail.clone(), None, Some(*job_id)),
            ApiError::GlusterConflict(m) | ApiError::GlusterRefused(m) => {
                (m.clone(), Some(m.clone()), None)
            }
            ApiError::GlusterUnavailable(_) => (
                "no gluster host of the cluster answered; try again later".to_owned(),
                None,
                None,
            ),
            ApiError::Internal(_) => (
                "the server failed to handle the request; the cause is in its log".to_owned(),
                None,
                None,
            ),
            ApiError::StoreUnavailable(_) => (
                "the database cannot take the request now; nothing was changed, try again later"
                    .to_owned(),
                None,
                None,
            ),
            other => (other.to_string(), None, None),
        };
        Problem {
            problem_type: format!("urn:gluster-tasks:problem:{}", self.code()),
            title: self.title().to_owned(),
            status,
            detail,
            code: self.code().to_owned(),
            gluster_message,
            job_href: job_id.map(|j| format!("/api/v1/jobs/{j}")),
            job_id,
            reasons: match self {
                ApiError::NotReady(reasons) => reasons.clone(),
                _ => Vec::new(),
            },
            // Filled in by the request middleware, which knows the path.
            instance: None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::VolumeNotFound(_)
            | ApiError::JobNotFound(_)
            | ApiError::NoTask(_)
            | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TaskActive { .. }
            | ApiError::GlusterConflict(_)
            | ApiError::CommitRefused(_)
            | ApiError::JobNotActive(_)
            | ApiError::IdempotencyInProgress(_) => StatusCode::CONFLICT,
            ApiError::GlusterRefused(_)
            | ApiError::NotEligible(_)
            | ApiError::InvalidRequest(_)
            | ApiError::IdempotencyKeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyStreams(_) | ApiError::StoreUnavailable(_) | ApiError::NotReady(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::GlusterUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => log::error!("internal error: {cause}"),
            ApiError::GlusterUnavailable(cause) => log::warn!("gluster unavailable: {cause}"),
            ApiError::StoreUnavailable(cause) => log::warn!("store unavailable: {cause}"),
            _ => {}
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::GlusterUnavailable(_) => {
                resp.insert_header((header::RETRY_AFTER, "10"));
            }
            ApiError::IdempotencyInProgress(_) => {
                resp.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::TooManyStreams(_) => {
                resp.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::StoreUnavailable(_) | ApiError::NotReady(_) => {
                resp.insert_header((header::RETRY_AFTER, "2"));
            }
            ApiError::Unauthorized(_) => {
                resp.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"gluster-tasks\""));
            }
            _ => {}
        }
        resp.json(self.problem())
    }
}

fn active_detail(volume: &str, kind: TaskKind, job_id: Uuid, status: JobStatus) -> String {
    if status.is_active() {
        format!("volume {volume} already has an active {kind} job {job_id} ({status})")
    } else {
        format!("volume {volume} is held by {kind} job {job_id} ({status}): gluster still keeps its task; cancel the job to release the volume")
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::VolumeNotFound(id) => ApiError::VolumeNotFound(id),
            OpError::JobNotFound(id) => ApiError::JobNotFound(id),
            OpError::NoTask { .. } => ApiError::NoTask(e.to_string()),
            OpError::ActiveJob {
                volume,
                job_id,
                kind,
                status,
            } => ApiError::TaskActive {
                detail: active_detail(&volume, kind, job_id, status),
                job_id,
            },
            OpError::Invalid(DomainError::NotEligible(m)) => ApiError::NotEligible(m),
            OpError::Invalid(other) => ApiError::InvalidRequest(other.to_string()),
            OpError::GlusterRefused { message, conflict } => {
                if conflict {
                    ApiError::GlusterConflict(message)
                } else {
                    ApiError::GlusterRefused(message)
                }
            }
            OpError::GlusterUnavailable(m) => ApiError::GlusterUnavailable(m),
            OpError::CommitRefused(m) => ApiError::CommitRefused(m),
            OpError::Persistence(p) if p.is_unavailable() => {
                ApiError::StoreUnavailable(p.to_string())
            }
            OpError::ClusterNotConfigured(_) | OpError::Persistence(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

impl From<PersistenceError> for ApiError {
    fn from(e: PersistenceError) -> Self {
        match e {
            PersistenceError::InvalidCursor => {
                ApiError::BadRequest("the cursor is not one this service issued".into())
            }
            PersistenceError::Unavailable(cause) => ApiError::StoreUnavailable(cause),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_one_status_and_code_and_5xx_hide_the_cause() {
        let secret = "password=hunter2 at /var/lib/x";
        for e in [
            ApiError::Internal(secret.into()),
            ApiError::GlusterUnavailable(secret.into()),
            ApiError::StoreUnavailable(secret.into()),
        ] {
            let p = e.problem();
            assert!(p.status >= 500);
            let body = serde_json::to_string(&p).unwrap();
            assert!(!body.contains("hunter2"), "{body}");
        }
        let p = ApiError::GlusterRefused("Volume x is not started".into()).problem();
        assert_eq!((p.status, p.code.as_str()), (422, "gluster_refused"));
        assert_eq!(
            p.gluster_message.as_deref(),
            Some("Volume x is not started")
        );
    }
}
