"""Imports are jobs, not requests (issue 13): bounded reports, limits, background jobs with
progress, cancel, one job per account.

The tests run on a database of their own (the small demo city), made here and dropped at the
end, because imports commit.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import uuid
from pathlib import Path

import psycopg2
import pytest

from mapsvc.exchange import imports, jobs
from mapsvc.infra.config import import_settings
from mapsvc.infra.db import libpq_dsn
from tests.api.import_jobs import post_import, wait_for
from tests.conftest import client_of, own_database


@pytest.fixture(scope="module")
def url(server_url):
    """A database of this module's own with the small demo city."""
    with own_database(server_url, "jobs") as u:
        yield u


@pytest.fixture()
def db(url):
    c = psycopg2.connect(libpq_dsn(url))
    c.autocommit = True
    try:
        yield c
    finally:
        c.close()


def q1(db, sql, params=()):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def a_committee(db) -> str:
    return q1(
        db,
        "SELECT code FROM party_orgs WHERE level = 'committee' AND status = 'active' "
        "AND parent_id IS NOT NULL ORDER BY code LIMIT 1",
    )


def write_csv(path: Path, rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def duplicate_orgs(tmp_path: Path, committee: str, n: int) -> tuple[Path, str]:
    dup = "D" + uuid.uuid4().hex[:10].upper()
    rows = [["code", "name", "level", "category", "parent_code"]]
    rows += [[dup, f"重复支部{i}", "branch", "community", committee] for i in range(n)]
    return write_csv(tmp_path / "dups.csv", rows), dup


# ------------------------------------------------------------------ the report stays small
def test_a_report_of_2000_duplicate_rows_is_small_and_counts_the_rest(tmp_path, url, db):
    path, dup = duplicate_orgs(tmp_path, a_committee(db), 2000)
    report = imports.import_file(url, path, "orgs", dry_run=True)
    size = len(json.dumps(report, ensure_ascii=False).encode())
    assert size < 100_000, size  # was 11 MB for 1,000 rows: each row listed every other
    assert report["status"] == "rejected" and report["rejected"] == 2000
    dups = [p for p in report["problems"] if p["code"] == "duplicate_in_file"]
    assert [p["row"] for p in dups] == list(range(2, 102))  # the first 100, in file order
    assert report["omitted"] == {"duplicate_in_file": 1900}
    # each names the first row holding the code, never every other row
    assert "第 2、" in dups[5]["message"] and f"{dup}" in dups[5]["message"]
    assert len(dups[-1]["message"]) < 200
    assert q1(db, "SELECT count(*) FROM party_orgs WHERE code = %s", (dup,)) == 0


# ------------------------------------------------------------------ jobs over HTTP
def a_branch(db) -> str:
    return q1(
        db,
        "SELECT code FROM party_orgs WHERE level = 'branch' AND status = 'active' "
        "AND category = 'community' ORDER BY code LIMIT 1",
    )


def members_file(db, n: int, tag: str | None = None) -> tuple[bytes, str]:
    """A members CSV of n rows, all named with one fresh tag (to count them afterwards)."""
    tag = tag or "J" + uuid.uuid4().hex[:8]
    branch = a_branch(db)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["org_code", "name", "gender", "birth_year", "joined_on", "status", "lon", "lat"])
    for i in range(n):
        w.writerow([branch, f"{tag}{i}", "F", 1990, "2015-07-01", "full", 109.7345, 38.2852])
    return out.getvalue().encode(), tag


def tagged(db, tag: str) -> int:
    return q1(db, "SELECT count(*) FROM members WHERE name LIKE %s", (tag + "%",))


def form(data: bytes, name: str = "m.csv", kind: str = "members", **more) -> dict:
    return {"kind": kind, "file": (io.BytesIO(data), name), **more}


def post(client, data: dict):
    return client.post("/api/v1/imports", data=data, content_type="multipart/form-data")


