//! The change feed seen through HTTP: `GET /jobs/{id}` answers from its cache without reading
//! the store and forgets a job as soon as a local write changes or deletes it, and an event
//! stream on replica A sees every change written through replica B (another Store on the same
//! PostgreSQL database) exactly once, in order. No scheduler runs: the only store traffic is the
//! test's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use actix_web::body::MessageBody;
use actix_web::test::{self, TestRequest};
use chrono::{TimeZone, Utc};
use common::pg::PgDb;
use domain::{Job, JobOrigin, JobStatus, TaskKind, TaskParams, Volume, VolumeLayout};
use domain::{VolumeStatus, VolumeType};
use gluster_tasks::config::Settings;
use gluster_tasks::{app, server};
use persistence::repo::{clusters, jobs, volumes};
use persistence::Store;
use std::pin::Pin;
use std::time::Duration;
use uuid::Uuid;

const CLUSTER: Uuid = Uuid::from_u128(7);
const VOLUME: Uuid = Uuid::from_u128(8);

/// A cluster and a volume to hang jobs on.
fn setup(store: &Store) {
    let vol = Volume {
        id: VOLUME,
        cluster_id: CLUSTER,
        name: "v".into(),
        vol_type: VolumeType::Distribute,
        status: VolumeStatus::Started,
        layout: VolumeLayout::default(),
        bricks: Vec::new(),
        refreshed_at: Utc::now(),
    };
    store
        .write(|c| {
            clusters::ensure(c, CLUSTER, "c", Utc::now())?;
            volumes::replace_inventory(c, CLUSTER, &[vol])
        })
        .unwrap();
}

/// A job that has ended (so any number of them fit on the volume).
fn ended_job() -> Job {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut job = Job::new_pending(
        TaskKind::Rebalance,
        JobOrigin::Api,
        VOLUME,
        "v",
        CLUSTER,
        TaskParams::default(),
        at,
    );
    job.transition(JobStatus::Succeeded, at).unwrap();
    job
}

fn settings(database_url: String) -> Settings {
    Settings {
        database_url,
        ..Settings::default()
    }
}

#[actix_web::test]
async fn the_cache_answers_without_the_store_and_forgets_a_job_its_replica_changed() {
    let dir = tempfile::tempdir().unwrap();
    let state = server::state(&settings(format!(
        "sqlite:{}",
        dir.path().join("t.db").display()
    )))
    .unwrap();
    let store = state.store.clone();
    setup(&store);
    let mut job = ended_job();
    store
        .write(|c| jobs::insert(c, &job, &job.initial_steps()))
        .unwrap();
    let app = test::init_service(app::build(Some(state)).0).await;
    let uri = format!("/api/v1/jobs/{}", job.id);
    let get = |tag: Option<&str>| {
        let mut r = TestRequest::get().uri(&uri);
        if let Some(t) = tag {
            r = r.insert_header(("If-None-Match", t.to_owned()));
        }
        r.to_request()
    };
    let resp = test::call_service(&app, get(None)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let tag = resp
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body = test::read_body(resp).await;

    let before = store.connection_uses();
    let resp = test::call_service(&app, get(Some(&tag))).await;
    assert_eq!(resp.status().as_u16(), 304);
    let resp = test::call_service(&app, get(None)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(test::read_body(resp).await, body);
    assert_eq!(
        store.connection_uses(),
        before,
        "a cached job is answered without the store"
    );

    // A write of this replica: the very next request sees it, with no wait.
    job.reason = Some("changed by the test".into());
    store.write(|c| jobs::update(c, &job)).unwrap();
    let resp = test::call_service(&app, get(Some(&tag))).await;
    assert_eq!(
        resp.status().as_u16(),
        200,
        "the old ETag is no longer current"
    );
    let json: serde_json::Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
    assert_eq!(json["reason"], "changed by the test");
    assert!(store.connection_uses() > before);

    // A deleted job is not answered from the cache.
    store.write(|c| jobs::delete(c, job.id)).unwrap();
    let resp = test::call_service(&app, get(None)).await;
    assert_eq!(resp.status().as_u16(), 404);
}

/// The `(job id, event id)` of every complete `event: job` frame in `text`.
fn job_events(text: &str) -> Vec<(String, i64)> {
    text.split("\n\n")
        .filter(|f| f.lines().any(|l| l == "event: job"))
        .map(|f| {
            let id = f
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .unwrap()
                .parse()
                .unwrap();
            let data = f.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            let job: serde_json::Value = serde_json::from_str(data).unwrap();
            (job["id"].as_str().unwrap().to_owned(), id)
        })
        .collect()
}

/// Reads the stream until it holds `n` job events (60 s at most: a guard, not a speed target).
async fn read_events(body: &mut actix_web::body::BoxBody, text: &mut String, n: usize) {
    let read = async {
        while job_events(text).len() < n {
            match futures_util::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)).await {
                Some(Ok(bytes)) => text.push_str(std::str::from_utf8(&bytes).unwrap()),
                other => panic!("the stream ended: {:?}", other.map(|r| r.is_ok())),
            }
        }
    };
    actix_web::rt::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the events did not come");
}

#[actix_web::test]
async fn a_stream_on_one_replica_sees_every_change_of_another_once_in_order() {
    let Some(db) = PgDb::new("gt_feed_") else {
        return;
    };
    let state = server::state(&settings(db.url.clone())).unwrap();
    let replica_b = Store::open(&db.url, 4).unwrap();
    setup(&replica_b);
    let app = test::init_service(app::build(Some(state)).0).await;
    let resp =
        test::call_service(&app, TestRequest::get().uri("/api/v1/events").to_request()).await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.into_body().boxed();
    let mut text = String::new();

    // A burst of new jobs, then (once they were all seen) a burst changing each once more.
    let mut made: Vec<Job> = (0..20).map(|_| ended_job()).collect();
    let mut expected = Vec::new();
    let b = replica_b.clone();
    let inserted = actix_web::rt::task::spawn_blocking(move || {
        made.iter()
            .map(|j| {
                let seq = b.write(|c| jobs::insert(c, j, &j.initial_steps())).unwrap();
                (j.id.to_string(), seq)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .zip(std::mem::take(&mut made))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    expected.extend(inserted.iter().map(|(e, _)| e.clone()));
    read_events(&mut body, &mut text, expected.len()).await;

    let b = replica_b.clone();
    let updated = actix_web::rt::task::spawn_blocking(move || {
        inserted
            .into_iter()
            .map(|(_, mut j)| {
                j.reason = Some("second change".into());
                b.write(|c| {
                    jobs::update(c, &j)?;
                    Ok(jobs::get(c, j.id)?.unwrap().change_seq)
                })
                .map(|seq| (j.id.to_string(), seq))
                .unwrap()
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    expected.extend(updated);
    read_events(&mut body, &mut text, expected.len()).await;
    assert_eq!(
        job_events(&text),
        expected,
        "every change of replica B once, in order"
    );
}
