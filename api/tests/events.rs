//! Server-sent events of job changes on the real app and scheduler over the simulator.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use actix_web::body::MessageBody;
use actix_web::test::{self, TestRequest};
use gluster_tasks::app;
use serde_json::Value;
use std::pin::Pin;
use std::time::Duration;

#[macro_use]
mod common;

use common::env;

/// One `event:` frame: its name, id and JSON data.
#[derive(Debug)]
struct Event {
    name: String,
    id: Option<i64>,
    data: Value,
}

/// Parses every complete frame in `text`; comment lines (keep-alives) are skipped.
fn frames(text: &str) -> Vec<Event> {
    text.split("\n\n")
        .filter(|f| f.lines().any(|l| l.starts_with("event:")))
        .map(|f| {
            let field = |name: &str| {
                f.lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            };
            Event {
                name: field("event:").unwrap(),
                id: field("id:").map(|v| v.parse().unwrap()),
                data: serde_json::from_str(&field("data:").unwrap()).unwrap(),
            }
        })
        .collect()
}

/// Reads a streaming body until `done` holds for the frames so far (30 s at most).
async fn read_until(
    body: &mut actix_web::body::BoxBody,
    done: impl Fn(&[Event]) -> bool,
) -> Vec<Event> {
    let mut text = String::new();
    let read = async {
        loop {
            let chunk =
                futures_util::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)).await;
            match chunk {
                Some(Ok(bytes)) => {
                    text.push_str(std::str::from_utf8(&bytes).unwrap());
                    if done(&frames(&text)) {
                        return;
                    }
                }
                Some(Err(e)) => panic!("stream error: {e}"),
                None => return,
            }
        }
    };
    actix_web::rt::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the events did not come within 30 s");
    frames(&text)
}

#[actix_web::test]
async fn a_job_feed_sends_each_change_and_ends_with_the_job() {
    // Long enough that the job still runs when the feed opens, even on a busy machine.
    let env = env(4.0);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let (s, job) = start_rebalance!(app, dist);
    assert_eq!(s, 202);
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/v1/jobs/{}/events",
                job["id"].as_str().unwrap()
            ))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut body = resp.into_body().boxed();
    // The stream ends by itself once the job has ended.
    let all = read_until(&mut body, |_| false).await;
    // Typed events: only `job` carries the id; `timeline` and `progress` come before it.
    assert!(
        all.iter().all(|e| (e.name == "job") == e.id.is_some()),
        "{all:?}"
    );
    assert_eq!(all.last().map(|e| e.name.as_str()), Some("job"));
    let of = |name: &str| all.iter().filter(|e| e.name == name).collect::<Vec<_>>();
    let progress = of("progress");
    assert!(
        progress.iter().all(|e| e.data["job_id"] == job["id"]),
        "{progress:?}"
    );
    let last = progress.last().expect("a progress event");
    assert_eq!(last.data["status"], "succeeded");
    assert_eq!(last.data["progress"]["percent"], 100.0);
    assert!(
        last.data["nodes"].as_array().is_some_and(|n| !n.is_empty()),
        "{last:?}"
    );
    let timeline = of("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e.data["kind"] == "state_changed" && e.data["to"] == "succeeded"),
        "{timeline:?}"
    );
    assert!(timeline.iter().all(|e| e.data["job_id"] == job["id"]));
    let events = of("job");
    assert!(events.len() >= 2, "{events:?}");
    assert!(events.iter().all(|e| e.data["id"] == job["id"]));
    assert_eq!(events[0].data["status"], "running");
    assert_eq!(events.last().unwrap().data["status"], "succeeded");
    let ids: Vec<i64> = events.iter().map(|e| e.id.unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "one event per change: {ids:?}"
    );

    let (s, p) = call!(
        app,
        TestRequest::get().uri(&format!("/api/v1/jobs/{}/events", uuid::Uuid::new_v4()))
    );
    assert_eq!((s, p["code"].as_str()), (404, Some("job_not_found")));
}

#[actix_web::test]
async fn the_global_feed_filters_and_resumes_after_the_last_event_id() {
    let env = env(1.5);
    let app = test::init_service(app::build(Some(env.state.clone())).0).await;
    let dist = volume!(app, "dist");
    let distrep = volume!(app, "distrep");
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/v1/events?volume_id={}",
                dist["id"].as_str().unwrap()
            ))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut feed = resp.into_body().boxed();
    let mut started = Vec::new();
    for v in [&distrep, &dist] {
        let (s, job) = start_rebalance!(app, v);
        assert_eq!(s, 202, "{job}");
        started.push(job);
    }
    let all = read_until(&mut feed, |evs| {
        evs.iter()
            .any(|e| e.name == "job" && e.data["status"] == "succeeded")
    })
    .await;
    assert!(
        all.iter().any(|e| e.name == "timeline"
            && e.data["job_id"] == started[1]["id"]
            && e.data["kind"] == "accepted"),
        "the global feed carries timeline entries: {all:?}"
    );
    assert!(
        all.iter()
            .filter(|e| e.name != "job")
            .all(|e| e.data["job_id"] == started[1]["id"]),
        "{all:?}"
    );
    let events: Vec<&Event> = all.iter().filter(|e| e.name == "job").collect();
    assert!(
        events.iter().all(|e| e.data["id"] == started[1]["id"]),
        "only the filtered volume's job: {events:?}"
    );

    // Reconnecting with the first event's id replays what came after it.
    let first = events[0].id.unwrap();
    let resp = test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/v1/events?volume_id={}",
                dist["id"].as_str().unwrap()
            ))
            .insert_header(("Last-Event-ID", first.to_string()))
            .to_request(),
    )
    .await;
    let mut again = resp.into_body().boxed();
    let replayed = read_until(&mut again, |evs| {
        evs.iter()
            .any(|e| e.name == "job" && e.data["status"] == "succeeded")
    })
    .await;
    assert!(
        replayed.iter().filter_map(|e| e.id).all(|id| id > first),
        "{replayed:?}"
    );

    let (s, p) = call!(
        app,
        TestRequest::get()
            .uri("/api/v1/events")
            .insert_header(("Last-Event-ID", "yesterday"))
    );
    assert_eq!((s, p["code"].as_str()), (400, Some("bad_request")), "{p}");
}
