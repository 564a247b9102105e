//! The actix application: routes, extractor error handlers, the OpenAPI document and docs page.

use crate::auth;
use crate::conventions;
use crate::error::ApiError;
use crate::idempotency;
use crate::routes;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{middleware, web, App, Error, HttpResponse};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

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
    tags(
        (name = "clusters", description = "Managed trusted pools"),
        (name = "volumes", description = "Volumes, bricks and their current activity"),
        (name = "rebalance", description = "Rebalance a volume: start, watch, stop"),
        (name = "remove-bricks", description = "Remove bricks: migrate, stop, commit, or force"),
        (name = "jobs", description = "Every task is a job with steps and per-node progress"),
        (name = "service", description = "Health"),
    )
)]
struct ApiDoc;

/// The OpenAPI document generated from the registered routes.
pub fn spec() -> OpenApiDoc {
    let mut doc = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts()
        .1;
    with_bearer_auth(&mut doc);
    doc
}

/// Declares the bearer token scheme for every `/api/v1` operation, with its 401 (and, for
/// writes, 403) answers; `/healthz` needs no token. The middleware is [`auth::require_token`].
fn with_bearer_auth(doc: &mut OpenApiDoc) {
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    let problem = |description: &str| {
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
    };
    let bearer = vec![SecurityRequirement::new("bearer", Vec::<String>::new())];
    for (path, item) in doc.paths.paths.iter_mut() {
        let open = !path.starts_with("/api/v1/");
        let ops = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (op, writes) in ops {
            let Some(op) = op.as_mut() else { continue };
            if open {
                continue;
            }
            op.security = Some(bearer.clone());
            let responses = &mut op.responses.responses;
            responses.insert(
                "401".into(),
                problem("Tokens are configured and the request has no valid bearer token (code `unauthorized`)"),
            );
            if writes {
                responses.insert(
                    "403".into(),
                    problem("The token is a viewer's: it may only read (code `forbidden`)"),
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
    // The spec and docs come before the /api/v1 scope, which would otherwise claim the path.
    let app = app
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", api.clone()))
        .service(web::redirect("/docs", "/docs/"))
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .into_app()
        // Inside the request-id middleware: a replayed problem gets this request's `instance`.
        .wrap(middleware::from_fn(idempotency::idempotent_posts))
        // Before any key is claimed, after the request has its id.
        .wrap(middleware::from_fn(auth::require_token))
        .wrap(middleware::from_fn(conventions::request_id_and_instance))
        .wrap(middleware::Logger::new(
            "%a \"%r\" %s %b %Dms request_id=%{x-request-id}o",
        ))
        .default_service(web::to(not_found));
    (app, api)
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::RouteNotFound(
        "no such resource; see /api/v1/openapi.json".into(),
    ))
}

/// The OpenAPI document as YAML: what `openapi.yaml` must hold.
pub fn openapi_yaml() -> Result<String, String> {
    spec().to_yaml().map_err(|e| e.to_string())
}
