"""Requests/s of /api/v1/nearest (k=3) against the same server's /health (target ratio ≥ 0.70).

For each scale: a scratch database with the demo city, `mapsvc serve --workers 2` on it, and
wrk (health, nearest, health, nearest, health, nearest; the median of 3 rounds each) asking
for 1,000 seeded points in the district, 70 % in the urban core. Beside the ratio: p99
latencies and the SQL alone under pgbench (the KNN step of nearest.sql, then all of it).

BENCH_SCALES=city,province python -m bench nearest   (default: city,province; wrk: `make bench`)
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psycopg2
import shapely
from shapely import affinity, wkb
from sqlalchemy.engine import make_url

from geodata.demo import loader
from geodata.demo.places import CENTRE_LONLAT
from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.config import cluster_settings, external_database_url
from mapsvc.infra.db import database_url, engine_for, libpq_dsn
from mapsvc.lookup.service import query

TARGET_RATIO = 0.70
CORE_RADIUS_M = 4_000.0  # the urban core, where most people (and most lookups) are
N_POINTS = 1_000
SEED = 2026
ROUNDS = 3
WRK_ARGS = ["-t2", "-c8", "-d10s", "--latency"]
PGBENCH_ARGS = ["-n", "-c", "4", "-j", "2", "-T", "10"]
LUA = Path(__file__).parent / "wrk" / "paths_with_header.lua"
M_PER_DEG_LAT = 111_320.0


class BenchError(RuntimeError):
    """The benchmark could not run."""


def _core_deg() -> tuple[float, float]:
    """The core's radius in degrees of longitude and of latitude."""
    dlat = CORE_RADIUS_M / M_PER_DEG_LAT
    return dlat / math.cos(math.radians(CENTRE_LONLAT[1])), dlat


# ------------------------------------------------------------------ database and service
@contextmanager
def scratch_db(scale: str):
    """A new database holding the demo city at `scale`; dropped afterwards, even on error."""
    server = database_url()
    name = f"mapsvc_bench_nearest_{uuid.uuid4().hex[:8]}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    cluster.ensure_database(url)
    try:
        migrate.upgrade(url)
        loader.load(url, scale=scale, seed=SEED, progress=lambda _m: None)
        yield url
    finally:
        engine_for(url).dispose()
        maint = make_url(server).set(database="postgres").render_as_string(hide_password=False)
        conn = psycopg2.connect(libpq_dsn(maint))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server_process(cmd: list[str], env: dict, log: Path, probe: str, wait_s: float = 30):
    """Start a server (stderr to log, stdout dropped: access logs) and wait until `probe`
    answers 200; stop it afterwards."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{cmd[2]} exited ({proc.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(probe, timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"{probe} not 200 after {wait_s:g} s:\n{log.read_text()}")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serving(url: str, log: Path):
    """`mapsvc serve --workers 2` on the database at `url`; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "mapsvc.cli", "serve", "--port", str(port), "--workers", "2"]
    with server_process(cmd, {**os.environ, "DATABASE_URL": url}, log, base + "/health"):
        yield base


# ------------------------------------------------------------------ query points
def query_paths(url: str) -> list[str]:
    """N_POINTS seeded /api/v1/nearest paths in the district, 70 % within the urban core."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT ST_AsBinary(geom) FROM admin_areas WHERE level = 'district'")
        district = wkb.loads(bytes(cur.fetchone()[0]))
    conn.close()
    dlon, dlat = _core_deg()
    circle = affinity.scale(shapely.Point(CENTRE_LONLAT).buffer(1.0, 64), dlon, dlat)
    core = district.intersection(circle)
    rng = np.random.default_rng(SEED)

    def sample(area, n: int) -> np.ndarray:
        x0, y0, x1, y1 = area.bounds
        out = np.empty((0, 2))
        while len(out) < n:
            xy = rng.uniform((x0, y0), (x1, y1), size=(4 * n, 2))
            out = np.vstack([out, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
        return out[:n]

    n_core = round(N_POINTS * 0.7)
    points = rng.permutation(np.vstack([sample(core, n_core), sample(district, N_POINTS - n_core)]))
    return [
        f"/api/v1/nearest?lon={lon:.6f}&lat={lat:.6f}"
        f"&kind={'service_point' if i % 3 == 2 else 'branch'}&k=3"
        for i, (lon, lat) in enumerate(points)
    ]


# ------------------------------------------------------------------ wrk and pgbench
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def bench_token(url: str, name: str, role: str = "admin", scope: str | None = None) -> str:
    """An API token for a new account of the benchmark in the scratch database at url."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    with cursor(url) as cur:
        accounts.add_user(cur, name, role, scope, None)
        return accounts.issue_token(cur, name, label="benchmark")


def wrk(base: str, paths_file: Path, header: str = "", args: list[str] = WRK_ARGS) -> dict:
    """One wrk run (`args`, which must include --latency) over the paths in `paths_file`, each
    request with `header` if given: requests/s, p99 ms, non-2xx, socket errors."""
    cmd = ["wrk", *args, "-s", str(LUA), base, "--", str(paths_file), header]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = res.stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    if res.returncode != 0 or not rps or not p99:
        raise BenchError(f"wrk failed ({res.returncode}):\n{out}{res.stderr}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps[1]),
        "p99_ms": float(p99[1]) * _UNIT_MS[p99[2]],
        "non2xx": int(non2xx[1]) if non2xx else 0,
        "errors": sum(map(int, errors.groups())) if errors else 0,
    }


