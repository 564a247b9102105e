#!/usr/bin/env python3
"""End-to-end flows against a real GlusterFS pool, through the REST API only.

Run by scripts/e2e-real (which brings scripts/testbed up and down). Standard library only.
Every check compares what the service says with what gluster itself says on a node.
Closes with a line 'N passed, M failed' and exits non-zero on any failure.

Only some flows: `scripts/e2e-real --flows failed_removal_is_stopped_via_rest,...` (or
E2E_FLOWS=...); they run alone, in suite order, on the fresh testbed. The service binary is
$E2E_BIN, else target/release/gluster-tasks under $CARGO_TARGET_DIR (default ./target).
"""
import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTBED = os.path.join(ROOT, "scripts", "testbed")
STATE = os.environ.get("TESTBED_DIR", "/var/lib/gluster-tasks-testbed")
FIXTURES = os.path.join(ROOT, "crates", "gluster", "tests", "fixtures", "gluster-10.3")
PORT = int(os.environ.get("E2E_PORT", "18190"))
ROOT_URL = f"http://127.0.0.1:{PORT}"
BASE = ROOT_URL + "/api/v1"
MOUNT = "/mnt/gt-e2e-dist"
MOUNT_DR = "/mnt/gt-e2e-distrep"
# The service binary: E2E_BIN, else the release build under CARGO_TARGET_DIR (cargo's own
# variable, so `CARGO_TARGET_DIR=/tmp/x scripts/e2e-real` builds and runs from the same place).
BIN = os.environ.get("E2E_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "gluster-tasks")
FILES = int(os.environ.get("E2E_FILES", "2000"))
FILES_DR = int(os.environ.get("E2E_FILES_DISTREP", "600"))

ARGS = None
CAPTURED = set()


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def tb(*args, check_rc=True, timeout=300):
    p = subprocess.run([TESTBED, *args], capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise Failure(f"testbed {' '.join(args)} failed ({p.returncode}): {p.stdout}{p.stderr}")
    return p


def gluster_xml(node, *args, capture=None):
    """Runs gluster --xml on a node; returns the parsed root (refusals included). Retries while
    glusterd's cluster lock is held by another command (the service polls concurrently)."""
    for _ in range(20):
        p = tb("gluster", node, "--xml", *args, check_rc=False)
        if "Another transaction is in progress" not in p.stdout:
            break
        time.sleep(0.5)
    if capture and ARGS.capture and capture not in CAPTURED:
        CAPTURED.add(capture)
        save_fixture(capture, node, args, p)
    try:
        return ET.fromstring(p.stdout)
    except ET.ParseError as e:
        raise Failure(f"gluster {' '.join(args)} on {node}: not XML ({e}): {p.stdout}{p.stderr}")


def save_fixture(name, node, args, p):
    os.makedirs(FIXTURES, exist_ok=True)
    when = datetime.date.today().isoformat()
    comment = (f"<!-- captured: gluster 10.3 (Debian), 3-node testbed, {when} | command: gluster "
               f"--mode=script --xml {' '.join(args)} | run on: {node} | exit: {p.returncode} | "
               f"scenario: e2e {name} -->")
    lines = p.stdout.split("\n", 1)
    text = lines[0] + "\n" + comment + "\n" + (lines[1] if len(lines) > 1 else "")
    with open(os.path.join(FIXTURES, f"e2e-{name}.xml"), "w") as f:
        f.write(text)


def set_option(volume, key, value):
    root = gluster_xml("n1", "volume", "set", volume, key, value)
    check(root.findtext("opRet") == "0", f"volume set {volume} {key} {value}: {op_errstr(root)}")


def op_errstr(root):
    return (root.findtext("opErrstr") or root.findtext("output") or "").strip()


def api(method, path, body=None, expect=None, base=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request((base or BASE) + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, payload = r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        status, payload = e.code, json.loads(e.read() or b"null")
    if expect is not None:
        check(status == expect, f"{method} {path} answered {status}, expected {expect}: {payload}")
    return status, payload


def wait(what, fn, timeout=300, every=0.5):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise Failure(f"timed out waiting for {what}")
        time.sleep(every)


def wait_job(job_id, statuses, timeout=600):
    def done():
        _, j = api("GET", f"/jobs/{job_id}", expect=200)
        return j if j["status"] in statuses else None
    return wait(f"job {job_id} to become {statuses}", done, timeout)


def volumes():
    _, v = api("GET", "/volumes", expect=200)
    return {x["name"]: x for x in v["items"]}


def node_rows(root):
    """Per-node counters of a rebalance status/stop reply, keyed by peer UUID."""
    rows = {}
    for n in root.iter("node"):
        rows[n.findtext("id")] = {
            "files": int(n.findtext("files")), "size_bytes": int(n.findtext("size")),
            "scanned": int(n.findtext("lookups")), "failures": int(n.findtext("failures")),
            "skipped": int(n.findtext("skipped")), "status_code": int(n.findtext("status")),
        }
    return rows


STATUS_NAMES = ["not_started", "in_progress", "stopped", "completed", "failed",
                "fix_layout_in_progress", "fix_layout_stopped", "fix_layout_completed",
                "fix_layout_failed", "reset_due_to_replace_brick", "reset_due_to_reset_brick"]


def api_rows(nodes):
    return {n["peer_id"]: {
        "files": n["files"], "size_bytes": n["size_bytes"], "scanned": n["scanned"],
        "failures": n["failures"], "skipped": n["skipped"],
        "status_code": STATUS_NAMES.index(n["status"]),
    } for n in nodes}


TERMINAL = {"succeeded", "failed", "stopped", "unknown"}
NODE_OF = {"192.0.2.11": "n1", "192.0.2.12": "n2", "192.0.2.13": "n3"}


def jobs_of_task(kind, task):
    """Every job (any origin) that tracks gluster task `task`."""
    found, cursor = [], None
    while True:
        query = f"/jobs?kind={kind}&limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        _, page = api("GET", query, expect=200)
        found += [j for j in page["items"] if j["gluster_task_id"] == task]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def cluster():
    _, page = api("GET", "/clusters", expect=200)
    check(len(page["items"]) == 1, f"clusters {page}")
    return page["items"][0]


def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def port_free(port):
    import socket
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Service:
    """The service under test, on a SQLite database in `workdir` that outlives it: a new
    Service on the same workdir is a restart."""

    def __init__(self, workdir, **env_overrides):
        if not port_free(PORT):
            raise Failure(f"port {PORT} is already in use (set E2E_PORT)")
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "service.log")
        env = dict(os.environ,
                   GLUSTER_TASKS_POLL_ACTIVE_INTERVAL_SECS="0.5",
                   GLUSTER_TASKS_POLL_IDLE_INTERVAL_SECS="1",
                   GLUSTER_TASKS_POLL_INVENTORY_INTERVAL_SECS="5",
                   GLUSTER_TASKS_GLUSTER_TIMEOUT_SECS="60",
                   RUST_LOG="info")
        env.update(env_overrides)
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [BIN, "serve",
             "--config", os.path.join(STATE, "gluster-tasks.toml"),
             "--bind", f"127.0.0.1:{PORT}",
             "--database-url", "sqlite:" + os.path.join(workdir, "e2e.db")],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            wait("the service to answer", self.healthy, timeout=60, every=0.2)
        except BaseException:
            self.stop()
            raise

    def healthy(self):
        if self.proc.poll() is not None:
            raise Failure(f"the service exited with {self.proc.returncode}")
        try:
            return api("GET", "/healthz", base=ROOT_URL)[0] == 200
        except OSError:
            return False

    def kill(self):
        """SIGKILL: no shutdown path runs, like a crash or an OOM kill."""
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def stop(self):
        if self.log.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- flows ------------------------------------------------------------------------------

def flow_inventory():
    vols = wait("the inventory", lambda: (lambda v: v if len(v) >= 4 else None)(volumes()), 60)
    info = gluster_xml("n1", "volume", "info", capture="volume-info")
    for v in info.iter("volume"):
        name = v.findtext("name")
        check(name in vols, f"volume {name} missing from the API")
        got = vols[name]
        check(got["id"] == v.findtext("id"), f"{name}: id {got['id']} != {v.findtext('id')}")
        want_type = v.findtext("typeStr").lower().replace("-", "_")
        check(got["type"] == want_type, f"{name}: type {got['type']} != {want_type}")
        check(got["status"] == v.findtext("statusStr").lower(), f"{name}: status {got['status']}")
        bricks = [b.findtext("name") for b in v.iter("brick")]
        check([b["name"] for b in got["bricks"]] == bricks, f"{name}: bricks {got['bricks']} != {bricks}")
    check(vols["distrep"]["replica_count"] == 3 and vols["distrep"]["distribute_count"] == 2,
          f"distrep layout {vols['distrep']}")
    _, clusters = api("GET", "/clusters", expect=200)
    c = clusters["items"][0]
    check(len(c["peers"]) == 3 and all(p["connected"] for p in c["peers"]), f"peers {c['peers']}")
    check(c["reachable"], f"cluster not reachable: {c}")


# File i holds content(i): different sizes (4 KiB to 6 KiB), known in advance, so the suite
# knows every checksum without trusting what it read back.
CHECKSUM_SCRIPT = r"""
import hashlib, json, os, sys
root, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sums, missing = {}, []
for i in range(count):
    d = os.path.join(root, "d%02d" % (i % 20))
    p = os.path.join(d, "f%05d" % i)
    if mode == "write":
        os.makedirs(d, exist_ok=True)
        data = hashlib.sha256(b"gluster-tasks %d" % i).digest() * (128 + (i % 64))
        with open(p, "wb") as f:
            f.write(data)
    try:
        with open(p, "rb") as f:
            sums["f%05d" % i] = hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        missing.append(p)
print(json.dumps({"sums": sums, "missing": missing}))
"""


def expected_sums(count=FILES):
    import hashlib
    return {"f%05d" % i: hashlib.sha256(hashlib.sha256(b"gluster-tasks %d" % i).digest()
                                        * (128 + (i % 64))).hexdigest() for i in range(count)}


def checksums(mode, mount=MOUNT, count=FILES):
    p = tb("exec", "n1", "python3", "-c", CHECKSUM_SCRIPT, mount, str(count), mode, timeout=900)
    return json.loads(p.stdout)


WRITTEN = {}


def flow_write_data():
    tb("mount", "dist", MOUNT, "n1")
    got = checksums("write")
    check(not got["missing"] and got["sums"] == expected_sums(), "files read back wrong right after writing")
    WRITTEN.update(got["sums"])
    tb("mount", "distrep", MOUNT_DR, "n1")
    got = checksums("write", MOUNT_DR, FILES_DR)
    check(not got["missing"] and got["sums"] == expected_sums(FILES_DR), "distrep files read back wrong")


def add_brick(n):
    brick = f"192.0.2.12:{STATE}/n2/bricks/dist-b{n}"
    root = gluster_xml("n1", "volume", "add-brick", "dist", brick, "force")
    check(root.findtext("opRet") == "0", f"add-brick: {op_errstr(root)}")
    return brick


def flow_rebalance_to_success():
    brick = add_brick(5)
    vol = volumes()["dist"]["id"]
    _, job = api("POST", f"/volumes/{vol}/rebalance", {}, expect=202)
    check(job["origin"] == "api" and job["gluster_task_id"], f"job {job}")
    gluster_xml("n1", "volume", "rebalance", "dist", "status", capture="rebalance-status-running")
    done = wait_job(job["id"], {"succeeded", "failed", "stopped", "unknown"})
    check(done["status"] == "succeeded", f"job ended {done['status']}: {done.get('reason')}")
    final = gluster_xml("n1", "volume", "rebalance", "dist", "status", capture="rebalance-status-completed")
    want = node_rows(final)
    _, st = api("GET", f"/volumes/{vol}/rebalance", expect=200)
    got = api_rows(st["nodes"])
    check(set(got) == set(want), f"nodes {sorted(got)} != gluster's {sorted(want)}")
    check(got == want, f"per-node counters differ:\napi     {got}\ngluster {want}")
    check(sum(r["files"] for r in got.values()) > 0, "nothing moved to the new brick")
    check(st["completed_at"] and st["polled_at"], f"status {st}")
    check(any(b["name"] == brick for b in volumes()["dist"]["bricks"]), "new brick not in inventory")


def flow_service_killed_mid_rebalance():
    """SIGKILL the service while its rebalance runs, start it again on the same database: the
    job resumes by task id (never reset, never a second job) and ends as gluster says."""
    global SERVICE
    brick = add_brick(8)
    vol = volumes()["dist"]["id"]
    set_option("dist", "cluster.rebal-throttle", "lazy")
    try:
        _, job = api("POST", f"/volumes/{vol}/rebalance", {}, expect=202)
        task = job["gluster_task_id"]
        check(job["status"] == "running" and task, f"job {job}")
        SERVICE.kill()
        check(port_free(PORT), "the killed service still answers")
        SERVICE = Service(SERVICE.workdir)
        _, again = api("GET", f"/jobs/{job['id']}", expect=200)
        check(again["status"] in {"running", "succeeded"} and again["gluster_task_id"] == task,
              f"after the restart the job is {again['status']}: {again.get('reason')}")
    finally:
        set_option("dist", "cluster.rebal-throttle", "normal")
    done = wait_job(job["id"], TERMINAL)
    check(done["status"] == "succeeded", f"job ended {done['status']}: {done.get('reason')}")
    check(brick in gluster_bricks("dist"), "the added brick is gone")
    tracked = jobs_of_task("rebalance", task)
    check([j["id"] for j in tracked] == [job["id"]], f"jobs for task {task}: {tracked}")


def flow_glusterd_down_on_active_host_fails_over():
    """Stop glusterd on the host the service calls first: polling moves to a live peer, the
    cluster stays reachable and shows the dead peer disconnected; nothing goes stale."""
    before = cluster()
    active = before["active_host"]
    check(active in NODE_OF, f"active host {active}")
    node = NODE_OF[active]
    stopped_at = datetime.datetime.now(datetime.timezone.utc)
    tb("stop-glusterd", node)
    try:
        def moved():
            c = cluster()
            ok = (c["reachable"] and c["active_host"] not in (None, active)
                  and c["inventory_at"] and instant(c["inventory_at"]) > stopped_at)
            return c if ok else None
        after = wait("polling and the inventory to move to a live peer", moved, 120)
        check(after["failed_polls"] == 0, f"failed polls {after['failed_polls']}: {after['last_error']}")
        # The pool as a live peer sees it: the stopped node is there, disconnected.
        down = [p["hostname"] for p in after["peers"] if not p["connected"]]
        check(down == [active], f"peers {after['peers']}")
        _, jobs = api("GET", "/jobs?limit=100", expect=200)
        stale = [j["id"] for j in jobs["items"] if j.get("stale_since")]
        check(not stale, f"jobs marked stale although a peer answered: {stale}")
    finally:
        tb("start-glusterd", node)
    wait("every peer connected again",
         lambda: all(p["connected"] for p in cluster()["peers"]), 120)


def flow_rebalance_stop():
    add_brick(6)
    vol = volumes()["dist"]["id"]
    set_option("dist", "cluster.rebal-throttle", "lazy")
    _, job = api("POST", f"/volumes/{vol}/rebalance", expect=202)
    status, final = api("POST", f"/volumes/{vol}/rebalance/stop")
    check(status == 200, f"stop answered {status}: {final}")
    check(final["job_status"] == "stopped", f"stop reply {final}")
    _, j = api("GET", f"/jobs/{job['id']}", expect=200)
    check(j["status"] == "stopped", f"job {j['status']}")
    got = api_rows(j["steps"][0]["steps"][0]["progress"]["nodes"])
    check(got == api_rows(final["nodes"]), "job counters differ from the stop reply")
    check(final["nodes"] and all(n["status"] == "stopped" for n in final["nodes"]),
          f"the stop did not find a running rebalance: {final['nodes']}")
    # gluster 10.3 forgets a stopped rebalance at once: the stop reply is its only record.
    after = gluster_xml("n1", "volume", "rebalance", "dist", "status", capture="rebalance-status-stopped")
    check(op_errstr(after) == "Rebalance not started for volume dist.", f"after stop: {op_errstr(after)}")
    _, st = api("GET", f"/volumes/{vol}/rebalance", expect=200)
    check(st["job_id"] == job["id"] and api_rows(st["nodes"]) == got, f"status after stop {st}")
    set_option("dist", "cluster.rebal-throttle", "normal")


def flow_cli_stop_is_recorded():
    dist = volumes()["dist"]
    add_brick(7)
    set_option("dist", "cluster.rebal-throttle", "lazy")
    try:
        _, job = api("POST", f"/volumes/{dist['id']}/rebalance", expect=202)
        root = gluster_xml("n2", "volume", "rebalance", "dist", "stop")
        check(root.findtext("opRet") == "0", f"CLI stop: {op_errstr(root)}")
    finally:
        set_option("dist", "cluster.rebal-throttle", "normal")
    done = wait_job(job["id"], {"stopped", "succeeded", "failed", "unknown"}, 120)
    check(done["status"] == "stopped" and done["origin"] == "api", f"job {done['status']} ({done['origin']}): {done.get('reason')}")


def flow_cli_rebalance_is_adopted():
    root = gluster_xml("n2", "volume", "rebalance", "distrep", "start", capture="rebalance-start")
    check(root.findtext("opRet") == "0", f"CLI start: {op_errstr(root)}")
    task = root.findtext("volRebalance/task-id")

    def adopted():
        _, page = api("GET", "/jobs?origin=cli&kind=rebalance", expect=200)
        return next((j for j in page["items"] if j["gluster_task_id"] == task), None)
    job = wait("the CLI task to be adopted", adopted, 60)
    check(job["volume_name"] == "distrep", f"adopted {job}")
    wait_job(job["id"], {"succeeded"})


def flow_errors_carry_gluster_wording():
    vols = volumes()
    for name in ("single", "stopped"):
        root = gluster_xml("n1", "volume", "rebalance", name, "start", capture=f"rebalance-start-refused-{name}")
        check(root.findtext("opRet") != "0", f"gluster accepted a rebalance of {name}")
        status, p = api("POST", f"/volumes/{vols[name]['id']}/rebalance")
        check(status == 422, f"{name}: {status} {p}")
        check(p["detail"] == op_errstr(root) or p.get("gluster_message") == op_errstr(root),
              f"{name}: detail {p['detail']!r} is not gluster's {op_errstr(root)!r}")
    root = gluster_xml("n1", "volume", "rebalance", "dist", "start")
    check(root.findtext("opRet") == "0", f"CLI start on dist: {op_errstr(root)}")
    task = root.findtext("volRebalance/task-id")
    status, p = api("POST", f"/volumes/{vols['dist']['id']}/rebalance")
    check(status == 409, f"start while running: {status} {p}")
    again = gluster_xml("n1", "volume", "rebalance", "dist", "start", capture="rebalance-start-refused-running")
    if p["code"] == "gluster_conflict":
        check(p["gluster_message"] == op_errstr(again), f"{p} vs {op_errstr(again)}")
    else:
        check(p["code"] == "task_active" and p["job_id"], f"409 without the job: {p}")
    # The poller adopts the CLI task; let it finish so the data check reads a settled volume.
    def adopted():
        _, page = api("GET", f"/jobs?volume_id={vols['dist']['id']}&origin=cli", expect=200)
        return next((j for j in page["items"] if j["gluster_task_id"] == task), None)
    job = wait("the CLI rebalance of dist to be adopted", adopted, 60)
    done = wait_job(job["id"], {"succeeded", "failed", "stopped", "unknown"})
    check(done["status"] == "succeeded", f"CLI rebalance of dist ended {done['status']}")
    final = gluster_xml("n1", "volume", "rebalance", "dist", "status")
    check(final.findtext("volRebalance/task-id") == task
          and final.findtext("volRebalance/aggregate/status") == "3", "gluster disagrees")


WARNINGS = []


def read_fresh(volume, count):
    fresh = f"/mnt/gt-e2e-verify-{volume}"
    tb("mount", volume, fresh, "n1")
    try:
        return checksums("read", fresh, count)
    finally:
        tb("umount", fresh, "n1", check_rc=False)


def verify_volume(volume, count):
    """Every file written is on the volume with the checksum it was written with.

    Read through a fresh client (the writer may cache old layouts). gluster 10.3 with
    cluster.lookup-optimize on (its default) can leave files that are intact on the bricks
    invisible to lookups after a remove-brick commit or an interrupted migration; when that
    happens the files are read again with lookup-optimize off (DHT then looks on every brick),
    the hazard is reported as a warning, and the option is restored.
    """
    now = read_fresh(volume, count)
    if now["missing"]:
        hidden = len(now["missing"])
        set_option(volume, "cluster.lookup-optimize", "off")
        try:
            now = read_fresh(volume, count)
        finally:
            set_option(volume, "cluster.lookup-optimize", "on")
        WARNINGS.append(f"{volume}: {hidden} intact files were invisible to a default client "
                        "(cluster.lookup-optimize) until looked up with lookup-optimize off")
    check(not now["missing"], f"{volume}: {len(now['missing'])} files missing, e.g. {now['missing'][:3]}")
    bad = [k for k, v in expected_sums(count).items() if now["sums"].get(k) != v]
    check(not bad, f"{volume}: {len(bad)} files differ from what was written, e.g. {bad[:3]}")


def gluster_bricks(volume):
    return [b.findtext("name") for b in gluster_xml("n1", "volume", "info", volume).iter("brick")]


def flow_remove_brick_stop_keeps_the_bricks():
    dist = volumes()["dist"]
    brick = dist["bricks"][1]["name"]
    set_option("dist", "cluster.rebal-throttle", "lazy")
    try:
        _, job = api("POST", f"/volumes/{dist['id']}/bricks/remove", {"bricks": [brick]}, expect=202)
        gluster_xml("n1", "volume", "remove-brick", "dist", brick, "status", capture="remove-brick-status-running")
        _, st = api("POST", f"/volumes/{dist['id']}/bricks/remove/stop", expect=200)
    finally:
        set_option("dist", "cluster.rebal-throttle", "normal")
    check(st["job_status"] == "stopped" and not st["commit_allowed"], f"stop: {st}")
    check(brick in gluster_bricks("dist"), "the brick left the volume after a stop")
    _, j = api("GET", f"/jobs/{job['id']}", expect=200)
    check(j["status"] == "stopped", f"job {j['status']}")
    # A stopped migration leaves directory layouts half-updated; with lookup-optimize
    # (gluster's default) clients can then miss files until a full rebalance has run.
    _, reb = api("POST", f"/volumes/{dist['id']}/rebalance", {}, expect=202)
    done = wait_job(reb["id"], {"succeeded", "failed", "stopped", "unknown"})
    check(done["status"] == "succeeded", f"rebalance after the stopped removal: {done['status']}")
    verify_volume("dist", FILES)


def flow_forced_removal_needs_accept_data_loss():
    dist = volumes()["dist"]
    brick = dist["bricks"][0]["name"]
    status, p = api("POST", f"/volumes/{dist['id']}/bricks/remove", {"bricks": [brick], "migrate_data": False})
    check(status == 422 and "accept_data_loss" in p["detail"], f"{status} {p}")
    check(brick in gluster_bricks("dist"), "a refused forced removal removed the brick")


def flow_remove_brick_auto_commit():
    dist = volumes()["dist"]
    brick = dist["bricks"][0]["name"]
    _, job = api("POST", f"/volumes/{dist['id']}/bricks/remove", {"bricks": [brick], "auto_commit": True}, expect=202)

    def ended():
        _, j = api("GET", f"/jobs/{job['id']}", expect=200)
        blocked = j["status"] == "awaiting_commit" and j.get("reason") and "waiting" in j["reason"]
        return j if j["status"] in {"succeeded", "failed", "stopped", "unknown"} or blocked else None
    done = wait("the auto-commit removal to end", ended, 600)
    check(done["status"] == "succeeded", f"auto-commit job ended {done['status']}: {done.get('reason')}")
    check(brick not in gluster_bricks("dist"), "the brick is still in gluster volume info")
    check(all(b["name"] != brick for b in volumes()["dist"]["bricks"]), "the API still lists the brick")
    verify_volume("dist", FILES)


def flow_cli_remove_brick_is_adopted_and_committed_via_rest():
    """A removal started with the gluster CLI becomes a `cli` job; once its migration is done
    the job awaits a commit, and the commit goes through the REST API."""
    brick = add_brick(10)
    root = gluster_xml("n2", "volume", "remove-brick", "dist", brick, "start")
    check(root.findtext("opRet") == "0", f"CLI remove-brick start: {op_errstr(root)}")
    task = root.findtext("volRemoveBrick/task-id")
    job = wait("the CLI removal to be adopted",
               lambda: next(iter(jobs_of_task("remove_brick", task)), None), 60)
    check(job["origin"] == "cli" and job["volume_name"] == "dist", f"adopted {job}")
    waiting = wait_job(job["id"], TERMINAL | {"awaiting_commit"})
    check(waiting["status"] == "awaiting_commit", f"job {waiting['status']}: {waiting.get('reason')}")
    dist = volumes()["dist"]
    check(dist["activity"] and dist["activity"]["commit_needed"], f"volume activity {dist['activity']}")
    _, committed = api("POST", f"/volumes/{dist['id']}/bricks/remove/commit", {"bricks": [brick]}, expect=200)
    check(committed["status"] == "succeeded", f"commit: {committed['status']}")
    check(brick not in gluster_bricks("dist"), "the brick is still in gluster volume info")
    verify_volume("dist", FILES)


def flow_remove_replica_set_then_commit():
    dr = volumes()["distrep"]
    set2 = [b["name"] for b in dr["bricks"][3:6]]
    _, job = api("POST", f"/volumes/{dr['id']}/bricks/remove", {"bricks": set2}, expect=202)
    waiting = wait_job(job["id"], {"awaiting_commit", "failed", "stopped", "unknown", "succeeded"})
    check(waiting["status"] == "awaiting_commit", f"job {waiting['status']}: {waiting.get('reason')}")
    v = volumes()["distrep"]
    check(v["activity"] and v["activity"]["commit_needed"], f"volume activity {v['activity']}")
    _, st = api("GET", f"/volumes/{dr['id']}/bricks/remove", expect=200)
    final = gluster_xml("n1", "volume", "remove-brick", "distrep", *set2, "status", capture="remove-brick-distrep-completed")
    check(api_rows(st["nodes"]) == node_rows(final), "per-node counters differ from gluster's")
    check(st["commit_allowed"], f"commit not allowed: {st.get('commit_blocked_by')}")
    _, committed = api("POST", f"/volumes/{dr['id']}/bricks/remove/commit", {"bricks": set2}, expect=200)
    check(committed["status"] == "succeeded", f"commit: {committed['status']}")
    left = gluster_bricks("distrep")
    check(len(left) == 3 and not set(set2) & set(left), f"distrep bricks now {left}")
    verify_volume("distrep", FILES_DR)


def brick_rows(volume):
    """`volume status VOLUME` per brick: {"host:/path": {"status": 0|1, "pid": int}}."""
    rows = {}
    for n in gluster_xml("n1", "volume", "status", volume).iter("node"):
        path = n.findtext("path") or ""
        if path.startswith("/"):
            rows[f"{n.findtext('hostname')}:{path}"] = {
                "status": int(n.findtext("status") or 0), "pid": int(n.findtext("pid") or -1)}
    return rows


def restore_bricks(volume):
    """`volume start VOLUME force` (restarts dead brick processes) until every brick is online."""
    root = gluster_xml("n1", "volume", "start", volume, "force")
    check(root.findtext("opRet") == "0", f"volume start {volume} force: {op_errstr(root)}")
    wait(f"every brick of {volume} online",
         lambda: all(r["status"] == 1 for r in brick_rows(volume).values()), 60, 1)


def flow_failed_removal_is_stopped_via_rest():
    """A removal whose migration fails (another brick's process is killed) ends `failed` with a
    reason naming the node; gluster keeps holding the failed task, so the service must still
    show it and let it be stopped (REST stop and cancel), after which the volume takes new tasks."""
    wait("the inventory", lambda: "dist" in volumes(), 60)
    dist = volumes()["dist"]
    active = cluster()["active_host"]
    hosts = [b["name"].split(":", 1)[0] for b in dist["bricks"]]
    check(len(set(hosts)) >= 2, f"dist needs bricks on two nodes: {hosts}")
    # The removed brick lives on the host the service asks (gluster names it `localhost` there).
    y = next((b["name"] for b in dist["bricks"] if b["name"].startswith(f"{active}:")), dist["bricks"][0]["name"])
    y_host = y.split(":", 1)[0]
    x = next(b["name"] for b in dist["bricks"] if not b["name"].startswith(f"{y_host}:"))
    rows = brick_rows("dist")
    check(x in rows and rows[x]["status"] == 1 and rows[x]["pid"] > 0, f"brick {x} not online: {rows.get(x)}")
    problems = []
    try:
        os.kill(rows[x]["pid"], signal.SIGKILL)
        wait(f"gluster to see brick {x} offline", lambda: brick_rows("dist")[x]["status"] == 0, 60, 1)
        _, job = api("POST", f"/volumes/{dist['id']}/bricks/remove", {"bricks": [y]}, expect=202)
        done = wait_job(job["id"], TERMINAL | {"awaiting_commit"}, 180)
        root = gluster_xml("n1", "volume", "remove-brick", "dist", y, "status")
        check(root.findtext("volRemoveBrick/aggregate/statusStr") == "failed",
              f"gluster does not report the removal failed: {ET.tostring(root, 'unicode')}")
        task = root.findtext("volRemoveBrick/task-id")
        check(done["status"] == "failed", f"job ended {done['status']}: {done.get('reason')}")
        reason = done.get("reason")
        if not reason:
            problems.append(f"the failed job has no reason: {done}")
        elif y_host not in reason:
            problems.append(f"the reason does not name the failing node {y_host}: {reason!r}")
        listed = gluster_xml("n1", "volume", "status", "dist", "tasks")
        check(listed.findtext(".//task/id") == task and listed.findtext(".//task/statusStr") == "failed",
              "gluster does not list the failed removal")
        status, st = api("GET", f"/volumes/{dist['id']}/bricks/remove")
        if status != 200:
            problems.append(f"GET bricks/remove answered {status} (gluster lists task {task}, failed): {st}")
        elif st.get("task_id") != task or st.get("status") != "failed":
            problems.append(f"GET bricks/remove does not show gluster's failed task {task}: {st}")
        status, c = api("POST", f"/jobs/{job['id']}/cancel")
        if status == 409:
            problems.append(f"POST /jobs/{{id}}/cancel on the failed removal gluster still holds answered 409: {c}")
        held = lambda: gluster_xml("n1", "volume", "status", "dist", "tasks").findtext(".//task/id") == task
        if held():
            status, stop = api("POST", f"/volumes/{dist['id']}/bricks/remove/stop")
            if status != 200:
                problems.append(f"POST bricks/remove/stop answered {status}: {stop}")
        if held():
            problems.append("gluster still holds the failed removal after cancel and stop")
        check(not problems, "; ".join(problems))
        check(y in gluster_bricks("dist"), "the brick left the volume")
        restore_bricks("dist")
        _, reb = api("POST", f"/volumes/{dist['id']}/rebalance", {}, expect=202)
        ended = wait_job(reb["id"], TERMINAL)
        check(ended["status"] == "succeeded", f"rebalance after the failed removal: {ended['status']}: {ended.get('reason')}")
    finally:
        # leave the volume usable for the next flows whatever happened
        left = gluster_xml("n1", "volume", "status", "dist", "tasks")
        if left.findtext(".//task/type") == "Remove brick" and left.findtext(".//task/statusStr") == "failed":
            gluster_xml("n1", "volume", "remove-brick", "dist", *[b.text for b in left.iter("brick")], "stop")
        if any(r["status"] != 1 for r in brick_rows("dist").values()):
            restore_bricks("dist")


def flow_rebalance_restart_with_short_poll_never_fails_a_cycle():
    """With a 0.1 s poll interval, a rebalance that completes and a new one started at once (the
    start takes ~10 s while gluster still lists the completed task) never fail a poll cycle,
    and the second job gets its own task id and completes."""
    global SERVICE
    import threading
    workdir = SERVICE.workdir
    SERVICE.stop()
    SERVICE = Service(workdir, GLUSTER_TASKS_POLL_ACTIVE_INTERVAL_SECS="0.1",
                      GLUSTER_TASKS_POLL_IDLE_INTERVAL_SECS="0.1")
    with open(SERVICE.log_path) as f:
        f.seek(0, os.SEEK_END)
        log_from = f.tell()
    bad, stop_sampling = [], threading.Event()

    def sample():
        while not stop_sampling.is_set():
            try:
                c = cluster()
                if c["failed_polls"] or c.get("last_error"):
                    bad.append((datetime.datetime.now().isoformat(timespec="milliseconds"),
                                c["failed_polls"], c.get("last_error")))
            except Exception as e:  # noqa: BLE001 - a sampling error is a finding too
                bad.append(("sample", None, repr(e)))
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    try:
        wait("the inventory", lambda: "dist" in volumes(), 60)
        vol = volumes()["dist"]["id"]
        sampler.start()
        _, first = api("POST", f"/volumes/{vol}/rebalance", {}, expect=202)
        one = wait_job(first["id"], TERMINAL)
        check(one["status"] == "succeeded", f"first rebalance ended {one['status']}: {one.get('reason')}")
        t = time.time()
        _, second = api("POST", f"/volumes/{vol}/rebalance", {}, expect=202)
        took = time.time() - t
        check(second["gluster_task_id"] and second["gluster_task_id"] != one["gluster_task_id"],
              f"second job's task id {second['gluster_task_id']} (first {one['gluster_task_id']}), start took {took:.1f}s")
        two = wait_job(second["id"], TERMINAL)
        time.sleep(1)  # a few more cycles after the end
        stop_sampling.set()
        sampler.join()
        with open(SERVICE.log_path) as f:
            f.seek(log_from)
            hits = [l.strip() for l in f if "poll cycle failed" in l or "UNIQUE" in l]
        check(not bad and not hits,
              f"poll cycles failed: {len(bad)} bad cluster samples, first {bad[:3]}; "
              f"{len(hits)} log lines, first {hits[:3]}")
        check(two["status"] == "succeeded", f"second rebalance ended {two['status']}: {two.get('reason')}")
        check(two["gluster_task_id"] == second["gluster_task_id"] != one["gluster_task_id"],
              f"task ids: first {one['gluster_task_id']}, second {two['gluster_task_id']}")
        final = gluster_xml("n1", "volume", "rebalance", "dist", "status")
        check(final.findtext("volRebalance/task-id") == two["gluster_task_id"], "gluster's task id differs")
    finally:
        stop_sampling.set()
        SERVICE.stop()
        SERVICE = Service(workdir)


def flow_data_intact():
    verify_volume("dist", FILES)
    verify_volume("distrep", FILES_DR)



FLOWS = [flow_inventory, flow_write_data, flow_rebalance_to_success,
         flow_service_killed_mid_rebalance, flow_rebalance_stop, flow_cli_stop_is_recorded,
         flow_cli_rebalance_is_adopted, flow_glusterd_down_on_active_host_fails_over,
         flow_errors_carry_gluster_wording, flow_remove_brick_stop_keeps_the_bricks,
         flow_forced_removal_needs_accept_data_loss, flow_remove_brick_auto_commit,
         flow_cli_remove_brick_is_adopted_and_committed_via_rest,
         flow_remove_replica_set_then_commit, flow_failed_removal_is_stopped_via_rest,
         flow_rebalance_restart_with_short_poll_never_fails_a_cycle, flow_data_intact]
sys.modules.setdefault("e2e_real", sys.modules[__name__])  # e2e_progress shares these helpers
import e2e_progress  # noqa: E402
FLOWS += e2e_progress.FLOWS
SERVICE = None


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--capture", action="store_true", help="save the XML seen under fixtures/")
    ap.add_argument("--flows", default=os.environ.get("E2E_FLOWS", ""),
                    help="comma-separated flows to run alone, in suite order (the 'flow_' prefix "
                         "may be left out); default: every flow. Also E2E_FLOWS.")
    ARGS = ap.parse_args()
    flows = FLOWS
    if ARGS.flows:
        wanted = {w.strip() if w.strip().startswith("flow_") else "flow_" + w.strip()
                  for w in ARGS.flows.split(",") if w.strip()}
        unknown = wanted - {f.__name__ for f in FLOWS}
        if unknown:
            ap.error(f"unknown flows {sorted(unknown)}; known: {[f.__name__ for f in FLOWS]}")
        flows = [f for f in FLOWS if f.__name__ in wanted]
    global SERVICE
    work = tempfile.mkdtemp(prefix="gt-e2e-")
    SERVICE = Service(work)
    passed, failed = 0, 0
    try:
        for flow in flows:
            t = time.time()
            try:
                flow()
                passed += 1
                print(f"ok    {flow.__name__} ({time.time() - t:.1f}s)", flush=True)
            except Exception as e:  # noqa: BLE001 - every failure is reported, the suite goes on
                failed += 1
                print(f"FAIL  {flow.__name__} ({time.time() - t:.1f}s): {e}", flush=True)
                if not isinstance(e, Failure):
                    traceback.print_exc()
                if flow is flow_write_data:
                    break
    finally:
        SERVICE.stop()
        tb("umount", MOUNT, "n1", check_rc=False)
        tb("umount", MOUNT_DR, "n1", check_rc=False)
        if failed:
            print("---- service log (tail) ----")
            with open(SERVICE.log_path) as f:
                print("".join(f.readlines()[-200:]))
            for node in ("n1", "n2", "n3"):
                path = os.path.join(STATE, node, "log", "glusterd.log")
                if os.path.exists(path):
                    print(f"---- {node} glusterd.log (tail) ----")
                    with open(path, errors="replace") as f:
                        print("".join(f.readlines()[-60:]))
    for w in WARNINGS:
        print(f"WARNING {w}")
    print(f"e2e: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
