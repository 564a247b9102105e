//! `openapi.yaml` at the top of the repository must be exactly what the routes produce.
//! Regenerate it with `cargo run -q -- openapi > openapi.yaml`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

#[test]
fn committed_openapi_yaml_matches_the_routes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = gluster_tasks::app::openapi_yaml().unwrap();
    assert!(
        committed == generated,
        "openapi.yaml is out of date: run `cargo run -q -- openapi > openapi.yaml`"
    );
}

#[test]
fn every_operation_documents_problem_json_errors_and_has_an_id() {
    let spec: serde_json::Value = serde_json::to_value(gluster_tasks::app::build(None).1).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 9);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            let errors: Vec<_> = responses
                .iter()
                .filter(|(code, _)| code.as_str() >= "400")
                .collect();
            // Liveness is the one operation that cannot fail: it touches nothing.
            if path != "/healthz" {
                assert!(!errors.is_empty(), "{method} {path} documents no error");
            }
            for (code, r) in errors {
                assert_eq!(
                    r["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {code}"
                );
            }
        }
    }
}