def pgbench(url: str, script: Path) -> float:
    """Transactions/s of `script` under pgbench."""
    exe = cluster_settings().bindir / "pgbench"
    cmd = [str(exe if exe.exists() else "pgbench"), *PGBENCH_ARGS, "-f", str(script)]
    res = subprocess.run([*cmd, libpq_dsn(url)], capture_output=True, text=True, check=False)
    tps = re.search(r"^tps = ([\d.]+)", res.stdout, re.M)
    failed = re.search(r"number of failed transactions: (\d+)", res.stdout)
    if res.returncode != 0 or not tps or (failed and int(failed[1])):
        raise BenchError(f"pgbench failed ({res.returncode}):\n{res.stdout}{res.stderr}")
    return float(tps[1])


def pgbench_scripts(folder: Path) -> dict[str, Path]:
    """pgbench scripts: the KNN step of nearest.sql, and all of it, in a box round the core."""
    dlon, dlat = _core_deg()
    (lon, lat), e5 = CENTRE_LONLAT, 100_000  # pgbench's random() draws integers: 1e-5 degrees
    point = (
        f"\\set ilon random({round((lon - dlon) * e5)}, {round((lon + dlon) * e5)})\n"
        f"\\set ilat random({round((lat - dlat) * e5)}, {round((lat + dlat) * e5)})\n"
        f"\\set lon :ilon / {e5}.0\n\\set lat :ilat / {e5}.0\n"
    )
    knn = (
        "SELECT id FROM branch_sites ORDER BY geog <-> "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography LIMIT 3;\n"
    )
    full = " ".join(
        line.strip() for line in query("nearest").splitlines() if not line.lstrip().startswith("--")
    )
    for old, new in {
        "{source}": "branch_sites",
        "{filter_column}": "category",
        "%(lon)s": ":lon",
        "%(lat)s": ":lat",
        "%(k)s": "3",
        "%(filter)s": "NULL",
        "%(max_m)s": "NULL",
    }.items():
        full = full.replace(old, new)
    scripts = {"knn": point + knn, "full": point + full + ";\n"}
    for name, text in scripts.items():
        (folder / f"{name}.sql").write_text(text)
    return {name: folder / f"{name}.sql" for name in scripts}


# ------------------------------------------------------------------ the benchmark
def bench_scale(scale: str, folder: Path) -> dict:
    """Load, serve and measure one scale."""
    with scratch_db(scale) as url:
        paths = folder / "nearest.txt"
        paths.write_text("\n".join(query_paths(url)) + "\n")
        (folder / "health.txt").write_text("/health\n")
        runs: dict[str, list[dict]] = {"health": [], "nearest": []}
        # /health is open; nearest is asked as a logged-in grid app would (a bearer token)
        headers = {
            "health": "",
            "nearest": f"Authorization: Bearer {bench_token(url, 'bench-nearest')}",
        }
        with serving(url, folder / f"serve-{scale}.log") as base:
            for _ in range(ROUNDS):
                for name in runs:
                    runs[name].append(wrk(base, folder / f"{name}.txt", headers[name]))
        sql = {name: pgbench(url, script) for name, script in pgbench_scripts(folder).items()}
    return {"runs": runs, "sql": sql}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _spread(runs: list[dict], key: str, fmt: str) -> str:
    values = [r[key] for r in runs]
    return f"{min(values):{fmt}}–{max(values):{fmt}}"


def main() -> None:
    """Measure each scale and print one line per scale, with the spread of the medians."""
    if shutil.which("wrk") is None:
        sys.exit("bench nearest needs wrk (the Debian package `wrk`): run `make bench`")
    if not external_database_url():
        cluster.up()
    scales = os.environ.get("BENCH_SCALES", "city,province").split(",")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-nearest-") as tmp:
        for scale in scales:
            results[scale] = bench_scale(scale, Path(tmp))
    print(
        f"{'scale':<6} {'health rps':>10} {'nearest rps':>11} {'ratio (target ≥ 0.70)':>22} "
        f"{'nearest p99 ms':>14} {'health p99 ms':>13} {'raw KNN SQL tps':>15} "
        f"{'full nearest.sql tps':>20}"
    )
    failures, fatal = [], False
    for scale, r in results.items():
        h, n = r["runs"]["health"], r["runs"]["nearest"]
        ratio = _median(n, "rps") / _median(h, "rps")
        verdict = "ok" if ratio >= TARGET_RATIO else "LOW"
        print(
            f"{scale:<6} {_median(h, 'rps'):>10.0f} {_median(n, 'rps'):>11.0f} "
            f"{ratio:>17.2f} {verdict:>4} {_median(n, 'p99_ms'):>14.1f} "
            f"{_median(h, 'p99_ms'):>13.1f} {r['sql']['knn']:>15.0f} {r['sql']['full']:>20.0f}"
        )
        print(
            f"{'':<6} {_spread(h, 'rps', '.0f'):>10} {_spread(n, 'rps', '.0f'):>11} "
            f"{'':>22} {_spread(n, 'p99_ms', '.1f'):>14} {_spread(h, 'p99_ms', '.1f'):>13}"
            f"   (min–max of {ROUNDS} runs of wrk {' '.join(WRK_ARGS)})"
        )
        for name, runs in r["runs"].items():
            bad = sum(x["non2xx"] for x in runs)
            errors = sum(x["errors"] for x in runs)
            if bad or errors:
                failures.append(f"{scale} {name}: {bad} non-2xx responses, {errors} socket errors")
            fatal = fatal or (name == "nearest" and bad > 0)
    for f in failures:
        print(f"!! FAILED REQUESTS: {f}")
    if fatal:
        sys.exit("bench nearest: /api/v1/nearest answered with errors (see above)")
