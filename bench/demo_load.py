"""Time `demo load` per scale on a scratch database (targets: city < 60 s, large < 600 s).

BENCH_SCALES=small,city,large python -m bench demo_load   (default: small,city)
"""

from __future__ import annotations

import os
import time
import uuid

import psycopg2
from sqlalchemy.engine import make_url

from geodata.demo import loader
from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import database_url, engine_for

TARGET_S = {"small": 10, "city": 60, "large": 600}


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
            t0 = time.monotonic()
            counts = loader.load(url, scale=scale, seed=2026, progress=lambda _m: None)
            took = time.monotonic() - t0
            print(
                f"demo load --scale {scale:<5}  {took:7.1f} s  "
                f"({counts['members']:,} members, {counts['party_orgs']:,} orgs, "
                f"{counts['grids']:,} grids)  target < {TARGET_S[scale]} s  "
                f"ratio {took / TARGET_S[scale]:.2f}"
            )
    finally:
        engine_for(url).dispose()
        maint = make_url(server).set(database="postgres").render_as_string(hide_password=False)
        conn = psycopg2.connect(maint)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
