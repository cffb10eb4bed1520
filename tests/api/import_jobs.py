"""Helpers for tests that upload to /api/v1/imports: post, then follow the job to its end."""

from __future__ import annotations

import time

ENDED = ("succeeded", "rejected", "failed", "cancelled")


def wait_for(client, job_id: int, timeout: float = 60.0, until=ENDED) -> dict:
    """Poll GET /api/v1/imports/{id} until the job's status is one of until."""
    deadline = time.monotonic() + timeout
    while True:
        res = client.get(f"/api/v1/imports/{job_id}")
        assert res.status_code == 200, res.get_data(as_text=True)
        job = res.get_json()
        if job["status"] in until:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def post_import(client, data: dict):
    """POST the form; for a 202, the finished job (its report under "report"), else the
    response itself (a refusal before any job: 400, 403, 409, 413)."""
    res = client.post("/api/v1/imports", data=data, content_type="multipart/form-data")
    if res.status_code != 202:
        return res
    body = res.get_json()
    assert res.headers["Location"].endswith(f"/api/v1/imports/{body['id']}")
    return wait_for(client, body["id"])
