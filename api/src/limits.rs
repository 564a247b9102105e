//! Limits that keep one client from holding the server: a deadline on every request body, a
//! cap on open event streams, a bound on connections, and a short graceful shutdown that ends
//! the event streams first. The `[http]` section of the config file sets them.

use crate::app::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use futures_util::StreamExt;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The `[http]` section of the config file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Seconds a client has to send a whole request body once its headers are in; after that
    /// the request is answered 408 and the connection closed.
    pub body_timeout_secs: f64,
    /// Server-sent event streams open at once in this process; more get 503.
    pub max_event_streams: usize,
    /// Connections open at once in this process; more wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds that in-flight requests get to finish after SIGTERM or SIGINT; event streams
    /// end at once.
    pub shutdown_timeout_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_timeout_secs: 15.0,
            max_event_streams: 256,
            max_connections: 4096,
            shutdown_timeout_secs: 3,
        }
    }
}

impl HttpSettings {
    /// Applies `GLUSTER_TASKS_HTTP_<NAME>`; `name` is the part after `HTTP_`. `Ok(false)`: not
    /// one of these settings.
    pub fn apply_env(&mut self, name: &str, value: &str) -> Result<bool, String> {
        let number = || format!("GLUSTER_TASKS_HTTP_{name}={value:?} is not a positive number");
        match name {
            "BODY_TIMEOUT_SECS" => {
                self.body_timeout_secs = value.parse().map_err(|_| number())?;
            }
            "MAX_EVENT_STREAMS" => self.max_event_streams = value.parse().map_err(|_| number())?,
            "MAX_CONNECTIONS" => self.max_connections = value.parse().map_err(|_| number())?,
            "SHUTDOWN_TIMEOUT_SECS" => {
                self.shutdown_timeout_secs = value.parse().map_err(|_| number())?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.body_timeout_secs.is_finite()
            && self.body_timeout_secs > 0.0
            && self.body_timeout_secs <= 3600.0)
        {
            return Err("http.body_timeout_secs must be more than 0 and at most 3600".into());
        }
        if self.max_event_streams == 0 || self.max_connections == 0 {
            return Err(
                "http.max_event_streams and http.max_connections must be at least 1".into(),
            );
        }
        if self.shutdown_timeout_secs > 300 {
            return Err("http.shutdown_timeout_secs must be at most 300".into());
        }
        Ok(())
    }

    /// The body deadline as a duration.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.body_timeout_secs)
    }
}

/// Middleware: reads the whole request body, at most [`MAX_BODY_BYTES`] within the body
/// deadline, before anything else looks at it. A body that does not arrive in time is a 408 and
/// the connection is closed; a larger one is a 413.
pub async fn bounded_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let deadline = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.limits.body_timeout)
        .unwrap_or_else(|| HttpSettings::default().body_timeout());
    let mut payload = req.take_payload();
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge(format!(
                    "the body is larger than {MAX_BODY_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    let refused = match actix_web::rt::time::timeout(deadline, read).await {
        Ok(Ok(body)) => {
            req.set_payload(body.into());
            return Ok(next.call(req).await?.map_into_boxed_body());
        }
        Ok(Err(e)) => e,
        Err(_) => ApiError::RequestTimeout(format!(
            "the request body did not arrive within {} s",
            deadline.as_secs_f64()
        )),
    };
    let mut res = req.error_response(refused).map_into_boxed_body();
    // The rest of the body is never read: the connection cannot carry another request, and
    // closes once the answer is out ([`UnreadBody`]).
    res.response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    res.response_mut()
        .extensions_mut()
        .insert(UnreadBody(payload));
    Ok(res)
}

/// A request body left unread by [`bounded_body`], kept alive until the answer is sent.
///
/// actix-http closes a connection whose request body is unread when the answer has gone out,
/// unless the body's reader is gone by then and the body is chunked: then it reads that body
/// to its end, for as long as the client keeps sending it. So the reader travels with the
/// answer: [`bounded_body`] leaves it in the response's extensions (which the middlewares in
/// between keep) and [`hold_unread_body`], the outermost middleware, moves it into the body,
/// which lives until its last byte is written.
struct UnreadBody(actix_web::dev::Payload);

/// A response body that also holds the request's unread body.
struct WithUnread {
    body: BoxBody,
    _unread: actix_web::dev::Payload,
}

impl MessageBody for WithUnread {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<web::Bytes, Self::Error>>> {
        std::pin::Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// Middleware, outermost: see [`UnreadBody`].
pub async fn hold_unread_body(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    let unread = res.response_mut().extensions_mut().remove::<UnreadBody>();
    Ok(match unread {
        Some(UnreadBody(payload)) => res.map_body(|_, body| {
            BoxBody::new(WithUnread {
                body,
                _unread: payload,
            })
        }),
        None => res,
    })
}

/// The process-wide limits every worker shares.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The body deadline.
    pub body_timeout: Duration,
    /// Open event streams.
    pub streams: Arc<StreamSlots>,
    /// Set when the process is shutting down: event streams end.
    pub closing: Arc<AtomicBool>,
}

impl Limits {
    /// Limits from the settings.
    pub fn new(s: &HttpSettings) -> Self {
        Self {
            body_timeout: s.body_timeout(),
            streams: Arc::new(StreamSlots::new(s.max_event_streams)),
            closing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether shutdown has begun.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }
}

/// A counted set of slots for event streams.
#[derive(Debug)]
pub struct StreamSlots {
    max: usize,
    open: AtomicUsize,
}

/// One open stream's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot(Arc<StreamSlots>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl StreamSlots {
    /// At most `max` slots.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            open: AtomicUsize::new(0),
        }
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// A slot, or a 503 when all are taken.
    pub fn take(self: &Arc<Self>) -> Result<StreamSlot, ApiError> {
        let taken = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(StreamSlot(self.clone())),
            Err(_) => Err(ApiError::TooManyStreams(format!(
                "{} event streams are open, the most this server keeps; retry later or poll GET /jobs",
                self.max
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_slots_are_counted_and_freed() {
        let slots = Arc::new(StreamSlots::new(2));
        let a = slots.take().unwrap();
        let b = slots.take().unwrap();
        assert!(matches!(slots.take(), Err(ApiError::TooManyStreams(_))));
        assert_eq!(slots.open(), 2);
        drop(a);
        let c = slots.take().unwrap();
        drop((b, c));
        assert_eq!(slots.open(), 0);
    }

    #[test]
    fn settings_come_from_the_environment_and_are_checked() {
        let mut s = HttpSettings::default();
        assert!(s.validate().is_ok());
        assert_eq!(s.apply_env("BODY_TIMEOUT_SECS", "2.5"), Ok(true));
        assert_eq!(s.apply_env("MAX_EVENT_STREAMS", "7"), Ok(true));
        assert_eq!(s.apply_env("OTHER", "7"), Ok(false));
        assert!(s.apply_env("MAX_CONNECTIONS", "many").is_err());
        assert_eq!((s.body_timeout_secs, s.max_event_streams), (2.5, 7));
        s.body_timeout_secs = 0.0;
        assert!(s.validate().is_err());
        s.body_timeout_secs = 1.0;
        s.max_event_streams = 0;
        assert!(s.validate().is_err());
    }
}
