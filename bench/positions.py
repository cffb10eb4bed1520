"""Position reports/s through POST /api/v1/positions at `city` scale (target ≥ 2,000/s).

A scratch database with the demo city, `mapsvc serve --workers 2` on it, and CLIENTS
concurrent clients (threads, one keep-alive http.client connection each) posting batches of
BATCH reports for ROUND_S seconds, ROUNDS times; 5 % of the batches are resends of a batch
already sent (they must store nothing). Reports come for random members near their homes,
a quarter of them in GCJ-02 or BD-09 as WeChat, Gaode and Baidu maps give them.

Printed per round and as the median of the rounds: reports sent, unique reports, reports/s
(sent and newly stored), p50/p99 batch latency. Afterwards the database must hold exactly
the unique reports sent (and no member's current position older than their latest report):
anything else FAILS the benchmark.

BENCH_CLIENTS=8 BENCH_ROUND_S=20 python -m bench positions
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psycopg2

from bench.nearest import bench_token, scratch_db, serving
from geodata import crs
from geodata.demo.places import CENTRE_LONLAT
from mapsvc.dev import cluster
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import libpq_dsn

TARGET_RPS = 2_000
SCALE = "city"
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BATCH = 50
ROUND_S = float(os.environ.get("BENCH_ROUND_S", "20"))
ROUNDS = 3
RESEND_SHARE = 0.05
CST = dt.timezone(dt.timedelta(hours=8))
HEADERS = {"Content-Type": "application/json", "Connection": "keep-alive"}


class BenchFailure(RuntimeError):
    """The service or the database did not do what it must."""


def members(url: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Member ids and where they live (the urban centre for the few without a home)."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id, coalesce(ST_X(home_geom), %s), coalesce(ST_Y(home_geom), %s) "
            "FROM members ORDER BY id",
            CENTRE_LONLAT,
        )
        rows = np.array(cur.fetchall(), dtype=np.float64)
    conn.close()
    return rows[:, 0].astype(np.int64), rows[:, 1], rows[:, 2]


class Batches:
    """Seeded batches of BATCH reports: 10 members × 5 reports, a minute apart each."""

    def __init__(self, people, seed: int, prefix: str):
        self.ids, self.lon, self.lat = people
        self.rng = np.random.default_rng(seed)
        self.prefix = prefix
        self.seq = 0

    def next(self) -> bytes:
        """The next batch as a JSON request body."""
        rng, n = self.rng, BATCH
        who = np.repeat(rng.integers(0, len(self.ids), n // 5), 5)
        lon = self.lon[who] + rng.normal(0, 0.01, n)
        lat = self.lat[who] + rng.normal(0, 0.008, n)
        kind = rng.choice(3, n, p=[0.75, 0.2, 0.05])  # wgs84 phones, WeChat/Gaode, Baidu
        names = np.array(["wgs84", "gcj02", "bd09"])[kind]
        x, y = lon.copy(), lat.copy()
        for k, name in ((1, "gcj02"), (2, "bd09")):
            m = kind == k
            if m.any():
                x[m], y[m] = crs.from_wgs84(lon[m], lat[m], name)
        now = dt.datetime.now(CST).replace(microsecond=0)
        reports = [
            {
                "report_id": f"{self.prefix}-{self.seq}-{i}",
                "member_id": int(self.ids[who[i]]),
                "lon": round(float(x[i]), 7),
                "lat": round(float(y[i]), 7),
                "crs": str(names[i]),
                "reported_at": (
                    now - dt.timedelta(minutes=5 * int(rng.integers(0, 200)) + i % 5)
                ).isoformat(),
                "accuracy_m": round(float(rng.uniform(3, 60)), 1),
                "source": "gps" if kind[i] == 0 else "network",
            }
            for i in range(n)
        ]
        self.seq += 1
        return json.dumps({"reports": reports}, separators=(",", ":")).encode()


def client(base: str, people, seed: int, prefix: str, until: float) -> dict:
    """One phone gateway: post batches until `until`, resending 5 % of them."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    batches = Batches(people, seed, prefix)
    rng = np.random.default_rng(seed + 1)
    sent_bodies: list[bytes] = []
    out = {
        "batches": 0,
        "sent": 0,
        "unique": 0,
        "stored": 0,
        "duplicates": 0,
        "resent": 0,
        "latency": [],
        "errors": [],
    }
    while time.monotonic() < until:
        resend = bool(sent_bodies) and rng.random() < RESEND_SHARE
        body = sent_bodies[int(rng.integers(len(sent_bodies)))] if resend else batches.next()
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/positions", body, HEADERS)
            res = conn.getresponse()
            data = res.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()  # the next request reconnects; this batch counts as an error
            out["errors"].append(f"{type(exc).__name__}: {exc}")
            continue
        out["latency"].append(time.perf_counter() - t0)
        if res.status != 200:
            out["errors"].append(f"{res.status}: {data[:300]!r}")
            continue
        answer = json.loads(data)
        out["batches"] += 1
        out["sent"] += BATCH
        out["stored"] += answer["stored"]
        out["duplicates"] += answer["duplicates"]
        if resend:
            out["resent"] += BATCH
        else:
            out["unique"] += BATCH
            sent_bodies.append(body)
            del sent_bodies[:-200]
    conn.close()
    return out


