//! The bare handler: what actix-web alone costs for a JSON answer the size of a job.

use serde_json::{json, Value};

/// A job-shaped document (two steps, two nodes, the fields `GET /jobs/{id}` answers), so the
/// bare handler serialises about as many bytes as the service does.
pub fn job_like() -> Value {
    let node = |name: &str| {
        json!({
            "peer_id": "6b1f5a44-9d1c-4e57-8c2a-2f1e3b9a7c10", "name": name,
            "files": 12345, "size_bytes": 809_041_920_i64, "scanned": 24690, "failures": 0,
            "skipped": 0, "status": "completed", "runtime_secs": 598.5,
            "updated_at": "2026-11-30T10:10:00Z"
        })
    };
    let step = |kind: &str, description: &str| {
        json!({
            "id": "0d8c5e2e-0a5c-4a43-9f0e-7f6f3c1d2b10", "parent_id": null, "position": 0,
            "kind": kind, "status": "succeeded", "description": description,
            "started_at": "2026-11-30T10:00:02Z", "ended_at": "2026-11-30T10:10:00Z"
        })
    };
    json!({
        "id": "3f2a7d1e-5b6c-4d8e-9f0a-1b2c3d4e5f60", "kind": "rebalance", "status": "succeeded",
        "origin": "api", "volume_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "volume_name": "bench0001", "cluster_id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
        "cluster_name": "bench", "gluster_task_id": "77a1c2d3-e4f5-4678-9abc-def012345678",
        "params": {"fix_layout": false, "force": false}, "task_status": "completed",
        "reason": null, "created_at": "2026-11-30T10:00:00Z",
        "started_at": "2026-11-30T10:00:02Z", "ended_at": "2026-11-30T10:10:00Z",
        "updated_at": "2026-11-30T10:10:00Z", "polled_at": "2026-11-30T10:10:00Z",
        "stale_since": null, "request_id": "bench-0", "initiator": "bench", "needs_stop": false,
        "href": "/api/v1/jobs/3f2a7d1e-5b6c-4d8e-9f0a-1b2c3d4e5f60",
        "steps": [
            step("executing", "Executing rebalance on volume bench0001"),
            step("rebalancing_volume", "Rebalancing volume bench0001"),
        ],
        "nodes": [node("server1"), node("server2")],
        "aggregate": {"files": 24690, "size_bytes": 1_618_083_840_i64, "scanned": 49380,
                      "failures": 0, "skipped": 0, "runtime_secs": 598.5}
    })
}
