#!/usr/bin/env python3
"""Uses the Python client generated from openapi.yaml the way a client author would: lists the
volumes, starts a rebalance with an Idempotency-Key (and retries it), waits for the job with the
long-poll and the ETag loop (If-None-Match, 304), and reads the volume's rebalance status. Run
by scripts/sdk-check against the demo.

Usage: TOKEN=... use_client.py ROOT_URL   (e.g. http://127.0.0.1:8080)
"""
import os
import sys
import time
import uuid

from gluster_tasks_client import AuthenticatedClient
from gluster_tasks_client.api.jobs import get_job
from gluster_tasks_client.api.rebalance import rebalance_status, start_rebalance
from gluster_tasks_client.api.volumes import list_volumes
from gluster_tasks_client.models import Job, JobStatus, Problem, RebalanceRequest
from gluster_tasks_client.types import UNSET


def fail(what):
    sys.exit(f"sdk check failed: {what}")


def main():
    client = AuthenticatedClient(base_url=sys.argv[1], token=os.environ["TOKEN"], timeout=None)
    with client:
        volumes = list_volumes.sync(client=client)
        if volumes is None or isinstance(volumes, Problem):
            fail(f"list_volumes answered {volumes}")
        dist = next((v for v in volumes.items if v.name == "dist"), None)
        if dist is None:
            fail(f"no volume dist in {[v.name for v in volumes.items]}")

        key = str(uuid.uuid4())
        first = start_rebalance.sync_detailed(
            dist.id, client=client, body=RebalanceRequest(fix_layout=False), idempotency_key=key)
        if first.status_code != 202 or not isinstance(first.parsed, Job):
            fail(f"start answered {first.status_code}: {first.content!r}")
        job = first.parsed
        retry = start_rebalance.sync_detailed(
            dist.id, client=client, body=RebalanceRequest(fix_layout=False), idempotency_key=key)
        if retry.status_code != 202 or retry.parsed.id != job.id:
            fail(f"the retry with the same key answered {retry.status_code}: {retry.content!r}")
        if retry.headers.get("idempotent-replayed") != "true":
            fail("the retry was not marked as replayed")

        # The ETag loop: send back the tag of the version held; 304 while it is current.
        deadline = time.time() + 120
        etag = UNSET  # the 202 carries no ETag: the first look is unconditional
        not_modified = 0
        while job.status not in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
            if time.time() > deadline:
                fail(f"job {job.id} still {job.status} after 120 s")
            got = get_job.sync_detailed(job.id, client=client, wait=10, if_none_match=etag)
            if got.status_code == 304:
                if got.content:
                    fail("a 304 with a body")
                not_modified += 1
                continue
            if got.status_code != 200 or not isinstance(got.parsed, Job):
                fail(f"get_job answered {got.status_code}: {got.content!r}")
            if got.headers.get("etag") in (None, etag):  # noqa: a new version, a new tag
                fail(f"a changed job came with the same or no ETag: {got.headers}")
            job, etag = got.parsed, got.headers["etag"]
        again = get_job.sync_detailed(job.id, client=client, if_none_match=etag)
        if again.status_code != 304:
            fail(f"an unchanged ended job with its ETag answered {again.status_code}, not 304")
        if job.status != JobStatus.SUCCEEDED:
            fail(f"job ended {job.status}: {job.reason}")
        if job.initiator != "demo":
            fail(f"initiator {job.initiator!r}, expected the demo token's name")

        status = rebalance_status.sync(dist.id, client=client)
        if status is None or isinstance(status, Problem):
            fail(f"rebalance_status answered {status}")
        if status.job_id != job.id or not status.nodes:
            fail(f"status {status}")
    print(f"generated client: volumes listed, job {job.id} succeeded, {len(status.nodes)} nodes reported")


if __name__ == "__main__":
    main()
