"""Progress and timeline flows of the real suite (registered by e2e_real.py, sharing its helpers).

The estimator is validated on a volume `prog` whose bricks each have their own filesystem
(`scripts/testbed brickfs`), so the service can size the work: a rebalance after 2 -> 4 bricks
and a remove-brick of two bricks, each running a minute or more, polled every second. The flows
assert only what must hold (percent present, never going back, 100 at the end, a time left by
half-way, a history, per-node work); how close the estimates were is measured, printed and
written as JSON ($E2E_PROGRESS_JSON, default target/e2e-progress.json) for docs/progress.md.

The service runs with an operator token for these flows, so the timeline's actors are checked
against a real token name (`initiator`), as in production.
"""
import contextlib
import datetime
import hashlib
import json
import os
import time
import urllib.request

import e2e_real as E
from e2e_real import Failure, api, check, gluster_xml, instant, op_errstr, tb, volumes, wait

VOLUME = "prog"
MOUNT = "/mnt/gt-e2e-prog"
FILES = int(os.environ.get("E2E_PROGRESS_FILES", "7000"))
# Written before the removal, so that n1's two bricks hold ~5000 files: a removal of a minute
# or more even on a quiet machine (it moves ~80 files/s there).
MORE_FILES = int(os.environ.get("E2E_PROGRESS_MORE_FILES", "4000"))
DIRS = 50
BRICK_MB = "1024"
TOKEN_NAME = "e2e-operator"
TOKEN = "e2e-progress-token"
OUT = os.environ.get("E2E_PROGRESS_JSON") or os.path.join(E.ROOT, "target", "e2e-progress.json")
FRACTIONS = (0.25, 0.5, 0.75)
RESULTS = {}

FILL_SCRIPT = r"""
import os, sys
root, count, dirs, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = os.urandom(16 * 1024)
for d in range(dirs):
    os.makedirs(os.path.join(root, "%s%02d" % (prefix, d)), exist_ok=True)
for i in range(count):
    with open(os.path.join(root, "%s%02d" % (prefix, i % dirs), "f%05d" % i), "wb") as f:
        f.write(data)
"""


@contextlib.contextmanager
def operator_token():
    """The service restarted with one operator token, every request carrying it; afterwards
    restarted open again (the other flows call it without a token)."""
    workdir = E.SERVICE.workdir
    entry = {"name": TOKEN_NAME, "role": "operator", "sha256": hashlib.sha256(TOKEN.encode()).hexdigest()}
    opener = urllib.request.build_opener()
    opener.addheaders = [("Authorization", f"Bearer {TOKEN}")]
    E.SERVICE.stop()
    urllib.request.install_opener(opener)
    try:
        E.SERVICE = E.Service(workdir, GLUSTER_TASKS_TOKENS=json.dumps([entry]))
        yield
    finally:
        E.SERVICE.stop()
        urllib.request.install_opener(urllib.request.build_opener())
        E.SERVICE = E.Service(workdir)


def brickfs(node, name):
    return tb("brickfs", node, name, BRICK_MB).stdout.strip().splitlines()[-1]


def ok(root, what):
    check(root.findtext("opRet") == "0", f"{what}: {op_errstr(root)}")


def inventory_bricks(count):
    """The volume as the service's inventory shows it, once it lists `count` bricks."""
    return wait(f"the inventory to show {VOLUME} with {count} bricks",
                lambda: (lambda v: v if v and len(v["bricks"]) == count else None)(volumes().get(VOLUME)), 60)


def fill(count, prefix):
    """`count` files of 16 KiB in DIRS new directories `<prefix>NN`, written through FUSE on n1
    by one process."""
    tb("mount", VOLUME, MOUNT, "n1")
    try:
        tb("exec", "n1", "python3", "-c", FILL_SCRIPT, MOUNT, str(count), str(DIRS), prefix, timeout=600)
    finally:
        tb("umount", MOUNT, "n1", check_rc=False)


def make_volume():
    """`prog`: 2 bricks (n1, n2) on their own filesystems holding FILES files."""
    bricks = [brickfs("n1", "prog-b1"), brickfs("n2", "prog-b2")]
    ok(gluster_xml("n1", "volume", "create", VOLUME, *bricks, "force"), "volume create prog")
    ok(gluster_xml("n1", "volume", "start", VOLUME), "volume start prog")
    fill(FILES, "d")


def add_bricks():
    bricks = [brickfs("n3", "prog-b3"), brickfs("n1", "prog-b4")]
    ok(gluster_xml("n1", "volume", "add-brick", VOLUME, *bricks, "force"), "add-brick prog")
    return inventory_bricks(4)