def test_an_upload_answers_202_with_a_job_whose_progress_advances(url, db):
    client = client_of(url)
    data, tag = members_file(db, 12_000)
    res = post(client, form(data, dry_run="true"))
    assert res.status_code == 202
    body = res.get_json()
    assert body["status"] == "queued" and body["links"]["self"] == f"/api/v1/imports/{body['id']}"
    assert res.headers["Location"].endswith(body["links"]["self"])
    seen = []
    job = wait_for(client, body["id"], until=("running",))
    while job["status"] == "running":
        seen.append(job["progress"].get("checked", 0))
        time.sleep(0.2)
        job = client.get(body["links"]["self"]).get_json()
    assert job["status"] == "succeeded", job
    assert job["report"]["status"] == "dry_run" and job["report"]["inserted"] == 12_000
    assert job["progress"]["checked"] == job["progress"]["total"] == 12_000
    assert len(set(seen)) >= 2 and seen == sorted(seen), seen  # it moved while it ran
    assert job["started_at"] and job["finished_at"] and tagged(db, tag) == 0  # a dry run


def test_the_report_of_a_job_is_bounded_too(tmp_path, url, db):
    client = client_of(url)
    path, dup = duplicate_orgs(tmp_path, a_committee(db), 2000)
    job = post_import(client, form(path.read_bytes(), "orgs.csv", kind="orgs"))
    assert job["status"] == "rejected"
    assert len(json.dumps(job, ensure_ascii=False).encode()) < 100_000
    assert job["report"]["omitted"] == {"duplicate_in_file": 1900}
    assert q1(db, "SELECT count(*) FROM party_orgs WHERE code = %s", (dup,)) == 0


def test_the_row_limit_is_stated_with_the_files_count_and_nothing_written(url, db):
    client = client_of(url, {"MAPSVC_IMPORT_MAX_ROWS": 50})
    data, tag = members_file(db, 120)
    job = post_import(client, form(data))
    assert job["status"] == "rejected"
    (p,) = job["report"]["problems"]
    assert p["code"] == "too_many_rows"
    assert "120" in p["message"] and "50" in p["message"] and "50 rows" in p["message_en"]
    assert tagged(db, tag) == 0


def test_the_size_limit_is_413_naming_limit_and_size_and_no_job(url, db):
    client = client_of(url, {"MAPSVC_IMPORT_MAX_MB": 0.05})
    data, tag = members_file(db, 2000)  # about 120 KB
    before = q1(db, "SELECT count(*) FROM import_jobs")
    res = post(client, form(data))
    assert res.status_code == 413
    body = res.get_json()
    assert body["code"] == "file_too_large"
    assert "0.05 MB" in body["message"] and "0.1 MB" in body["message_en"]
    assert q1(db, "SELECT count(*) FROM import_jobs") == before and tagged(db, tag) == 0


@pytest.fixture(scope="module")
def quiet_url(server_url):
    """An empty database no worker of this process serves: its jobs stay queued."""
    with own_database(server_url, "jobs_quiet", demo=False) as u:
        yield u


def test_one_job_per_account_a_second_upload_is_409_naming_the_first(quiet_url, url, db):
    client = client_of(quiet_url, {"MAPSVC_IMPORT_WORKERS": 0})  # nobody runs it
    data, _ = members_file(db, 3)
    first = post(client, form(data)).get_json()
    res = post(client, form(data))
    assert res.status_code == 409
    body = res.get_json()
    assert body["code"] == "import_running" and body["job"]["id"] == first["id"]
    assert str(first["id"]) in body["message"] and "m.csv" in body["message_en"]
    other = client_of(quiet_url, {"MAPSVC_IMPORT_WORKERS": 0})  # others are not held up
    second = post(other, form(data))
    assert second.status_code == 202
    for c, job in ((client, first), (other, second.get_json())):  # cancel while queued
        res = c.delete(f"/api/v1/imports/{job['id']}")
        assert res.status_code == 200 and res.get_json()["status"] == "cancelled"
    with psycopg2.connect(libpq_dsn(quiet_url)) as quiet, quiet.cursor() as cur:
        cur.execute("SELECT file_path FROM import_jobs WHERE id = %s", (first["id"],))
        assert cur.fetchone()[0] is None  # the upload is gone
    quiet.close()
    assert client.delete(f"/api/v1/imports/{first['id']}").status_code == 409  # ended


