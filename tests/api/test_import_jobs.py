"""Imports are jobs, not requests (issue 13): bounded reports, limits, background jobs with
progress, cancel, one job per account.

The tests run on a database of their own (the small demo city), made here and dropped at the
end, because imports commit.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import psycopg2
import pytest

from mapsvc.exchange import imports
from mapsvc.infra.db import engine_for, libpq_dsn
from tests.conftest import DEMO_SEED, _drop_database, _migrated_database


@pytest.fixture(scope="module")
def url(server_url):
    """A database of this module's own with the small demo city."""
    from geodata.demo import loader

    name, u = _migrated_database(server_url, "jobs")
    try:
        loader.load(u, scale="small", seed=DEMO_SEED, progress=lambda _m: None)
        yield u
    finally:
        engine_for(u).dispose()
        _drop_database(server_url, name)


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
