//! The web console as the binary serves it: every file embedded and reachable without a token,
//! under a policy that allows nothing from elsewhere; `/` and `/ui` lead to it; every file the
//! console loads (its page's links, its modules' imports) is one of the embedded files, so it
//! works offline; and `GET /whoami` tells the console who the token belongs to.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use gluster_tasks::auth::{hash_token, Role, TokenSettings};
use gluster_tasks::console::{self, ASSETS, CONTENT_SECURITY_POLICY};
use serde_json::{json, Value};

#[macro_use]
mod common;

fn token(name: &str, role: Role, secret: &str) -> TokenSettings {
    TokenSettings {
        name: name.into(),
        role,
        sha256: hash_token(secret),
    }
}

#[actix_web::test]
async fn the_console_is_served_from_the_binary_without_a_token() {
    let env = common::env_custom(30.0, |s| {
        s.tokens = vec![token("ops", Role::Operator, "secret-operator-token")]
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;

    for (path, to) in [("/", "/ui/"), ("/ui", "/ui/")] {
        let resp = test::call_service(&app, TestRequest::get().uri(path).to_request()).await;
        assert!(resp.status().is_redirection(), "{path}: {}", resp.status());
        assert_eq!(resp.headers().get("location").unwrap(), to, "{path}");
    }
    for a in ASSETS {
        let uri = format!("/ui/{}", a.name);
        let resp = test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(resp.status().as_u16(), 200, "{uri}");
        let h = resp.headers();
        assert_eq!(h.get("content-type").unwrap(), a.content_type, "{uri}");
        assert_eq!(
            h.get("content-security-policy").unwrap(),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        let etag = h.get("etag").unwrap().to_str().unwrap().to_owned();
        let body = test::read_body(resp).await;
        assert_eq!(&body[..], a.body, "{uri}");
        // Revalidation costs a 304 without a body.
        let again = TestRequest::get()
            .uri(&uri)
            .insert_header(("If-None-Match", etag.as_str()));
        let resp = test::call_service(&app, again.to_request()).await;
        assert_eq!(resp.status().as_u16(), 304, "{uri}");
        assert!(test::read_body(resp).await.is_empty());
    }
    // HEAD answers like GET (the connection sends no body); what is not a console file is a
    // 404; writes are not routes.
    let head = TestRequest::default()
        .method(actix_web::http::Method::HEAD)
        .uri("/ui/app.js");
    let resp = test::call_service(&app, head.to_request()).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        console::asset("app.js").unwrap().content_type
    );
    for uri in [
        "/ui/nope.js",
        "/ui/../Cargo.toml",
        "/ui/%2e%2e/src/console.rs",
    ] {
        let resp = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(resp.status().as_u16(), 404, "{uri}");
    }
    let resp = test::call_service(&app, TestRequest::post().uri("/ui/").to_request()).await;
    assert_eq!(resp.status().as_u16(), 404);
    // The files are open; the data is not.
    let (status, _) = call!(app, TestRequest::get().uri("/api/v1/volumes"));
    assert_eq!(status, 401);
}

/// The names a console file refers to: `src="/ui/…"`, `href="/ui/…"`, `from './….js'`.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [("\"/ui/", '"'), ("from './", '\'')] {
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len()..];
            let end = after.find(close).unwrap();
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_file_the_console_loads_is_embedded_and_nothing_comes_from_elsewhere() {
    let mut checked = 0;
    for a in ASSETS {
        let text = std::str::from_utf8(a.body).unwrap();
        for name in references(text) {
            assert!(
                console::asset(&name).is_some(),
                "{} refers to {name}, which is not embedded",
                if a.name.is_empty() {
                    "index.html"
                } else {
                    a.name
                }
            );
            checked += 1;
        }
        // No CDN, no external font or script: the only absolute URLs are the SVG namespace.
        for scheme in ["http://", "https://", "//cdn"] {
            let outside = text
                .match_indices(scheme)
                .any(|(i, _)| !text[i..].starts_with("http://www.w3.org/2000/svg"));
            assert!(
                !outside,
                "{} loads something from elsewhere ({scheme})",
                a.name
            );
        }
        // No inline script or style: the policy would block it.
        if a.name.is_empty() {
            assert!(!text.contains("<script>") && !text.contains("style="));
        }
    }
    assert!(checked > 20, "only {checked} references found");
    // And every embedded module is reachable from the page.
    for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
        let used = ASSETS
            .iter()
            .any(|b| references(std::str::from_utf8(b.body).unwrap()).contains(&a.name.to_owned()));
        assert!(used, "{} is embedded but nothing loads it", a.name);
    }
}

#[actix_web::test]
async fn whoami_names_the_token_and_its_role() {
    let env = common::env_custom(30.0, |s| {
        s.tokens = vec![
            token("ops", Role::Operator, "secret-operator-token"),
            token("wall", Role::Viewer, "secret-viewer-token"),
        ]
    });
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    for (secret, want) in [
        (
            "secret-operator-token",
            json!({"name": "ops", "role": "operator"}),
        ),
        (
            "secret-viewer-token",
            json!({"name": "wall", "role": "viewer"}),
        ),
    ] {
        let req = TestRequest::get()
            .uri("/api/v1/whoami")
            .insert_header(("Authorization", format!("Bearer {secret}")));
        let (status, body) = call!(app, req);
        assert_eq!((status, body), (200, want));
    }
    let (status, body) = call!(app, TestRequest::get().uri("/api/v1/whoami"));
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthorized");

    // Without tokens (loopback only) everyone is an operator, and nobody in particular.
    let open = common::env(30.0);
    let app = test::init_service(app::build(Some(open.state.clone())).0).await;
    let (status, body): (u16, Value) = call!(app, TestRequest::get().uri("/api/v1/whoami"));
    assert_eq!(
        (status, body),
        (200, json!({"name": null, "role": "operator"}))
    );
}
