"""Helpers of scripts/bench: building, processes, HTTP, wrk and /proc readings, seeding and
serving. Python 3 standard library only."""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR = "bench-operator-token-0123456789abcdef"
VIEWER = "bench-viewer-token-0123456789abcdef"
CLUSTER = "bench"

TICK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(msg)
    sys.exit(1)


# ---------------------------------------------------------------- tools

def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is missing: apt-get install -y wrk")
    cmd = ["apt-get", "install", "-y", "wrk"]
    if os.geteuid() != 0:
        cmd = ["sudo", "-n"] + cmd
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0 or not shutil.which("wrk"):
        die("could not install wrk (apt package `wrk`); install it and run again")


def build():
    log("building release binaries (gluster-tasks, bench-seed, bench-bare)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "gluster-tasks", "-p", "bench"],
                   cwd=ROOT, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    target = json.loads(meta.stdout)["target_directory"]
    return {name: os.path.join(target, "release", name)
            for name in ("gluster-tasks", "bench-seed", "bench-bare")}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, token=None, method="GET", headers=None, timeout=60):
    """(status, headers, body bytes) of one request."""
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if method == "POST":
        req.add_header("Content-Type", "application/json")
        req.data = b"{}"
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get_json(url, token=VIEWER):
    status, _, body = http(url, token)
    if status != 200:
        raise RuntimeError(f"GET {url}: {status} {body[:200]!r}")
    return json.loads(body)


def proc_status(pid):
    """VmRSS and VmHWM in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0]) / 1024
    return out


def cpu_secs(pid):
    """utime + stime of the process itself (not its children), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wrk(url, secs, token=VIEWER, headers=()):
    """Requests/s, p50 ms, p99 ms and non-2xx/3xx answers of wrk -t1 -c64 --latency."""
    cmd = ["wrk", "-t1", "-c64", f"-d{secs}s", "--latency", "--timeout", "60s",
           "-H", f"Authorization: Bearer {token}"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    def ms(pct):
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms(50), "p99": ms(99),
            "bad": int(bad.group(1)) if bad else 0, "n": int(total.group(1)) if total else 0}


# ---------------------------------------------------------------- processes

class Proc:
    def __init__(self, argv, logfile, env=None):
        self.log = open(logfile, "w")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  env=env, start_new_session=True)
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


def wait_until(what, check, timeout):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            if check():
                return
        except (OSError, RuntimeError, ValueError) as e:
            last = e
        time.sleep(0.2)
    die(f"timed out waiting for {what} ({last})")


def seed(bins, work, name, url, size, **kw):
    facts = os.path.join(work, f"{name}.facts.json")
    state = os.path.join(work, f"{name}.sim.json")
    argv = [bins["bench-seed"], "--database-url", url, "--sim-state", state, "--facts", facts]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    log(f"{name}: seeding ({' '.join(argv[1:])})")
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    with open(facts) as f:
        out = json.load(f)
    out["state"] = state
    log(f"{name}: seeded {out['jobs']} jobs, {out['volumes']} volumes in {out['seconds']:.1f} s")
    return out


def serve(bins, work, name, url, state, retention_days=30.0):
    port = free_port()
    sha = lambda t: hashlib.sha256(t.encode()).hexdigest()
    hosts = "".join(
        f'[[clusters.hosts]]\naddress = "server{n}"\n'
        f'command = {json.dumps([bins["gluster-tasks"], "gluster-sim", "--state", state, "--task-secs", "86400", "--node", str(n)])}\n'
        for n in (1, 2, 3))
    config = f"""bind = "127.0.0.1:{port}"
database_url = {json.dumps(url)}

[poll]
active_interval_secs = 2
idle_interval_secs = 10
inventory_interval_secs = 60
job_retention_days = {retention_days}

[[tokens]]
name = "operator"
role = "operator"
sha256 = "{sha(OPERATOR)}"

[[tokens]]
name = "viewer"
role = "viewer"
sha256 = "{sha(VIEWER)}"

[[clusters]]
name = "{CLUSTER}"
{hosts}"""
    path = os.path.join(work, f"{name}.toml")
    with open(path, "w") as f:
        f.write(config)
    env = dict(os.environ, RUST_LOG="info")
    for k in list(env):
        if k.startswith("GLUSTER_TASKS_") or k == "DATABASE_URL":
            del env[k]
    p = Proc([bins["gluster-tasks"], "serve", "--config", path],
             os.path.join(work, f"{name}.log"), env)
    p.base = f"http://127.0.0.1:{port}"
    p.api = p.base + "/api/v1"
    p.started = time.time()
    wait_until(f"{name}: /healthz", lambda: http(p.base + "/healthz", timeout=2)[0] == 200, 60)
    return p


def poller(p):
    c = get_json(p.api + "/clusters")["items"][0]["poller"]
    return c


def wait_settled(p, facts, running, timeout=180):
    """The poller has run twice and adopted the running tasks (the seed wrote the inventory)."""
    def ok():
        jobs = get_json(p.api + "/jobs?status=running&limit=500")["items"]
        return len(jobs) >= running and poller(p)["cycles"] >= 2
    wait_until("the inventory and the running tasks", ok, timeout)
