"""Time `mapsvc import` of 100,000 members from XLSX (target < 60 s) on a scratch database.

The scratch database gets the `city` demo (BENCH_IMPORT_SCALE, default city); the sheet is
generated with Chinese headers and the city's branch codes, the way an org department's
花名册 looks; then the command line imports it, as an operator would run it.

BENCH_IMPORT_ROWS=100000 python -m bench imports
"""

from __future__ import annotations

import datetime as dt
import json
import os
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


def make_sheet(path: str, branch_codes: list[str], n: int, seed: int = 2026) -> None:
    """A members XLSX of n rows spread over the given branches."""
    import openpyxl

    rng = np.random.default_rng(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("党员")
    ws.append(HEADER)
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
        ws.append(
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
    wb.save(path)


def main() -> None:
    """Import a generated 100k-member sheet into a scratch city and report against the target."""
    if not external_database_url():
        cluster.up()
    server = database_url()
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
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
            cur.execute("SELECT count(*) FROM members")
            before = cur.fetchone()[0]
        with tempfile.TemporaryDirectory(prefix="mapsvc-bench-") as tmp:
            sheet = os.path.join(tmp, "members.xlsx")
            t0 = time.monotonic()
            make_sheet(sheet, branches, rows)
            made = time.monotonic() - t0
            size_mb = os.path.getsize(sheet) / 1e6
            t0 = time.monotonic()
            res = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "mapsvc.cli",
                    "import",
                    sheet,
                    "--kind",
                    "members",
                    "--json",
                ],
                env={**os.environ, "DATABASE_URL": url},
                capture_output=True,
                text=True,
            )
            took = time.monotonic() - t0
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
            f"ratio {took / TARGET_S:.2f}"
        )
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