def ensure_four_bricks():
    """`prog` with 4 bricks and its data (made here when the rebalance flow did not run)."""
    v = volumes().get(VOLUME)
    if v is None:
        make_volume()
        return add_bricks()
    return v


def step_nodes(job):
    """The per-node rows of the step that moves data."""
    stack = list(job["steps"])
    while stack:
        s = stack.pop(0)
        if s.get("progress") and s["progress"].get("nodes"):
            return s["progress"]["nodes"]
        stack = s["steps"] + stack
    return []


def record(job_id, until):
    """GET /jobs/{id} each second until its state is in `until`: the samples, and the job."""
    samples = []
    while True:
        t = time.time()
        _, j = api("GET", f"/jobs/{job_id}", expect=200)
        p = j["progress"]
        samples.append({
            "t": t, "status": j["status"], "percent": p["percent"], "eta": p["estimated_end_at"],
            "rate": p["rate"], "basis": p["basis"], "note": p["note_code"],
            "nodes": {n["peer_id"]: {"status": n["status"], **n["estimate"]} for n in step_nodes(j)},
        })
        if j["status"] in until:
            return samples, j
        time.sleep(max(0.0, 1.0 - (time.time() - t)))


def ts(text):
    return instant(text).timestamp()


def in_force(samples, at):
    before = [s for s in samples if s["t"] <= at]
    return before[-1] if before else None


def node_ends(samples):
    """When each node was first seen no longer running."""
    ends = {}
    for s in samples:
        for peer, n in s["nodes"].items():
            if peer not in ends and n["status"] != "in_progress":
                ends[peer] = s["t"]
    return ends


def analyse(samples, start, end, names):
    """The estimate in force at 25, 50 and 75% of the run, and how far off it was."""
    run = end - start
    ends = node_ends(samples)
    rows = []
    for f in FRACTIONS:
        s = in_force(samples, start + f * run)
        eta = s and s["eta"] and ts(s["eta"])
        row = {"fraction": f, "elapsed_s": round(f * run, 1),
               "percent": s and s["percent"], "true_percent": round(100 * f, 1),
               "estimated_end_at": s and s["eta"],
               "error_s": None if not eta else round(eta - end, 1),
               "error_pct_of_run": None if not eta else round(100 * (eta - end) / run, 1),
               "nodes": {}}
        for peer, n in (s["nodes"].items() if s else []):
            n_eta = n["estimated_end_at"] and ts(n["estimated_end_at"])
            n_end = ends.get(peer, end)
            row["nodes"][names.get(peer, peer)] = {
                "percent": n["percent"], "rate": n["rate"], "work_done": n["work_done"],
                "work_total": n["work_total"],
                "error_s": None if not n_eta else round(n_eta - n_end, 1)}
        rows.append(row)
    return {"run_s": round(run, 1), "samples": len(samples), "points": rows,
            "node_runs_s": {names.get(p, p): round(t - start, 1) for p, t in ends.items()}}


def print_table(title, a):
    print(f"  {title}: run {a['run_s']} s, {a['samples']} samples, node runs {a['node_runs_s']}")
    print("    at    elapsed  percent  true   eta error (s)  error (% of run)")
    for r in a["points"]:
        print(f"    {int(100 * r['fraction']):>3}%  {r['elapsed_s']:>6}s  {str(r['percent']):>7}  "
              f"{r['true_percent']:>5}  {str(r['error_s']):>13}  {str(r['error_pct_of_run']):>16}")
        for name, n in r["nodes"].items():
            print(f"           node {name}: {n['percent']}% ({n['work_done']}/{n['work_total']}), "
                  f"rate {n['rate']}, eta error {n['error_s']} s")


