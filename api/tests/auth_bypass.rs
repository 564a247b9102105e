//! No spelling of a path gets past the token check. Every operation of the OpenAPI document is
//! requested over raw TCP against the real service, without a token and (for the operations a
//! viewer may not call) with a viewer's token, under every spelling of its path that a client,
//! proxy or attacker might send. None may answer 2xx, and gluster must run no command that
//! changes a volume (the simulator logs every call).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use gluster_tasks::auth::{required_role, Role};
use serde_json::{json, Value};

mod common;

use common::service::{is_write, Service, OPERATOR, VIEWER};

/// Percent-encodes every byte of `s` (upper-case hex when `upper`).
fn encode_all(s: &str, upper: bool) -> String {
    s.bytes()
        .map(|b| {
            if upper {
                format!("%{b:02X}")
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

/// The spellings of `/api/v1` + `rest` (`rest` starts with `/`).
fn spellings(rest: &str) -> Vec<String> {
    let tail = rest.trim_start_matches('/');
    let first = tail.split('/').next().unwrap();
    let after_first = &tail[first.len()..];
    // One letter of the first segment encoded, in both cases of hex.
    let (head, last) = first.split_at(first.len() - 1);
    let letter_lower = format!("{head}{}{after_first}", encode_all(last, false));
    let letter_upper = format!("{head}{}{after_first}", encode_all(last, true));
    vec![
        format!("/api/v1/{tail}"),
        format!("/%61pi/v1/{tail}"),
        format!("/%41pi/v1/{tail}"),
        format!("/ap%69/v1/{tail}"),
        format!("/ap%49/v1/{tail}"),
        format!("/api/%761/{tail}"),
        format!("/api/%561/{tail}"),
        format!("/api/v%31/{tail}"),
        format!("/api/v1/{letter_lower}"),
        format!("/api/v1/{letter_upper}"),
        format!(
            "/{}/{}/{tail}",
            encode_all("api", false),
            encode_all("v1", true)
        ),
        format!("/api%2Fv1/{tail}"),
        format!("/api%2fv1/{tail}"),
        format!("/api/v1%2F{tail}"),
        format!("/api/v1/{}", tail.replace('/', "%2F")),
        format!("/%2Fapi/v1/{tail}"),
        format!("//api/v1/{tail}"),
        format!("/api//v1/{tail}"),
        format!("/api/v1//{tail}"),
        format!("/./api/v1/{tail}"),
        format!("/api/./v1/{tail}"),
        format!("/api/v1/./{tail}"),
        format!("/x/../api/v1/{tail}"),
        format!("/api/x/../v1/{tail}"),
        format!("/api/v1/x/../{tail}"),
        format!("/api/v1/%2e/{tail}"),
        format!("/api/v1/x/%2e%2e/{tail}"),
        format!("/api/v1/{tail}/"),
        format!("/api/v1/{tail}?"),
        format!("/api/v1/{tail}?a=1"),
        format!("/api/v1/{tail};x"),
        format!("/api/v1/{tail}%20"),
        format!("/api/v1/{tail}%00"),
        format!("/API/V1/{tail}"),
        format!("http://127.0.0.1/api/v1/{tail}"),
        format!("http://127.0.0.1/%61pi/v1/{tail}"),
    ]
}

/// The body each operation would run gluster with, were it allowed.
fn body_for(path: &str, brick: &str) -> String {
    if path.ends_with("/bricks/remove") {
        json!({"bricks": [brick], "migrate_data": false, "accept_data_loss": true}).to_string()
    } else {
        "{}".to_owned()
    }
}

#[test]
fn no_spelling_of_any_route_passes_without_a_valid_token_or_role() {
    let svc = Service::start(600.0, &[]);
    // A running job to stop and cancel, on a volume of its own.
    let busy = svc.volume("distrep");
    let started = svc.request(
        "POST",
        &format!("/api/v1/volumes/{}/rebalance", busy["id"].as_str().unwrap()),
        Some(OPERATOR),
        "{}",
    );
    assert_eq!(started.status, 202, "{:?}", started.json());
    let job_id = started.json()["id"].as_str().unwrap().to_owned();
    let target = svc.volume("dist");
    let volume_id = target["id"].as_str().unwrap().to_owned();
    let bricks = svc.get(
        &format!("/api/v1/volumes/{volume_id}/bricks"),
        Some(OPERATOR),
    );
    let brick = bricks.json()["items"][3]["name"]
        .as_str()
        .unwrap()
        .to_owned();

    let spec: Value = serde_json::to_value(gluster_tasks::app::spec()).unwrap();
    let writes_before = svc.calls().iter().filter(|c| is_write(c)).count();
    let mut tried = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(rest) = path.strip_prefix("/api/v1") else {
            assert!(
                item.as_object()
                    .unwrap()
                    .values()
                    .all(|op| op.get("security").is_none()),
                "{path} is outside /api/v1 but declares a security requirement"
            );
            continue;
        };
        let rest = rest
            .replace("{volume_id}", &volume_id)
            .replace("{job_id}", &job_id);
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op.get("security").is_some(),
                "{method} {path} is not protected"
            );
            let method = method.to_ascii_uppercase();
            let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
            let mut callers = vec![
                (None, "no token"),
                (Some("wrong-token"), "an unknown token"),
            ];
            if required_role(&m) == Role::Operator {
                callers.push((Some(VIEWER), "a viewer's token"));
            }
            let body = if method == "POST" {
                body_for(path, &brick)
            } else {
                String::new()
            };
            for target in spellings(&rest) {
                for (token, who) in &callers {
                    let a = svc.request(&method, &target, *token, &body);
                    tried += 1;
                    assert!(
                        [401, 403, 404].contains(&a.status),
                        "{method} {target} with {who} answered {}: {}",
                        a.status,
                        String::from_utf8_lossy(&a.body)
                    );
                    assert!(
                        a.header("content-type")
                            .is_some_and(|c| c.starts_with("application/problem+json")),
                        "{method} {target} with {who}: {:?}",
                        a.headers
                    );
                }
            }
        }
    }
    assert!(tried > 1000, "only {tried} requests");
    let writes: Vec<String> = svc.calls().into_iter().filter(|c| is_write(c)).collect();
    assert_eq!(
        writes.len(),
        writes_before,
        "gluster ran commands without a valid token: {:?}",
        &writes[writes_before..]
    );
    // The job nobody was allowed to touch is still running, with its initiator.
    let job = svc
        .get(&format!("/api/v1/jobs/{job_id}"), Some(VIEWER))
        .json();
    assert_eq!(job["initiator"], "ops", "{job}");
    assert!(
        ["pending", "running"].contains(&job["status"].as_str().unwrap()),
        "{job}"
    );
    // And the plain spelling with the right token does reach the handler.
    let a = svc.request(
        "POST",
        &format!("/%61pi/v1/jobs/{job_id}/cancel"),
        Some(OPERATOR),
        "",
    );
    assert_eq!(a.status, 200, "{:?}", a.json());
}
