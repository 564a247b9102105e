//! HTTP methods beyond the routes' own: `HEAD` is answered on every `GET` resource, and a
//! method a resource does not have is a 405 naming the ones it has (`Allow`), where actix alone
//! would answer 404.

use crate::error::ApiError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest, HttpResponse};
use utoipa::openapi::OpenApi as OpenApiDoc;

/// Middleware: a `HEAD` request is routed, authorised and answered as the `GET` it mirrors.
/// The connection never sends a body in answer to `HEAD`; a streamed body (an event feed) is
/// dropped here, so the request ends at once instead of following the stream.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(AskedWithHead);
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if head && matches!(res.response().body().size(), BodySize::Stream) {
        return Ok(res.map_body(|_, _| BoxBody::new(())));
    }
    Ok(res)
}

/// Marks a request that came as `HEAD` (and is routed as `GET`).
#[derive(Debug, Clone, Copy)]
struct AskedWithHead;

/// Every route's path pattern with the methods it answers, from the OpenAPI document (which
/// is generated from the routes).
#[derive(Debug)]
pub struct RouteMethods {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteMethods {
    /// The table of `doc`'s paths.
    pub fn of(doc: &OpenApiDoc) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (op, method) in [
                    (item.get.is_some(), Method::GET),
                    (item.get.is_some(), Method::HEAD),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ] {
                    if op {
                        methods.push(method);
                    }
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self { routes }
    }

    /// The table with one more read-only route (one served outside the document: the
    /// document itself).
    pub fn with_read_only(mut self, path: &str) -> Self {
        self.routes
            .push((ResourceDef::new(path), vec![Method::GET, Method::HEAD]));
        self
    }

    /// The methods of the route whose pattern matches `path`, if one does.
    pub fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, m)| m.as_slice())
    }
}

/// The default service: a 405 with `Allow` when the path is a route's and the method is not
/// one of its methods, else a 404.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    // The path as the router saw it (percent-decoded as actix decodes it for matching).
    let table = req.app_data::<web::Data<RouteMethods>>();
    let allowed = table.and_then(|t| t.allowed(req.match_info().as_str()));
    let Some(allowed) = allowed.filter(|m| !m.is_empty()) else {
        return actix_web::ResponseError::error_response(&ApiError::RouteNotFound(
            "no such resource; see /api/v1/openapi.json".into(),
        ));
    };
    let list = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let asked = if req.extensions().get::<AskedWithHead>().is_some() {
        Method::HEAD
    } else {
        req.method().clone()
    };
    let mut resp = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed(format!(
        "{asked} is not allowed here; allowed: {list}"
    )));
    if let Ok(v) = HeaderValue::from_str(&list) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_each_path_with_its_methods() {
        let doc = crate::app::spec();
        let t = RouteMethods::of(&doc);
        let id = "0b6f0d6c-7a57-4e5c-9b52-0c1f3f7a3f11";
        assert_eq!(
            t.allowed("/api/v1/volumes"),
            Some(&[Method::GET, Method::HEAD][..])
        );
        assert_eq!(
            t.allowed(&format!("/api/v1/volumes/{id}/rebalance")),
            Some(&[Method::GET, Method::HEAD, Method::POST][..])
        );
        assert_eq!(
            t.allowed(&format!("/api/v1/jobs/{id}/cancel")),
            Some(&[Method::POST][..])
        );
        assert_eq!(t.allowed("/api/v1/volumes/"), None);
        assert_eq!(t.allowed("/api/v1/nowhere"), None);
        assert_eq!(
            t.allowed("/healthz"),
            Some(&[Method::GET, Method::HEAD][..])
        );
    }
}