def test_cancelling_a_running_job_writes_nothing(url, db):
    client = client_of(url)
    data, tag = members_file(db, 40_000)
    job = post(client, form(data)).get_json()
    running = wait_for(client, job["id"], until=("running", "succeeded"))
    assert running["status"] == "running"
    stored = q1(db, "SELECT file_path FROM import_jobs WHERE id = %s", (job["id"],))
    assert os.path.exists(stored)
    res = client.post(f"/api/v1/imports/{job['id']}/cancel")
    assert res.status_code == 202 and res.get_json()["cancel_requested"]
    ended = wait_for(client, job["id"])
    assert ended["status"] == "cancelled", ended["status"]
    assert ended["report"]["status"] == "cancelled" and ended["report"]["inserted"] == 0
    assert tagged(db, tag) == 0
    assert not os.path.exists(stored)  # the upload was deleted when the job ended


def test_a_job_is_seen_by_its_account_and_admins_only(url, db):
    data, tag = members_file(db, 2)
    secretary = client_of(url, role="secretary", scope=a_branch(db))
    job = post_import(secretary, form(data, dry_run="true"))
    assert job["status"] == "succeeded", job
    stranger = client_of(url, role="secretary", scope=a_branch(db))
    assert stranger.get(f"/api/v1/imports/{job['id']}").status_code == 404
    assert stranger.delete(f"/api/v1/imports/{job['id']}").status_code == 404
    assert stranger.post(f"/api/v1/imports/{job['id']}/cancel").status_code == 404
    assert job["id"] not in [j["id"] for j in stranger.get("/api/v1/imports").get_json()["jobs"]]
    assert job["id"] in [j["id"] for j in secretary.get("/api/v1/imports").get_json()["jobs"]]
    admin = client_of(url)
    assert admin.get(f"/api/v1/imports/{job['id']}").get_json()["report"]["status"] == "dry_run"
    assert tagged(db, tag) == 0


def test_a_written_job_is_audited_as_its_account_with_its_address(url, db):
    data, tag = members_file(db, 3)
    name = f"t-importer-{uuid.uuid4().hex[:8]}"
    client = client_of(url, role="org_admin", scope=a_branch(db), name=name)
    job = post_import(client, form(data))
    assert job["status"] == "succeeded" and tagged(db, tag) == 3
    with db.cursor() as cur:
        cur.execute(
            "SELECT action, target, remote_addr, detail FROM audit_log WHERE user_name = %s",
            (name,),
        )
        got = cur.fetchall()
    assert [(a, t, r, d["inserted"]) for a, t, r, d in got] == [
        ("import_members", "members", "127.0.0.1", 3)
    ]


def test_a_job_whose_process_died_is_failed_at_the_next_claim(url, db):
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO import_jobs (user_name, kind, file_name, status, started_at, "
            "heartbeat_at) VALUES ('ghost', 'members', 'x.csv', 'running', "
            "now() - interval '10 minutes', now() - interval '5 minutes') RETURNING id"
        )
        (ghost,) = cur.fetchone()
    jobs.claim(url, import_settings({"MAPSVC_IMPORT_STALE_S": 60}))
    with db.cursor() as cur:
        cur.execute("SELECT status, error FROM import_jobs WHERE id = %s", (ghost,))
        status, error = cur.fetchone()
    assert status == "failed" and error["code"] == "import_failed"
    assert "进程" in error["message"] and "process" in error["message_en"]
