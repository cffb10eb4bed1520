"""Imports: 100,000 members from XLSX (target < 60 s), and a large CSV in bounded memory.

The scratch database gets the `city` demo (BENCH_IMPORT_SCALE, default city); the files are
generated with Chinese headers and the city's branch codes, the way an org department's
花名册 looks; then the command line imports them, as an operator would run it (the command
runs the same job code as the API's background worker, in its own process).

Cases (BENCH_IMPORT_CASES, default "xlsx,large"):
  xlsx   BENCH_IMPORT_ROWS (100,000) members from XLSX, written; time against the target.
  large  BENCH_IMPORT_LARGE_ROWS (600,000) members as CSV (about 48 MB), a dry run; prints
         the import process's peak RSS and rows/s. BENCH_IMPORT_PYTHONPATH runs another copy
         of the code (the "before" measurement).

python -m bench imports
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

import numpy as np
import psycopg2
from sqlalchemy.engine import make_url

from geodata.demo import loader
from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import database_url, engine_for, libpq_dsn

TARGET_S = 60.0
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰凤梅海燕云鹏飞宇浩然"
HEADER = [
    "所在支部编码",
    "姓名",
    "性别",
    "出生年份",
    "入党日期",
    "党员状态",
    "手机号码",
    "经度",
    "纬度",
]


def member_rows(branch_codes: list[str], n: int, seed: int = 2026):
    """n members' cells (HEADER's columns) spread over the given branches."""
    rng = np.random.default_rng(seed)
    orgs = rng.integers(0, len(branch_codes), n)
    births = rng.integers(1940, 2003, n)
    join_age = rng.integers(18, 40, n)
    months = rng.integers(1, 13, n)
    days = rng.integers(1, 29, n)
    lon = 109.73 + rng.normal(0, 0.03, n)
    lat = 38.28 + rng.normal(0, 0.03, n)
    phones = rng.integers(0, 10**8, n)
    sur = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(-len(GIVEN) // 2, len(GIVEN), n)
    for i in range(n):
        joined_year = min(int(births[i] + join_age[i]), 2025)
        yield (
            [
                branch_codes[orgs[i]],
                SURNAMES[sur[i]] + GIVEN[g1[i]] + (GIVEN[g2[i]] if g2[i] >= 0 else ""),
                "男" if i % 3 else "女",
                int(births[i]),
                dt.date(joined_year, int(months[i]), int(days[i])),
                "预备党员" if i % 20 == 0 else "正式党员",
                f"13{i % 10}{phones[i]:08d}",
                round(float(lon[i]), 6),
                round(float(lat[i]), 6),
            ]
        )


def make_sheet(path: str, branch_codes: list[str], n: int, seed: int = 2026) -> None:
    """A members XLSX of n rows spread over the given branches."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("党员")
    ws.append(HEADER)
    for row in member_rows(branch_codes, n, seed):
        ws.append(row)
    wb.save(path)


def make_csv(path: str, branch_codes: list[str], n: int, seed: int = 2026) -> None:
    """The same members as a UTF-8 CSV (with BOM, as Excel saves it)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for row in member_rows(branch_codes, n, seed):
            w.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])


def _import(url: str, path: str, *flags: str, pythonpath: str | None = None):
    """Run `mapsvc import` in a child process: (result, seconds, child's peak RSS in MB).

    The children are run one at a time, so RUSAGE_CHILDREN's maximum grows only when this
    child's peak is above all earlier ones; the generator's own memory is not counted."""
    env = {**os.environ, "DATABASE_URL": url}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "mapsvc.cli", "import", path, "--kind", "members", *flags],
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return res, took, (peak if peak > before else float("nan")) / 1024


def _xlsx_case(url: str, branches: list[str], scale: str) -> None:
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM members")
        before = cur.fetchone()[0]
    with tempfile.TemporaryDirectory(prefix="mapsvc-bench-") as tmp:
        sheet = os.path.join(tmp, "members.xlsx")
        t0 = time.monotonic()
        make_sheet(sheet, branches, rows)
        made = time.monotonic() - t0
        size_mb = os.path.getsize(sheet) / 1e6
        res, took, peak = _import(url, sheet, "--json")
    report = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM members")
        added = cur.fetchone()[0] - before
    if res.returncode != 0 or added != rows:
        print(res.stdout[-3000:], res.stderr[-3000:])
        raise SystemExit(f"import failed: exit {res.returncode}, {added:,} of {rows:,} rows")
    t = report.get("timings", {})
    print(
        f"sheet: {rows:,} members, {size_mb:.1f} MB, {len(branches):,} branches "
        f"({scale} demo), generated in {made:.1f} s"
    )
    print(
        f"mapsvc import --kind members  {took:6.1f} s  ({added:,} inserted, status "
        f"{report.get('status')}; read {t.get('read_s')} s, check {t.get('check_s')} s, "
        f"write {t.get('write_s')} s)  target < {TARGET_S:.0f} s  "
        f"ratio {took / TARGET_S:.2f}  peak RSS {peak:.0f} MB"
    )


def _large_case(url: str, branches: list[str]) -> None:
    rows = int(os.environ.get("BENCH_IMPORT_LARGE_ROWS", "600000"))
    code = os.environ.get("BENCH_IMPORT_PYTHONPATH")
    with tempfile.TemporaryDirectory(prefix="mapsvc-bench-") as tmp:
        path = os.path.join(tmp, "members.csv")
        t0 = time.monotonic()
        make_csv(path, branches, rows)
        made = time.monotonic() - t0
        size_mb = os.path.getsize(path) / 1e6
        res, took, peak = _import(url, path, "--dry-run", "--json", pythonpath=code)
    report = json.loads(res.stdout) if res.stdout.strip().startswith("{") else {}
    print(f"csv: {rows:,} members, {size_mb:.1f} MB, generated in {made:.1f} s")
    if res.returncode != 0 or report.get("status") != "dry_run":
        print(res.stdout[-2000:], res.stderr[-2000:])
        print(f"large dry run FAILED: exit {res.returncode} after {took:.1f} s")
        return
    t = report.get("timings", {})
    print(
        f"mapsvc import --dry-run (large)  {took:6.1f} s  {rows / took:,.0f} rows/s  "
        f"peak RSS {peak:.0f} MB  (read {t.get('read_s')} s, check {t.get('check_s')} s, "
        f"write {t.get('write_s')} s{', code ' + code if code else ''})"
    )


def main() -> None:
    """Run the import cases (BENCH_IMPORT_CASES) on a scratch city."""
    if not external_database_url():
        cluster.up()
    server = database_url()
    cases = os.environ.get("BENCH_IMPORT_CASES", "xlsx,large").split(",")
    scale = os.environ.get("BENCH_IMPORT_SCALE", "city")
    name = f"mapsvc_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    cluster.ensure_database(url)
    try:
        migrate.upgrade(url)
        loader.load(url, scale=scale, seed=2026, progress=lambda _m: None)
        with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT code FROM party_orgs WHERE is_branch_level AND status = 'active' "
                "ORDER BY code"
            )
            branches = [r[0] for r in cur.fetchall()]
        if "large" in cases:
            _large_case(url, branches)
        if "xlsx" in cases:
            _xlsx_case(url, branches, scale)
    finally:
        engine_for(url).dispose()
        maint = make_url(server).set(database="postgres").render_as_string(hide_password=False)
        conn = psycopg2.connect(libpq_dsn(maint))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


if __name__ == "__main__":
    main()
