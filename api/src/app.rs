//! The actix application: routes, extractor error handlers, the OpenAPI document and docs page.

use crate::auth;
use crate::conventions;
use crate::error::ApiError;
use crate::routes;
use crate::state::AppState;
use crate::{limits, methods, metrics};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{middleware, web, App, Error};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// Where the OpenAPI document is served.
pub const OPENAPI_JSON: &str = "/api/v1/openapi.json";

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The document's fixed parts; paths and schemas come from the registered routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "gluster-tasks",
        description = "Runs GlusterFS rebalance and remove-brick tasks as jobs that a background scheduler keeps in step with gluster. Errors are RFC 9457 problem+json documents with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    servers(
        (url = "/", description = "The server that serves this document (the default bind address is http://127.0.0.1:8080)")
    ),
    tags(
        (name = "clusters", description = "Managed trusted pools"),
        (name = "volumes", description = "Volumes, bricks and their current activity"),
        (name = "rebalance", description = "Rebalance a volume: start, watch, stop"),
        (name = "remove-bricks", description = "Remove bricks: migrate, stop, commit, or force"),
        (name = "jobs", description = "Every task is a job with steps and per-node progress"),
        (name = "service", description = "Health, and who the caller is"),
    )
)]
struct ApiDoc;

/// The OpenAPI document generated from the registered routes: the protected ones
/// ([`routes::protected`]) with the bearer scheme, the open ones ([`routes::open`]) without.
pub fn spec() -> OpenApiDoc {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope(routes::API_PREFIX).configure(routes::protected))
        .split_for_parts();
    with_bearer_auth(&mut doc);
    let (_, open) = App::new()
        .into_utoipa_app()
        .configure(routes::open)
        .split_for_parts();
    doc.merge(open);
    with_body_answers(&mut doc);
    doc
}

/// A problem+json response for the document, with the shared `Problem` schema.
fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// The answers [`limits::bounded_body`] and the body parser give every POST: 408 and 413,
/// and 415 where the operation takes a body.
fn with_body_answers(doc: &mut OpenApiDoc) {
    for op in doc.paths.paths.values_mut().filter_map(|i| i.post.as_mut()) {
        let takes_body = op.request_body.is_some();
        let responses = &mut op.responses.responses;
        responses.insert(
            "408".into(),
            problem_response("The request body did not arrive within `http.body_timeout_secs` (code `request_timeout`); the connection is closed"),
        );
        responses.insert(
            "413".into(),
            problem_response("The request body is larger than 64 KiB (code `payload_too_large`)"),
        );
        if takes_body {
            responses.insert(
                "415".into(),
                problem_response(
                    "A body that is not `application/json` (code `unsupported_media_type`)",
                ),
            );
        }
    }
}

/// Declares the bearer token scheme on every operation of `doc` (the protected routes), with
/// its 401 answer and, where [`auth::required_role`] asks for an operator, its 403.
fn with_bearer_auth(doc: &mut OpenApiDoc) {
    use actix_web::http::Method;
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    let bearer = vec![SecurityRequirement::new("bearer", Vec::<String>::new())];
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (&mut item.get, Method::GET),
            (&mut item.post, Method::POST),
            (&mut item.put, Method::PUT),
            (&mut item.delete, Method::DELETE),
            (&mut item.patch, Method::PATCH),
        ];
        for (op, method) in ops {
            let Some(op) = op.as_mut() else { continue };
            op.security = Some(bearer.clone());
            let responses = &mut op.responses.responses;
            responses.insert(
                "401".into(),
                problem_response("Tokens are configured and the request has no valid bearer token (code `unauthorized`)"),
            );
            if auth::required_role(&method) == auth::Role::Operator {
                responses.insert(
                    "403".into(),
                    problem_response(
                        "The token is a viewer's: it may only read (code `forbidden`)",
                    ),
                );
            }
        }
    }
}

/// The application with its routes; `state` is `None` only when building the spec.
pub fn build(
    state: Option<AppState>,
) -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    >,
    OpenApiDoc,
) {
    let api = spec();
    let mut app = App::new()
        .app_data(web::JsonConfig::default().limit(MAX_BODY_BYTES))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            ApiError::BadRequest(format!("invalid path parameter: {e}")).into()
        }))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| ApiError::BadRequest(format!("invalid query: {e}")).into()),
        );
    if let Some(state) = state {
        app = app.app_data(web::Data::new(state));
    }
    let routes = methods::RouteMethods::of(&api)
        .with_read_only(OPENAPI_JSON)
        .with_read_only(metrics::PATH);
    let app = app.app_data(web::Data::new(routes));
    // The spec and docs come before the /api/v1 scope, which would otherwise claim the path.
    let app = app
        .service(SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_JSON, api.clone()))
        .service(web::redirect("/docs", "/docs/"))
        .configure(crate::console::configure)
        // Prometheus scrapes with a token like any reader (any role may read the metrics).
        .service(
            web::resource(metrics::PATH)
                .wrap(middleware::from_fn(auth::require_token))
                .route(web::get().to(metrics::scrape)),
        )
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .into_app()
        // Before routing: every body is read within its deadline, whatever route it is for.
        .wrap(middleware::from_fn(limits::bounded_body))
        .wrap(middleware::from_fn(methods::head_as_get))
        .wrap(middleware::from_fn(conventions::request_id_and_instance))
        .wrap(middleware::from_fn(metrics::count_requests))
        .wrap(middleware::Logger::new(
            "%a \"%r\" %s %b %Dms request_id=%{x-request-id}o",
        ))
        .wrap(middleware::from_fn(limits::hold_unread_body))
        .default_service(web::to(methods::no_route));
    (app, api)
}

/// The OpenAPI document as YAML: what `openapi.yaml` must hold.
pub fn openapi_yaml() -> Result<String, String> {
    spec().to_yaml().map_err(|e| e.to_string())
}
