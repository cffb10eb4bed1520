"""Vector tiles/s of /ogc against tipg and against the raw ST_AsMVT SQL (targets ≥ 3× tipg,
≥ 0.8× raw SQL), uncached, for the `branches` and `grids` layers.

For each scale: a scratch database with the demo city; a fixed, seeded list of tiles at zooms
10–16 over the city (PER_ZOOM a zoom, 70 % over the urban core); then, interleaved for ROUNDS
rounds and each layer:

* ours: `mapsvc serve --workers 2` (gunicorn, 4 threads a worker: the default), wrk over the tile
  paths, with an admin's API token (every request is authenticated, as in production);
* tipg (PyPI, the `bench` extra) on the same database under uvicorn with 2 workers, serving
  a view made from the layer's own SQL (the same rows; asked with `properties=` for the
  properties our tiles carry at that zoom; tile buffer 64 like ours), wrk over its paths;
* raw SQL: the layer's tile query (mapsvc.ogc.features) sent by psycopg2 as plain statements
  from CLIENTS threads, each with its own connection, for the same duration.

Prints medians (tiles/s), their spread, the ratios, the median tile size, and (for
information, not a target) ours with the tile cache on: every tile of the list is hot then.
BENCH_SCALES=city,province python -m bench tiles   (default: city)
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psycopg2
from psycopg2 import sql as pgsql

from bench.nearest import _free_port, scratch_db, server_process, serving
from bench.nearest import wrk as nearest_wrk
from geodata.demo.places import CENTRE_LONLAT
from layers import all_layers
from mapsvc.dev import cluster
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import libpq_dsn
from mapsvc.ogc import features

LAYERS = ("branches", "grids")
ZOOMS = range(10, 17)
PER_ZOOM = 40
CORE_RADIUS_M = 4_000.0
SEED = 2026
ROUNDS = 3
SECONDS = 10
CLIENTS = 8  # wrk connections, and raw-SQL threads
WRK_ARGS = ["-t2", f"-c{CLIENTS}", f"-d{SECONDS}s", "--latency"]
LUA = Path(__file__).parent / "wrk" / "paths_with_header.lua"
TARGET_TIPG = 3.0
TARGET_SQL = 0.8


# ------------------------------------------------------------------ the tiles asked for
def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_list(url: str) -> list[tuple[int, int, int]]:
    """PER_ZOOM tiles a zoom, 70 % drawn around the urban core, 30 % over the district."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) AS e FROM admin_areas WHERE level = 'district') d"
        )
        x0, y0, x1, y1 = cur.fetchone()
    conn.close()
    lon, lat = CENTRE_LONLAT
    dlat = CORE_RADIUS_M / 111_320.0
    dlon = dlat / math.cos(math.radians(lat))
    rng = np.random.default_rng(SEED)
    out = []
    for z in ZOOMS:
        n_core = round(PER_ZOOM * 0.7)
        core = rng.uniform((lon - dlon, lat - dlat), (lon + dlon, lat + dlat), size=(n_core, 2))
        wide = rng.uniform((x0, y0), (x1, y1), size=(PER_ZOOM - n_core, 2))
        out += [(z, *_tile(a, b, z)) for a, b in np.vstack([core, wide])]
    return out


# ------------------------------------------------------------------ tipg
def _plain_source(layer) -> str:
    """The layer's SELECT with its constant parameters written in (for a view)."""
    text = layer.source
    for name, value in layer.params.items():
        text = text.replace(f"%({name})s", pgsql.Literal(value).as_string(None))
    return text


def make_tipg_views(url: str) -> None:
    """bench_<layer>: a view of each benchmarked layer's SQL, for tipg to serve."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        for lid in LAYERS:
            cur.execute(f"CREATE VIEW bench_{lid} AS {_plain_source(all_layers()[lid])}")
    conn.close()


@contextmanager
def tipg_serving(url: str, log: Path):
    """tipg under uvicorn (2 workers) on the database at url; yields its base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": libpq_dsn(url),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": "[" + ",".join(f'"public.bench_{lid}"' for lid in LAYERS) + "]",
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_TILE_BUFFER": "64",
        "TIPG_TILE_RESOLUTION": "4096",
        "TIPG_MAX_FEATURES_PER_TILE": "100000",
        "TIPG_DEFAULT_MAXZOOM": "22",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "tipg.main:app",
        "--port",
        str(port),
        "--workers",
        "2",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with server_process(cmd, env, log, f"{base}/collections/public.bench_branches", 60):
        yield base


# ------------------------------------------------------------------ load generators
def wrk(base: str, paths: Path, header: str = "") -> dict:
    """One wrk run with this benchmark's connections and duration."""
    return nearest_wrk(base, paths, header, WRK_ARGS)