def run_round(base: str, people, number: int, seconds: float) -> dict:
    """CLIENTS clients for `seconds`; totals, rates and latencies."""
    until = time.monotonic() + seconds
    t0 = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(client, base, people, 1000 * number + c, f"bench-{number}-{c}", until)
            for c in range(CLIENTS)
        ]
        results = [f.result() for f in futures]
    elapsed = time.monotonic() - t0
    total = {
        k: sum(r[k] for r in results)
        for k in ("batches", "sent", "unique", "stored", "duplicates", "resent")
    }
    latency = sorted(x for r in results for x in r["latency"])
    total["errors"] = [e for r in results for e in r["errors"]]
    total["elapsed"] = elapsed
    total["sent_rps"] = total["sent"] / elapsed
    total["stored_rps"] = total["stored"] / elapsed
    total["p50_ms"] = 1000 * latency[len(latency) // 2] if latency else float("nan")
    total["p99_ms"] = (
        1000 * latency[min(len(latency) - 1, int(len(latency) * 0.99))] if latency else float("nan")
    )
    return total


def check_database(url: str, before: int, unique: int) -> tuple[int, int]:
    """(rows added, members whose current position is older than their latest report)."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM member_positions")
        added = cur.fetchone()[0] - before
        cur.execute(
            """
            SELECT count(*) FROM members m
            JOIN (SELECT member_id, max(reported_at) AS latest FROM member_positions
                  WHERE report_id LIKE 'bench-%' GROUP BY member_id) b ON b.member_id = m.id
            WHERE m.current_at IS NULL OR m.current_at < b.latest
            """
        )
        stale = cur.fetchone()[0]
    conn.close()
    return added, stale


def main() -> None:
    """Load the city, serve it, post reports for ROUNDS rounds, check the database."""
    if not external_database_url():
        cluster.up()
    with tempfile.TemporaryDirectory(prefix="bench-positions-") as tmp, scratch_db(SCALE) as url:
        HEADERS["Authorization"] = f"Bearer {bench_token(url, 'bench-positions')}"
        people = members(url)
        with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM member_positions")
            before = cur.fetchone()[0]
        conn.close()
        rounds = []
        with serving(url, Path(tmp) / "serve.log") as base:
            warm = run_round(base, people, 0, 2.0)  # connections, prepared statements, caches
            for number in range(1, ROUNDS + 1):
                rounds.append(run_round(base, people, number, ROUND_S))
            log = (Path(tmp) / "serve.log").read_text()
        unique = warm["unique"] + sum(r["unique"] for r in rounds)
        added, stale = check_database(url, before, unique)

    print(
        f"scale {SCALE}: {len(people[0]):,} members; {CLIENTS} clients, batches of {BATCH}, "
        f"{RESEND_SHARE:.0%} of batches resent, {ROUNDS} rounds of {ROUND_S:.0f} s, "
        f"mapsvc serve --workers 2, {os.cpu_count()} CPUs"
    )
    print(
        f"{'round':>5} {'sent':>8} {'unique':>8} {'resent':>7} {'sent/s':>8} "
        f"{'stored/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
    )
    for i, r in enumerate(rounds, 1):
        print(
            f"{i:>5} {r['sent']:>8,} {r['unique']:>8,} {r['resent']:>7,} {r['sent_rps']:>8.0f} "
            f"{r['stored_rps']:>9.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{len(r['errors']):>6}"
        )
    med = {
        k: statistics.median(r[k] for r in rounds)
        for k in ("sent_rps", "stored_rps", "p50_ms", "p99_ms")
    }
    verdict = "ok" if med["stored_rps"] >= TARGET_RPS else "LOW"
    print(
        f"median: {med['sent_rps']:.0f} reports/s sent, {med['stored_rps']:.0f} reports/s "
        f"newly stored (target ≥ {TARGET_RPS:,}: {verdict}), p50 {med['p50_ms']:.1f} ms, "
        f"p99 {med['p99_ms']:.1f} ms per batch of {BATCH}"
    )
    print(
        f"database: {added:,} rows added, {unique:,} unique reports sent "
        f"(incl. {warm['unique']:,} in a 2 s warm-up); "
        f"members with a stale current position: {stale}"
    )

    problems = []
    errors = warm["errors"] + [e for r in rounds for e in r["errors"]]
    if errors:
        problems.append(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    if added != unique:
        problems.append(f"the database holds {added:,} new rows, not the {unique:,} sent")
    stored = warm["stored"] + sum(r["stored"] for r in rounds)
    if stored != unique:
        problems.append(f"the service said it stored {stored:,}, not the {unique:,} sent")
    resent = warm["resent"] + sum(r["resent"] for r in rounds)
    dups = warm["duplicates"] + sum(r["duplicates"] for r in rounds)
    if dups != resent:
        problems.append(f"the service counted {dups:,} duplicates, not the {resent:,} resent")
    if stale:
        problems.append(f"{stale} members' current position is older than their latest report")
    if problems:
        for p in problems:
            print(f"!! FAILED: {p}")
        if "Traceback" in log:
            print(log[-3000:])
        sys.exit("bench positions: FAILED (see above)")
