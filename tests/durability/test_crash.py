"""Durability of position reports, against a throwaway PostgreSQL cluster and a real server.

* An acknowledged write (a 200 to POST /api/v1/positions) survives `kill -9` of every
  PostgreSQL server process and the restart, which runs crash recovery; the SAME running
  service reconnects by itself: /health says 503 while the database is down and 200 soon
  after it is back, and writes and reads work again without restarting the service.
* A refused batch leaves no row, whether refused by validation or by the database in the
  middle of its transaction.

The cluster lives in a temporary folder (or /var/tmp when the postgres user cannot reach
it), listens on a free port, and is stopped and deleted at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest
from werkzeug.serving import make_server

from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.config import ClusterSettings
from mapsvc.infra.db import engine_for, libpq_dsn
from tests.conftest import token_for

BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))
CST = dt.timezone(dt.timedelta(hours=8))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A throwaway cluster with the small demo city, and the app served over HTTP on it."""
    assert (BINDIR / "initdb").exists(), (
        f"PostgreSQL binaries not found in {BINDIR} (set PG_BINDIR)"
    )
    from geodata.demo import loader
    from mapsvc.app import create_app

    cfg = ClusterSettings(
        var_dir=tmp_path_factory.mktemp("durability"), port=_free_port(), bindir=BINDIR
    )
    server = None
    url = None
    try:
        url = cluster.up(cfg)
        migrate.upgrade(url)
        loader.load(url, scale="small", seed=7, progress=lambda _m: None)
        server = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": url}), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with psycopg2.connect(libpq_dsn(url)) as c, c.cursor() as cur:
            cur.execute("SELECT id FROM members ORDER BY id LIMIT 3")
            members = [r[0] for r in cur.fetchall()]
        c.close()
        yield SimpleNamespace(
            cfg=cfg,
            url=url,
            base=f"http://127.0.0.1:{server.server_port}",
            members=members,
            token=token_for(url),
        )
    finally:
        if server is not None:
            server.shutdown()
        if url is not None:
            engine_for(url).dispose()
        cluster.destroy(cfg)


def call(live, method: str, path: str, body=None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        live.base + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {live.token}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=15) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def reports(member: int, n: int, **kw) -> list[dict]:
    now = dt.datetime.now(CST)
    return [
        {
            "report_id": f"durable-{uuid.uuid4().hex}",
            "member_id": member,
            "lon": 109.7345 + 0.0001 * k,
            "lat": 38.2852,
            "reported_at": (now - dt.timedelta(seconds=n - k)).isoformat(),
            "accuracy_m": 8,
            **kw,
        }
        for k in range(n)
    ]


def rows_with(live, report_ids: list[str]) -> int:
    with psycopg2.connect(libpq_dsn(live.url)) as c, c.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM member_positions WHERE report_id = ANY(%s)", (report_ids,)
        )
        n = cur.fetchone()[0]
    c.close()
    return n