def raw_sql(url: str, lid: str, tiles: list) -> dict:
    """Tiles/s of the layer's tile SQL sent by psycopg2 (plain statements), CLIENTS threads."""
    layer = all_layers()[lid]
    conns = [psycopg2.connect(libpq_dsn(url)) for _ in range(CLIENTS)]
    texts = {z: features._tile_sql(layer, None, z).as_string(conns[0]) for z in ZOOMS}
    done = [0] * CLIENTS
    sizes: list[int] = []
    stop = time.monotonic() + SECONDS

    def run(i: int) -> None:
        rng = np.random.default_rng(SEED + i)
        with conns[i].cursor() as cur:
            while time.monotonic() < stop:
                z, x, y = tiles[rng.integers(len(tiles))]
                cur.execute(texts[z], {**layer.params, "z": z, "x": x, "y": y})
                data = cur.fetchone()[0]
                if i == 0:
                    sizes.append(len(data or b""))
                done[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    for c in conns:
        c.close()
    return {"rps": sum(done) / elapsed, "size": statistics.median(sizes) if sizes else 0}


def _token(url: str) -> str:
    """An Authorization header with an admin API token in the scratch database."""
    from psycopg2.extras import RealDictCursor

    from mapsvc.access import accounts

    with (
        psycopg2.connect(libpq_dsn(url)) as conn,
        conn.cursor(cursor_factory=RealDictCursor) as cur,
    ):
        name = f"bench-tiles-{os.getpid()}-{int(time.time())}"
        accounts.add_user(cur, name, "admin", None, None)
        token = accounts.issue_token(cur, name)
    conn.close()
    return f"Authorization: Bearer {token}"


# ------------------------------------------------------------------ the benchmark
def bench_scale(scale: str, folder: Path) -> dict:
    """Load, serve and measure one scale."""
    runs: dict = {lid: {"ours": [], "cached": [], "tipg": [], "sql": []} for lid in LAYERS}
    with scratch_db(scale) as url:
        tiles = tile_list(url)
        make_tipg_views(url)
        header = _token(url)
        for lid in LAYERS:
            layer = all_layers()[lid]
            (folder / f"ours-{lid}.txt").write_text(
                "".join(
                    f"/ogc/collections/{lid}/tiles/WebMercatorQuad/{z}/{x}/{y}\n"
                    for z, x, y in tiles
                )
            )
            (folder / f"tipg-{lid}.txt").write_text(
                "".join(
                    f"/collections/public.bench_{lid}/tiles/WebMercatorQuad/{z}/{x}/{y}"
                    f"?properties={','.join(p.name for p in layer.tile_properties_at(z))}\n"
                    for z, x, y in tiles
                )
            )
        os.environ["MAPSVC_TILE_CACHE_MB"] = "0"  # the targets are for uncached tiles
        with serving(url, folder / f"serve-{scale}.log") as ours:
            os.environ["MAPSVC_TILE_CACHE_MB"] = "256"
            with (
                serving(url, folder / f"serve-cached-{scale}.log") as cached,
                tipg_serving(url, folder / f"tipg-{scale}.log") as tipg,
            ):
                for _ in range(ROUNDS):
                    for lid in LAYERS:
                        paths = folder / f"ours-{lid}.txt"
                        runs[lid]["ours"].append(wrk(ours, paths, header))
                        runs[lid]["cached"].append(wrk(cached, paths, header))
                        runs[lid]["tipg"].append(wrk(tipg, folder / f"tipg-{lid}.txt"))
                        runs[lid]["sql"].append(raw_sql(url, lid, tiles))
    return {"runs": runs, "tiles": len(tiles)}


def _median(runs: list[dict]) -> float:
    return statistics.median(r["rps"] for r in runs)


def _spread(runs: list[dict]) -> str:
    values = [r["rps"] for r in runs]
    return f"{min(values):.0f}–{max(values):.0f}"


def main() -> None:
    """Measure each scale; print tiles/s, spreads and ratios per layer."""
    if shutil.which("wrk") is None:
        sys.exit("bench tiles needs wrk (the Debian package `wrk`): run `make bench`")
    try:
        import tipg  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        sys.exit("bench tiles needs tipg and uvicorn: pip install -e '.[bench]' (make bench)")
    if not external_database_url():
        cluster.up()
    scales = os.environ.get("BENCH_SCALES", "city").split(",")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        for scale in scales:
            results[scale] = bench_scale(scale, Path(tmp))
    print(
        f"{'scale':<6} {'layer':<9} {'ours tiles/s':>12} {'tipg tiles/s':>12} "
        f"{'raw SQL tiles/s':>15} {'ours/tipg (≥3)':>15} {'ours/SQL (≥0.8)':>16} "
        f"{'median tile B':>13} {'ours, cache on':>14}"
    )
    failed = []
    for scale, r in results.items():
        for lid, lr in r["runs"].items():
            ours, tipg, sql = _median(lr["ours"]), _median(lr["tipg"]), _median(lr["sql"])
            vs_tipg, vs_sql = ours / tipg, ours / sql
            size = statistics.median(x["size"] for x in lr["sql"])
            print(
                f"{scale:<6} {lid:<9} {ours:>12.0f} {tipg:>12.0f} {sql:>15.0f} "
                f"{vs_tipg:>11.2f} {'ok' if vs_tipg >= TARGET_TIPG else 'LOW':>3} "
                f"{vs_sql:>12.2f} {'ok' if vs_sql >= TARGET_SQL else 'LOW':>3} {size:>13.0f} "
                f"{_median(lr['cached']):>14.0f}"
            )
            print(
                f"{'':<6} {'':<9} {_spread(lr['ours']):>12} {_spread(lr['tipg']):>12} "
                f"{_spread(lr['sql']):>15}   (min–max of {ROUNDS} rounds, {r['tiles']} tiles "
                f"z{ZOOMS.start}–{ZOOMS.stop - 1}, {CLIENTS} clients, {SECONDS} s each)"
            )
            for who in ("ours", "cached", "tipg"):
                bad = sum(x["non2xx"] for x in lr[who])
                if bad:
                    failed.append(f"{scale} {lid} {who}: {bad} non-2xx answers")
    for f in failed:
        print(f"!! FAILED REQUESTS: {f}")
    if any(f.endswith("non-2xx answers") and " tipg:" not in f for f in failed):
        sys.exit("bench tiles: /ogc answered with errors (see above)")
