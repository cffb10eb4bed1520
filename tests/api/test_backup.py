"""The restore drill: `mapsvc db backup`, change rows, `mapsvc db restore`, the same rows."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from mapsvc.infra.db import libpq_dsn
from mapsvc.infra.migrate import head_revision
from tests.conftest import _drop_database

MAPSVC = [sys.executable, "-m", "mapsvc.cli"]
TABLES = ("members", "party_orgs", "grids", "service_points", "users", "audit_log")


def run(args, url):
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [*MAPSVC, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def fingerprint(url) -> dict:
    """Row count and a checksum of every row, per table, plus the schema revision."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        found = {}
        for table in TABLES:
            cur.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), ''))"
                f" FROM {table} t"
            )
            found[table] = cur.fetchone()
        cur.execute("SELECT version_num FROM alembic_version")
        found["revision"] = cur.fetchone()[0]
    return found


def change(url) -> None:
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM members WHERE id IN (SELECT id FROM members LIMIT 50)")
        cur.execute("UPDATE party_orgs SET name = name || '（改）'")
        cur.execute(
            "INSERT INTO audit_log (user_name, action, target) VALUES ('drill', 'drill', 'x')"
        )


@pytest.fixture()
def drill_url(db_url):
    """A database name of the drill's own on the test server, dropped afterwards."""
    name = f"mapsvc_test_drill_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = make_url(db_url).set(database=name).render_as_string(hide_password=False)
    yield url
    _drop_database(db_url, name)


@pytest.mark.slow
def test_restore_drill_brings_back_the_same_rows(db_url, drill_url, tmp_path):
    dump = tmp_path / "mapsvc.dump"
    res = run(["db", "backup", str(dump)], db_url)
    assert res.returncode == 0, res.stderr
    assert dump.stat().st_size > 10_000 and str(dump) in res.stdout
    original = fingerprint(db_url)
    assert original["members"][0] > 50

    # into a database that does not exist yet: no confirmation needed
    res = run(["db", "restore", str(dump)], drill_url)
    assert res.returncode == 0, res.stderr
    assert head_revision() in res.stdout
    assert fingerprint(drill_url) == original

    change(drill_url)
    changed = fingerprint(drill_url)
    assert changed["members"] != original["members"]
    assert changed["party_orgs"] != original["party_orgs"]
    assert changed["audit_log"][0] == original["audit_log"][0] + 1

    # over data: refused without --yes, nothing touched
    res = run(["db", "restore", str(dump)], drill_url)
    assert res.returncode == 1
    assert "--yes" in res.stderr
    assert fingerprint(drill_url) == changed

    res = run(["db", "restore", str(dump), "--yes"], drill_url)
    assert res.returncode == 0, res.stderr
    assert fingerprint(drill_url) == original


@pytest.mark.slow
def test_a_dump_of_a_newer_schema_or_no_dump_is_refused_and_nothing_changes(
    db_url, drill_url, tmp_path
):
    dump = tmp_path / "mapsvc.dump"
    assert run(["db", "backup", str(dump)], db_url).returncode == 0
    assert run(["db", "restore", str(dump)], drill_url).returncode == 0
    with psycopg2.connect(libpq_dsn(drill_url)) as conn, conn.cursor() as cur:
        cur.execute("UPDATE alembic_version SET version_num = '9999'")
    newer = tmp_path / "newer.dump"
    assert run(["db", "backup", str(newer)], drill_url).returncode == 0
    change(drill_url)
    before = fingerprint(drill_url)

    res = run(["db", "restore", str(newer), "--yes"], drill_url)
    assert res.returncode == 1
    assert "9999" in res.stderr and "upgrade" in res.stderr
    res = run(["db", "restore", str(tmp_path / "missing.dump"), "--yes"], drill_url)
    assert res.returncode == 1
    assert "missing.dump" in res.stderr
    assert fingerprint(drill_url) == before
