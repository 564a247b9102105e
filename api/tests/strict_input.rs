//! Loose input is refused with the right status and code, as problem+json: a JSON body that is
//! not an object (422), a body that is not `application/json` (415), a `Last-Event-ID` no feed
//! can have sent (400), a method a resource does not have (405 with `Allow`), an unknown docs
//! page (404 `not_found`); `HEAD` works on every `GET` resource, over the wire.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::Value;

#[macro_use]
mod common;

use common::env;
use common::service::{Service, OPERATOR};

#[actix_web::test]
async fn bodies_must_be_json_objects_sent_as_json() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let start = format!("/api/v1/volumes/{}/rebalance", dist["id"].as_str().unwrap());
    let remove = format!(
        "/api/v1/volumes/{}/bricks/remove",
        dist["id"].as_str().unwrap()
    );
    for (uri, content_type, body, status, code) in [
        (
            &start,
            Some("application/json"),
            "[true,true]",
            422,
            "invalid_request",
        ),
        (
            &start,
            Some("application/json"),
            "true",
            422,
            "invalid_request",
        ),
        (
            &start,
            Some("application/json"),
            "\"x\"",
            422,
            "invalid_request",
        ),
        (
            &remove,
            Some("application/json"),
            "[[\"b\"],false,true]",
            422,
            "invalid_request",
        ),
        (
            &start,
            Some("text/plain"),
            "{}",
            415,
            "unsupported_media_type",
        ),
        (
            &start,
            None,
            "{\"force\":true}",
            415,
            "unsupported_media_type",
        ),
        (
            &remove,
            Some("application/x-www-form-urlencoded"),
            "bricks=x",
            415,
            "unsupported_media_type",
        ),
        (&start, Some("application/json"), "{", 400, "bad_request"),
    ] {
        let mut req = TestRequest::post().uri(uri).set_payload(body);
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        let resp = test::call_service(&app, req.to_request()).await;
        assert_eq!(resp.status().as_u16(), status, "{body} as {content_type:?}");
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        let p: Value = test::read_body_json(resp).await;
        assert_eq!(p["code"], code, "{body} as {content_type:?}: {p}");
    }
    // None of them started anything; a proper body does.
    let (_, jobs) = call!(app, TestRequest::get().uri("/api/v1/jobs"));
    assert!(jobs["items"].as_array().unwrap().is_empty(), "{jobs}");
    let (s, job) = call!(
        app,
        TestRequest::post()
            .uri(&start)
            .insert_header(("Content-Type", "application/json; charset=utf-8"))
            .set_payload("{\"fix_layout\":true}")
    );
    assert_eq!(s, 202, "{job}");
    assert_eq!(job["params"]["fix_layout"], true, "{job}");
}

#[actix_web::test]
async fn a_last_event_id_no_feed_can_have_sent_is_refused() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    for id in ["253402300800000000", "-5", "abc", "99999999999999999999"] {
        let (s, p) = call!(
            app,
            TestRequest::get()
                .uri("/api/v1/events")
                .insert_header(("Last-Event-ID", id))
        );
        assert_eq!(
            (s, p["code"].as_str()),
            (400, Some("bad_request")),
            "{id}: {p}"
        );
    }
}

#[actix_web::test]
async fn methods_a_resource_lacks_are_405_with_allow() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let job = "00000000-0000-0000-0000-000000000001";
    for (method, uri, allow) in [
        ("TRACE", "/healthz".to_owned(), "GET, HEAD"),
        ("POST", "/healthz".to_owned(), "GET, HEAD"),
        ("PUT", "/api/v1/volumes".to_owned(), "GET, HEAD"),
        ("DELETE", format!("/api/v1/jobs/{job}"), "GET, HEAD"),
        ("GET", format!("/api/v1/jobs/{job}/cancel"), "POST"),
        ("OPTIONS", "/api/v1/jobs".to_owned(), "GET, HEAD"),
        ("PATCH", "/api/v1/clusters".to_owned(), "GET, HEAD"),
        ("POST", "/api/v1/openapi.json".to_owned(), "GET, HEAD"),
    ] {
        let req = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&uri);
        let resp = test::call_service(&app, req.to_request()).await;
        assert_eq!(resp.status().as_u16(), 405, "{method} {uri}");
        assert_eq!(
            resp.headers().get("allow").unwrap(),
            allow,
            "{method} {uri}"
        );
        let p: Value = test::read_body_json(resp).await;
        assert_eq!(p["code"], "method_not_allowed", "{method} {uri}: {p}");
        assert_eq!(p["instance"], uri.as_str());
    }
    // A path that is no route's stays a 404.
    let (s, p) = call!(app, TestRequest::delete().uri("/api/v1/nowhere"));
    assert_eq!((s, p["code"].as_str()), (404, Some("not_found")), "{p}");
}

#[actix_web::test]
async fn unknown_docs_pages_are_404_not_found() {
    let env = env(30.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let (s, p) = call!(app, TestRequest::get().uri("/docs/no-such-page.js"));
    assert_eq!((s, p["code"].as_str()), (404, Some("not_found")), "{p}");
    assert_eq!(p["instance"], "/docs/no-such-page.js");
}

#[test]
fn head_answers_every_get_resource_without_a_body() {
    let svc = Service::start(600.0, &[]);
    let vol = svc.volume("dist");
    let volume_id = vol["id"].as_str().unwrap();
    let job = svc
        .request(
            "POST",
            &format!("/api/v1/volumes/{volume_id}/rebalance"),
            Some(OPERATOR),
            "{}",
        )
        .json();
    let job_id = job["id"].as_str().unwrap();
    let spec: Value = serde_json::to_value(gluster_tasks::app::spec()).unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let target = path
            .replace("{volume_id}", volume_id)
            .replace("{job_id}", job_id);
        let head = svc.request("HEAD", &target, Some(OPERATOR), "");
        assert!(head.body.is_empty(), "HEAD {target} sent a body");
        let streams = target.ends_with("events");
        if !streams {
            // The job runs: its representation (and so its length) may change between the two
            // requests, its status and type do not.
            let get = svc.get(&target, Some(OPERATOR));
            assert_eq!(head.status, get.status, "HEAD {target}");
            let length = head.header("content-length").map(|l| l.parse::<usize>());
            assert!(
                matches!(length, Some(Ok(n)) if n > 0),
                "HEAD {target} announces no body length: {:?}",
                head.headers
            );
            assert_eq!(head.header("content-type"), get.header("content-type"));
        } else {
            assert_eq!(head.status, 200, "HEAD {target}");
            assert_eq!(head.header("content-type"), Some("text/event-stream"));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} GET resources");
    // HEAD is a read: no token is still a 401.
    let a = svc.request("HEAD", "/api/v1/volumes", None, "");
    assert_eq!(a.status, 401);
}

#[test]
fn requests_the_http_parser_refuses_close_the_connection() {
    // These never reach the application (actix-http answers them itself, with no body): a
    // request line that is not HTTP, a header line without a colon, a Content-Length that is
    // not a number. They are answered 400 and the connection is closed.
    let svc = Service::start(600.0, &[]);
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    ] {
        let a = svc.raw(raw);
        assert_eq!(a.status, 400, "{:?}", String::from_utf8_lossy(raw));
        assert_eq!(a.header("connection"), Some("close"));
    }
}
