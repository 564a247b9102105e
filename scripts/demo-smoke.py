#!/usr/bin/env python3
"""Drives the README's curl session against a running demo: start, watch, stop a rebalance.

Usage: TOKEN=... demo-smoke.py BASE_URL   (e.g. http://127.0.0.1:8080/api/v1)
TOKEN is the operator token the demo printed; without it the calls go without a token.
Standard library only; exits non-zero on the first unexpected answer.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if os.environ.get("TOKEN"):
        req.add_header("Authorization", "Bearer " + os.environ["TOKEN"])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")


def expect(cond, what):
    if not cond:
        sys.exit(f"demo smoke test failed: {what}")


def wait_inventory():
    for _ in range(100):
        _, _, vols = call("GET", "/volumes")
        if vols["items"]:
            return {v["name"]: v for v in vols["items"]}
        time.sleep(0.2)
    sys.exit("no volumes appeared")


def wait_job(job_id, status):
    for _ in range(200):
        _, _, job = call("GET", f"/jobs/{job_id}")
        if job["status"] == status:
            return job
        time.sleep(0.1)
    sys.exit(f"job {job_id} never became {status}: {job}")


vols = wait_inventory()
dist, distrep = vols["dist"]["id"], vols["distrep"]["id"]

status, headers, job = call("POST", f"/volumes/{dist}/rebalance", {"fix_layout": False, "force": False})
expect(status == 202, f"start answered {status} {job}")
expect(headers.get("Location") == f"/api/v1/jobs/{job['id']}", f"Location {headers}")
status, _, problem = call("POST", f"/volumes/{dist}/rebalance")
expect(status == 409 and problem["job_id"] == job["id"], f"second start {status} {problem}")
done = wait_job(job["id"], "succeeded")
nodes = done["steps"][0]["steps"][0]["progress"]["nodes"]
expect(len(nodes) == 3 and all(n["status"] == "completed" for n in nodes), f"nodes {nodes}")

status, _, job = call("POST", f"/volumes/{distrep}/rebalance")
expect(status == 202, f"start distrep {status}")
status, _, final = call("POST", f"/volumes/{distrep}/rebalance/stop")
expect(status == 200 and final["job_status"] == "stopped", f"stop {status} {final}")
status, _, problem = call("POST", f"/volumes/{vols['single']['id']}/rebalance")
expect(status == 422 and problem["code"] == "not_eligible", f"single {status} {problem}")
print("start, watch, 409, stop and 422 behave as the README says")