def save(kind, analysis, samples, job):
    load = os.getloadavg()
    RESULTS[kind] = {"job_id": job["id"], "loadavg_after": [round(x, 2) for x in load],
                     **analysis,
                     "series": [[round(s["t"] - samples[0]["t"], 1), s["percent"], s["eta"], s["rate"]]
                                for s in samples]}
    RESULTS["measured_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    RESULTS["cpus"] = os.cpu_count()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(RESULTS, f, indent=1)


def check_facts(samples, job, start, end, with_data):
    """What must hold whatever the machine's load."""
    seen = [s for s in samples if s["percent"] is not None]
    check(seen, f"no sample had a percent (notes {sorted({str(s['note']) for s in samples})})")
    first = samples.index(seen[0])
    gaps = [s for s in samples[first:] if s["percent"] is None]
    check(not gaps, f"percent went null after the first estimate: {gaps[:2]}")
    check(all(s["basis"] == "files" for s in seen), f"basis {sorted({str(s['basis']) for s in seen})}")
    back = [(a["percent"], b["percent"]) for a, b in zip(seen, seen[1:]) if b["percent"] < a["percent"]]
    check(not back, f"percent went back: {back[:3]}")
    check(job["progress"]["percent"] == 100, f"percent {job['progress']['percent']} at {job['status']}")
    half = start + 0.5 * (end - start)
    check(any(s["eta"] for s in samples if s["t"] <= half),
          f"no estimated_end_at by half of the {end - start:.0f} s run")
    _, hist = api("GET", f"/jobs/{job['id']}/progress", expect=200)
    ats = [ts(p["at"]) for p in hist["points"]]
    check(len(ats) >= 10, f"history has {len(ats)} points")
    check(ats == sorted(ats), "history points out of order")
    totals = {w["peer_id"]: w["total"] for w in hist["work"]}
    last = {p: n for s in samples for p, n in s["nodes"].items()}
    for peer in with_data:
        check(totals.get(peer, 0) > 0, f"node {peer}: sized work {totals.get(peer)}")
        check((last.get(peer) or {}).get("work_total", 0) > 0, f"node {peer}: estimate {last.get(peer)}")


def timeline(job_id):
    _, t = api("GET", f"/jobs/{job_id}/timeline", expect=200)
    return t["entries"]


def check_chain(entries, first_kind, actor, end_status):
    """Entries in time order; the first one `first_kind` by `actor`; the state changes a chain
    (each from the previous one's to) ending at `end_status`."""
    check(entries and entries[0]["kind"] == first_kind and entries[0]["actor"] == actor,
          f"first entry {entries[:1]}, expected {first_kind} by {actor}")
    ats = [ts(e["at"]) for e in entries]
    check(ats == sorted(ats), f"timeline out of order: {[(e['kind'], e['at']) for e in entries]}")
    changes = [e for e in entries if e["kind"] == "state_changed"]
    check(changes and changes[-1]["to"] == end_status, f"state changes {[(c['from'], c['to']) for c in changes]}")
    for a, b in zip(changes, changes[1:]):
        check(b["from"] == a["to"], f"state changes do not chain: {[(c['from'], c['to']) for c in changes]}")
    return changes


def check_rest_start(job, entries, end_status):
    """created (by the token) -> accepted (naming the task) -> pending -> running ... -> end."""
    check(job["initiator"] == TOKEN_NAME, f"initiator {job['initiator']}")
    changes = check_chain(entries, "created", TOKEN_NAME, end_status)
    check(entries[0]["at"] == job["created_at"], f"created at {entries[0]['at']}, job {job['created_at']}")
    accepted = [e for e in entries if e["kind"] == "accepted"]
    check(len(accepted) == 1 and job["gluster_task_id"] in (accepted[0]["message"] or ""),
          f"accepted entries {accepted} (task {job['gluster_task_id']})")
    check(entries.index(accepted[0]) < entries.index(changes[0]),
          f"accepted after the first state change: {[(e['kind'], e['from'], e['to']) for e in entries]}")
    check(changes[0]["from"] == "pending" and changes[0]["to"] == "running",
          f"first state change {changes[0]['from']} -> {changes[0]['to']}")
    check(not [e for e in entries if e["kind"] in ("refused", "adopted")], f"unexpected entries {entries}")
    return changes


def run_job(kind, job, until, with_data, names):
    samples, done = record(job["id"], until)
    start = ts(done["started_at"] or done["created_at"])
    if done["status"] == "awaiting_commit":
        end = ts(next(e["at"] for e in timeline(done["id"]) if e["to"] == "awaiting_commit"))
    else:
        end = ts(done["ended_at"])
    a = analyse(samples, start, end, names)
    print_table(kind, a)
    save(kind, a, samples, done)
    check_facts(samples, done, start, end, with_data)
    return done


def peer_names(vol):
    return {b["peer_id"]: b["host"] for b in vol["bricks"] if b["peer_id"]}


def flow_progress_rebalance_estimates():
    """A rebalance after 2 -> 4 bricks of FILES files: percent, time left and history as it runs;
    the timeline of a REST start."""
    with operator_token():
        make_volume()
        vol = add_bricks()
        data = {b["peer_id"] for b in vol["bricks"][:2]}
        _, job = api("POST", f"/volumes/{vol['id']}/rebalance", {}, expect=202)
        done = run_job("rebalance", job, E.TERMINAL, data, peer_names(vol))
        check(done["status"] == "succeeded", f"rebalance ended {done['status']}: {done.get('reason')}")
        changes = check_rest_start(done, timeline(done["id"]), "succeeded")
        check(changes[-1]["from"] == "running", f"state changes {[(c['from'], c['to']) for c in changes]}")


def flow_progress_remove_brick_estimates():
    """A remove-brick (with migration) of n1's two bricks of `prog`, committed through REST;
    the timeline of a REST start and commit."""
    with operator_token():
        vol = ensure_four_bricks()
        removed = [b for b in vol["bricks"] if b["host"] == "192.0.2.11"]
        check(len(removed) == 2, f"n1's bricks of prog: {removed}")
        names = [b["name"] for b in removed]
        fill(MORE_FILES, "e")
        _, job = api("POST", f"/volumes/{vol['id']}/bricks/remove", {"bricks": names}, expect=202)
        done = run_job("remove_brick", job, E.TERMINAL | {"awaiting_commit"},
                       {removed[0]["peer_id"]}, peer_names(vol))
        check(done["status"] == "awaiting_commit", f"removal {done['status']}: {done.get('reason')}")
        work = RESULTS["remove_brick"]["points"][-1]["nodes"]
        print(f"  remove_brick: work {[(k, n['work_total']) for k, n in work.items()]}")
        _, c = api("POST", f"/volumes/{vol['id']}/bricks/remove/commit", {"bricks": names}, expect=200)
        check(c["status"] == "succeeded", f"commit: {c['status']}")
        entries = timeline(done["id"])
        print(f"  timeline: {[(e['kind'], e['actor'], e['from'], e['to']) for e in entries]}")
        changes = check_rest_start(done, entries, "succeeded")
        asked = [e for e in entries if e["kind"] == "commit_requested"]
        check(len(asked) == 1 and asked[0]["actor"] == TOKEN_NAME, f"commit_requested {asked}")
        check(entries.index(asked[0]) < entries.index(changes[-1]), "the commit was asked after it succeeded")
        check(any(x["to"] == "awaiting_commit" for x in changes), f"changes {[(x['from'], x['to']) for x in changes]}")
        left = [b.findtext("name") for b in gluster_xml("n1", "volume", "info", VOLUME).iter("brick")]
        check(not set(names) & set(left), f"prog bricks now {left}")


def flow_timeline_cli_start_and_rest_stop():
    """A rebalance started with the gluster CLI is adopted (actor gluster-cli) and stopped through
    REST: stop_requested by the token, then the change to stopped."""
    with operator_token():
        if VOLUME not in volumes():
            make_volume()
        vol = wait(f"{VOLUME} in the inventory", lambda: volumes().get(VOLUME), 60)
        root = gluster_xml("n2", "volume", "rebalance", VOLUME, "start")
        ok(root, "CLI rebalance start")
        task = root.findtext("volRebalance/task-id")
        job = wait("the CLI rebalance to be adopted",
                   lambda: next(iter(E.jobs_of_task("rebalance", task)), None), 60)
        check(job["origin"] == "cli" and job["initiator"] is None, f"adopted {job}")
        status, stop = api("POST", f"/volumes/{vol['id']}/rebalance/stop")
        check(status == 200 and stop["job_status"] == "stopped", f"stop answered {status}: {stop}")
        _, j = api("GET", f"/jobs/{job['id']}", expect=200)
        entries = timeline(job["id"])
        print(f"  timeline: {[(e['kind'], e['actor'], e['from'], e['to']) for e in entries]}")
        changes = check_chain(entries, "adopted", "gluster-cli", "stopped")
        check(entries[0]["at"] == j["created_at"], f"adopted at {entries[0]['at']}, job {j['created_at']}")
        asked = [e for e in entries if e["kind"] == "stop_requested"]
        check(len(asked) == 1 and asked[0]["actor"] == TOKEN_NAME, f"stop_requested {asked}")
        check(entries.index(asked[0]) < entries.index(changes[-1]), "stop_requested after the change to stopped")
        check(not [e for e in entries if e["kind"] in ("created", "accepted")], f"unexpected entries {entries}")
        check(j["status"] == "stopped", f"job {j['status']}")


FLOWS = [flow_progress_rebalance_estimates, flow_progress_remove_brick_estimates,
         flow_timeline_cli_start_and_rest_stop]
