"""The `mapsvc` command line, run as a newcomer would run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2
import pytest

from mapsvc.infra.migrate import head_revision

MAPSVC = [sys.executable, "-m", "mapsvc.cli"]


def run(args, db_url, **kw):
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [*MAPSVC, *args], env=env, capture_output=True, text=True, timeout=300, **kw
    )


def counts(db_url):
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM party_orgs),"
            " (SELECT count(*) FROM grids), (SELECT md5(string_agg(name, ',' ORDER BY id))"
            " FROM members)"
        )
        return cur.fetchone()


def test_db_url_prints_the_configured_url(db_url):
    res = run(["db", "url"], db_url)
    assert res.returncode == 0
    assert res.stdout.strip() == db_url


def test_db_status_reports_postgis_and_revision(db_url):
    res = run(["db", "status"], db_url)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["database"] == "up"
    assert info["postgis"].startswith("3.")
    assert info["schema_revision"] == head_revision()


def test_db_migrate_is_idempotent(db_url):
    res = run(["db", "migrate"], db_url)
    assert res.returncode == 0, res.stderr
    assert head_revision() in res.stdout


def test_demo_load_if_empty_leaves_existing_data_alone(db_url):
    before = counts(db_url)
    res = run(["demo", "load", "--scale", "small", "--seed", "99", "--if-empty"], db_url)
    assert res.returncode == 0, res.stderr
    assert "left as it is" in res.stdout
    assert counts(db_url) == before


@pytest.mark.slow  # loads the small city twice
def test_demo_load_replaces_data_and_is_deterministic(db_url):
    from tests.conftest import DEMO_SEED

    before = counts(db_url)
    res = run(["demo", "load", "--scale", "small", "--seed", "99"], db_url)
    assert res.returncode == 0, res.stderr
    assert "members" in res.stdout and "loaded in" in res.stdout
    assert counts(db_url) != before
    # the fixture's city again, byte for byte: other tests see what they expect
    res = run(["demo", "load", "--scale", "small", "--seed", str(DEMO_SEED)], db_url)
    assert res.returncode == 0, res.stderr
    assert counts(db_url) == before


def test_unknown_scale_is_refused_with_a_message(db_url):
    before = counts(db_url)
    res = run(["demo", "load", "--scale", "huge"], db_url)
    assert res.returncode == 2
    assert "huge" in res.stderr
    assert counts(db_url) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts gunicorn and waits for its workers
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_health_over_http(db_url, workers):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url}
    proc = subprocess.Popen(
        [*MAPSVC, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parents[2],  # the repository
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = json.load(r)
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert body["database"] == "up"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
