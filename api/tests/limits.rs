//! No client holds the real service hostage: a body sent a byte a second is cut off at the body
//! deadline, event streams beyond the cap get 503 while the API keeps answering, and SIGTERM
//! with streams open ends the process promptly. A client that hangs up mid-request loses
//! nothing: its request completes and a retry with its Idempotency-Key gets the answer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;

use common::service::{parse_answer, Service, OPERATOR};

const BODY_TIMEOUT_SECS: u64 = 2;

/// Sends the head of a POST announcing 1000 body bytes (or a chunked body), then one byte a
/// second until the server closes the connection; returns the answer and how long after the
/// head it came.
fn dribble(
    svc: &Service,
    target: &str,
    token: Option<&str>,
    chunked: bool,
) -> (common::service::Answer, Duration) {
    let mut s = svc.connect();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let framing = if chunked {
        "Transfer-Encoding: chunked"
    } else {
        "Content-Length: 1000"
    };
    write!(
        s,
        "POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    .unwrap();
    let byte: &[u8] = if chunked { b"1\r\n \r\n" } else { b" " };
    let sent = Instant::now();
    s.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
        assert!(
            sent.elapsed() < Duration::from_secs(60),
            "the connection was still open after 60 s"
        );
        // Keep dribbling, as the attacker does; a closed connection refuses the byte.
        if s.write_all(byte).is_err() && !got.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1000));
    }
    (parse_answer(&got), sent.elapsed())
}

#[test]
fn a_body_that_does_not_arrive_is_cut_off_at_the_deadline() {
    let secs = BODY_TIMEOUT_SECS.to_string();
    let svc = Service::start(600.0, &[("GLUSTER_TASKS_HTTP_BODY_TIMEOUT_SECS", &secs)]);
    let vol = svc.volume("dist");
    let start = format!("/api/v1/volumes/{}/rebalance", vol["id"].as_str().unwrap());
    for (target, token, chunked) in [
        (start.as_str(), Some(OPERATOR), false),
        (start.as_str(), Some(OPERATOR), true),
        (start.as_str(), None, false),
        ("/nowhere", None, true),
    ] {
        // The dribbler reads until the server closes the connection: a connection left open
        // after the 408 fails the 60 s bound inside.
        let (a, took) = dribble(&svc, target, token, chunked);
        assert_eq!(
            a.status,
            408,
            "{target}: {:?}",
            String::from_utf8_lossy(&a.body)
        );
        assert_eq!(a.json()["code"], "request_timeout", "{target}");
        assert_eq!(
            a.header("connection"),
            Some("close"),
            "{target} chunked={chunked}"
        );
        // Cut off at the deadline, give or take the dribbler's one-second steps.
        assert!(
            took >= Duration::from_secs(BODY_TIMEOUT_SECS - 1)
                && took <= Duration::from_secs(BODY_TIMEOUT_SECS + 3),
            "{target}: answered after {took:?}"
        );
    }
    // Nothing was started by the half-sent request.
    let jobs = svc.get("/api/v1/jobs", Some(OPERATOR)).json();
    assert_eq!(jobs["items"].as_array().unwrap().len(), 0, "{jobs}");
}

/// Opens an event stream and reads its status line and headers.
fn open_stream(svc: &Service) -> (u16, Option<String>, BufReader<TcpStream>) {
    let mut s = svc.connect();
    write!(
        s,
        "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {OPERATOR}\r\n\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line[9..12].parse().unwrap();
    let mut retry_after = None;
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("retry-after:") {
            retry_after = Some(v.trim().to_owned());
        }
    }
    (status, retry_after, r)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn event_streams_are_capped_and_end_at_sigterm() {
    let mut svc = Service::start(600.0, &[]);
    let mut open = Vec::new();
    let mut refused = 0;
    for _ in 0..300 {
        let (status, retry_after, r) = open_stream(&svc);
        match status {
            200 => open.push(r),
            503 => {
                refused += 1;
                assert!(retry_after.is_some(), "a 503 without Retry-After");
            }
            other => panic!("an event stream answered {other}"),
        }
    }
    assert_eq!((open.len(), refused), (256, 44), "the default cap is 256");

    // The API still answers promptly with every slot taken.
    let took: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            let a = svc.get("/api/v1/clusters", Some(OPERATOR));
            assert_eq!(a.status, 200);
            t.elapsed()
        })
        .collect();
    let m = median(took.clone());
    assert!(m < Duration::from_millis(100), "median {m:?} of {took:?}");

    // A slot freed is a slot taken again.
    drop(open.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, r) = open_stream(&svc);
        if status == 200 {
            open.push(r);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a closed stream's slot was never freed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // SIGTERM: the streams end and the process exits within 5 s.
    let t = Instant::now();
    svc.terminate();
    let status = loop {
        if let Some(s) = svc.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM with streams open: {}",
            svc.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}: {}", svc.log());
    for mut r in open {
        let mut rest = Vec::new();
        r.get_mut()
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        assert!(r.read_to_end(&mut rest).is_ok(), "a stream was not closed");
    }
}

#[test]
fn a_client_that_hangs_up_gets_its_answer_on_retry() {
    let svc = Service::start(600.0, &[]);
    let vol = svc.volume("dist");
    let start = format!("/api/v1/volumes/{}/rebalance", vol["id"].as_str().unwrap());
    let request = format!(
        "POST {start} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {OPERATOR}\r\nIdempotency-Key: hang-up-1\r\nContent-Length: 0\r\n\r\n"
    );
    // glusterd's lock is busy for a few calls: the start takes a while (the driver backs off
    // and retries), long enough to hang up while it runs.
    for n in 1..=3 {
        svc.peer_knob(n, "busy_calls", 3);
    }
    {
        let mut s = svc.connect();
        s.write_all(request.as_bytes()).unwrap();
        // The request is in the handler once it asks gluster about the volume.
        let seen = Instant::now();
        while !svc.calls().iter().any(|c| c.ends_with("volume info dist")) {
            assert!(
                seen.elapsed() < Duration::from_secs(20),
                "the start never asked gluster"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut probe = [0u8; 1];
        s.set_nonblocking(true).unwrap();
        assert!(
            matches!(s.read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the answer came before the client could hang up"
        );
        // Dropped here: the connection closes before any answer.
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let replay = loop {
        let a = svc.raw(
            request
                .replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        if a.status == 202 {
            break a;
        }
        assert_eq!(a.status, 409, "{:?}", a.json());
        assert_eq!(a.json()["code"], "idempotency_in_progress");
        assert!(
            Instant::now() < deadline,
            "the key stayed claimed after its request ended"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let jobs = svc.get("/api/v1/jobs", Some(OPERATOR)).json();
    let items = jobs["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{jobs}");
    assert_eq!(items[0]["id"], replay.json()["id"]);
}
