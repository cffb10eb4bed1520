"""Time `demo load` per scale on a scratch database, with the loader's peak memory.

Targets: small < 10 s, city (榆林市, ~250k members) < 180 s, province (陕西省, ~3 million
members) < 1200 s (issue 18: "the province demo loads in under 20 minutes"). Each scale loads
in a child process of its own, so its peak RSS is its own.

BENCH_SCALES=small,city,province python -m bench demo_load   (default: small,city)
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
import uuid

import psycopg2
from sqlalchemy.engine import make_url

from geodata.demo import loader
from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import database_url, engine_for

TARGET_S = {"small": 10, "city": 180, "province": 1200}


def _load(url: str, scale: str, out) -> None:
    t0 = time.monotonic()
    counts = loader.load(url, scale=scale, seed=2026, progress=lambda _m: None)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
    out.send((time.monotonic() - t0, rss_gb, counts))


def main() -> None:
    """Load each scale into a scratch database and report the time against its target."""
    if not external_database_url():
        cluster.up()
    server = database_url()
    name = f"mapsvc_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    cluster.ensure_database(url)
    try:
        migrate.upgrade(url)
        for scale in os.environ.get("BENCH_SCALES", "small,city").split(","):
            recv, send = multiprocessing.Pipe(duplex=False)
            child = multiprocessing.get_context("fork").Process(
                target=_load, args=(url, scale, send)
            )
            child.start()
            send.close()
            try:
                took, rss_gb, counts = recv.recv()
            except EOFError:  # the load failed: its traceback is above
                child.join()
                raise SystemExit(f"demo load --scale {scale} failed") from None
            child.join()
            print(
                f"demo load --scale {scale:<8}  {took:7.1f} s  peak RSS {rss_gb:.2f} GB  "
                f"({counts['members']:,} members, {counts['party_orgs']:,} orgs, "
                f"{counts['admin_areas']:,} areas, {counts['grids']:,} grids, "
                f"{counts['roads']:,} roads)  target < {TARGET_S[scale]} s  "
                f"ratio {took / TARGET_S[scale]:.2f}",
                flush=True,
            )
    finally:
        engine_for(url).dispose()
        maint = make_url(server).set(database="postgres").render_as_string(hide_password=False)
        conn = psycopg2.connect(maint)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
