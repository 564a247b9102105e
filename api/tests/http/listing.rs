//! Read-only listings: the inventory with its pages, job pages with filters, health and the
//! spec.

use crate::helpers::*;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::json;

#[actix_web::test]
async fn inventory_lists_clusters_volumes_and_bricks() {
    let env = env();
    let app = app!(env);
    let (s, c, _, _) = call!(app, TestRequest::get().uri("/api/v1/clusters"));
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["items"][0]["name"], "demo");
    assert_eq!(c["items"][0]["peers"].as_array().unwrap().len(), 3);
    assert_eq!(c["items"][0]["reachable"], true);
    let (_, v, _, _) = call!(app, TestRequest::get().uri("/api/v1/volumes"));
    let by_name = |n: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            by_name("dist")["type"].clone(),
            by_name("dist")["brick_count"].clone()
        ),
        (json!("distribute"), json!(4))
    );
    let dr = by_name("distrep");
    assert_eq!(
        (
            dr["type"].clone(),
            dr["replica_count"].clone(),
            dr["distribute_count"].clone()
        ),
        (json!("distributed_replicate"), json!(3), json!(2))
    );
    assert_eq!(by_name("archive")["status"], "stopped");
    let id = dr["id"].as_str().unwrap();
    let (s, b, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/volumes/{id}/bricks"))
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["items"].as_array().unwrap().len(), 6);
    assert_eq!(b["items"][0]["host"], "server1");
    let cluster = c["items"][0]["id"].as_str().unwrap();
    let (_, f, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/volumes?cluster_id={cluster}"))
    );
    assert_eq!(f["items"].as_array().unwrap().len(), 4);
    let (_, f, _, _) = call!(
        app,
        TestRequest::get().uri(&format!(
            "/api/v1/volumes?cluster_id={}",
            uuid::Uuid::new_v4()
        ))
    );
    assert_eq!(f["items"].as_array().unwrap().len(), 0);
    // Pages of one volume, by name, follow next_cursor to the end.
    let (mut names, mut next) = (Vec::new(), Some(String::new()));
    while let Some(cursor) = next {
        let uri = if cursor.is_empty() {
            "/api/v1/volumes?limit=1".to_owned()
        } else {
            format!("/api/v1/volumes?limit=1&cursor={cursor}")
        };
        let (s, page, _, _) = call!(app, TestRequest::get().uri(&uri));
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        names.push(page["items"][0]["name"].as_str().unwrap().to_owned());
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(names, ["archive", "dist", "distrep", "single"]);
    let (s, p, ct, _) = call!(app, TestRequest::get().uri("/api/v1/volumes?limit=501"));
    assert_problem(
        s,
        &ct,
        &p,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );
    let (s, p, ct, _) = call!(
        app,
        TestRequest::get().uri("/api/v1/volumes?cursor=garbage")
    );
    assert_problem(s, &ct, &p, StatusCode::BAD_REQUEST, "bad_request");
}

#[actix_web::test]
async fn jobs_list_in_pages_with_filters() {
    let env = env();
    let app = app!(env);
    for name in ["dist", "distrep"] {
        let vol = volume_id!(app, name);
        let (s, _, _, _) = call!(
            app,
            TestRequest::post()
                .uri(&format!("/api/v1/volumes/{vol}/rebalance"))
                .set_json(json!({"fix_layout": name == "dist"}))
        );
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let (_, p1, _, _) = call!(app, TestRequest::get().uri("/api/v1/jobs?limit=1"));
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    assert_eq!(p1["items"][0]["volume_name"], "distrep", "newest first");
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs?limit=1&cursor={cursor}"))
    );
    assert_eq!(p2["items"][0]["volume_name"], "dist");
    assert_eq!(p2["items"][0]["params"]["fix_layout"], true);
    assert!(p2["next_cursor"].is_null());
    let dist = volume_id!(app, "dist");
    let (_, f, _, _) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs?volume_id={dist}&kind=rebalance"))
    );
    assert_eq!(f["items"].as_array().unwrap().len(), 1);
    let (_, f, _, _) = call!(
        app,
        TestRequest::get().uri("/api/v1/jobs?kind=remove_brick")
    );
    assert_eq!(f["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn health_and_the_spec_are_served() {
    let env = env();
    let app = app!(env);
    let (s, h, _, _) = call!(app, TestRequest::get().uri("/healthz"));
    assert_eq!((s, h["status"].clone()), (StatusCode::OK, json!("ok")));
    let (s, spec, _, _) = call!(app, TestRequest::get().uri("/api/v1/openapi.json"));
    assert_eq!(s, StatusCode::OK);
    assert!(spec["paths"]["/api/v1/volumes/{volume_id}/rebalance"]["post"].is_object());
    let resp = test::call_service(&app, TestRequest::get().uri("/docs/").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(
        page.contains("swagger"),
        "the docs page is served from the binary"
    );
}