def _server_pids(postmaster: int) -> list[int]:
    """The postmaster and its children (backends, checkpointer, WAL writer, …)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(entry.name))
    return [postmaster, *children]


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()  # a zombie still counts: it holds the pid


def kill_server(live) -> None:
    """kill -9 the PostgreSQL server: postmaster first, then every child, no shutdown."""
    data = Path(cluster.status(live.cfg)["data_dir"])
    postmaster = int((data / "postmaster.pid").read_text().splitlines()[0])
    pids = _server_pids(postmaster)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # The new postmaster refuses to start while the old pid exists (even as a zombie),
    # so wait for the processes to be reaped.
    deadline = time.monotonic() + 20
    while not all(_gone(p) for p in pids):
        assert time.monotonic() < deadline, "killed PostgreSQL processes were not reaped"
        time.sleep(0.1)


def wait_for_health(live, status: int, within_s: float) -> float:
    t0 = time.monotonic()
    while True:
        got, body = call(live, "GET", "/health")
        if got == status:
            return time.monotonic() - t0
        assert time.monotonic() - t0 < within_s, f"/health still {got} after {within_s} s: {body}"
        time.sleep(0.2)


def test_acknowledged_reports_survive_kill_9_and_the_service_reconnects(live):
    member = live.members[0]
    batch = reports(member, 25)
    ids = [r["report_id"] for r in batch]
    status, body = call(live, "POST", "/api/v1/positions", {"reports": batch})
    assert (status, body["stored"]) == (200, 25)  # acknowledged
    # warm the service's connection pool, so it holds connections the crash will break
    assert call(live, "GET", f"/api/v1/members/{member}/positions")[0] == 200

    kill_server(live)
    assert not cluster.is_running(live.cfg)
    wait_for_health(live, 503, within_s=10)
    status, body = call(live, "POST", "/api/v1/positions", {"reports": reports(member, 2)})
    assert status == 503 and body["code"] == "database_unavailable"
    assert call(live, "GET", f"/api/v1/members/{member}/positions")[0] == 503

    cluster.up(live.cfg)  # crash recovery replays the WAL
    log = Path(cluster.status(live.cfg)["data_dir"]).parent / "postgres.log"
    assert "not properly shut down" in log.read_text()  # it was a crash, not a shutdown
    took = wait_for_health(live, 200, within_s=10)
    assert took < 10

    # the same running service reads the acknowledged reports back…
    status, body = call(live, "GET", f"/api/v1/members/{member}/positions?limit=100")
    assert status == 200
    assert set(ids) <= {i["report_id"] for i in body["items"]}
    assert rows_with(live, ids) == 25
    with psycopg2.connect(libpq_dsn(live.url)) as c, c.cursor() as cur:
        cur.execute("SELECT current_at FROM members WHERE id = %s", (member,))
        assert cur.fetchone()[0] == dt.datetime.fromisoformat(batch[-1]["reported_at"])
    c.close()
    # …and writes again: a resend is recognised, new reports are stored
    status, body = call(live, "POST", "/api/v1/positions", {"reports": batch})
    assert (status, body["stored"], body["duplicates"]) == (200, 0, 25)
    fresh = reports(member, 3)
    status, body = call(live, "POST", "/api/v1/positions", {"reports": fresh})
    assert (status, body["stored"]) == (200, 3)
    assert rows_with(live, [r["report_id"] for r in fresh]) == 3


def test_a_batch_with_one_bad_report_leaves_no_row(live):
    member = live.members[1]
    batch = reports(member, 10)
    batch[7]["lon"], batch[7]["lat"] = batch[7]["lat"], batch[7]["lon"]  # swapped
    status, body = call(live, "POST", "/api/v1/positions", {"reports": batch})
    assert status == 400 and body["code"] == "invalid_reports" and body["kept"] is False
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(7, "swapped_lonlat")]
    assert rows_with(live, [r["report_id"] for r in batch]) == 0


def test_a_batch_the_database_refuses_midway_leaves_no_row(live):
    """A failure after some rows are inserted (here a trigger raising on one report) rolls
    back the whole batch: no history row and no moved current position."""
    member = live.members[2]
    batch = reports(member, 10)
    batch[-1]["report_id"] = f"boom-{uuid.uuid4().hex}"
    with psycopg2.connect(libpq_dsn(live.url)) as c, c.cursor() as cur:
        cur.execute(
            """
            CREATE FUNCTION test_boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.report_id LIKE 'boom-%' THEN RAISE EXCEPTION 'boom'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_boom BEFORE INSERT ON member_positions
                FOR EACH ROW EXECUTE FUNCTION test_boom();
            """
        )
        cur.execute("SELECT current_at FROM members WHERE id = %s", (member,))
        before = cur.fetchone()[0]
    c.close()
    try:
        status, body = call(live, "POST", "/api/v1/positions", {"reports": batch})
        assert status == 500 and body["code"] == "internal_error"
        assert rows_with(live, [r["report_id"] for r in batch]) == 0
        with psycopg2.connect(libpq_dsn(live.url)) as c, c.cursor() as cur:
            cur.execute("SELECT current_at FROM members WHERE id = %s", (member,))
            assert cur.fetchone()[0] == before
    finally:
        with psycopg2.connect(libpq_dsn(live.url)) as c, c.cursor() as cur:
            cur.execute("DROP TRIGGER test_boom ON member_positions; DROP FUNCTION test_boom()")
        c.close()
    # without the trigger the same batch goes in
    status, body = call(live, "POST", "/api/v1/positions", {"reports": batch})
    assert (status, body["stored"]) == (200, 10)
