"""Benchmark of the planners' coverage analysis (mapsvc.coverage.service), one run each:

* `province`: coverage by grid in distance mode (every grid and every member, as
  /api/v1/coverage?by=grid computes it) — target under 5 s and at least 2× faster than a
  geopandas baseline on the same data (read from PostGIS, then `sjoin` members to grids,
  grid centroids and members to the service circles, `sjoin_nearest` for the nearest site);
* `city`: the same in walking mode, 15 minutes — target under 30 s;
* `city`: site planning, k = 10 over grid centroids (1000 m, and 15 walking minutes) —
  target under 60 s.

Each scale is loaded into a scratch database (bench.nearest.scratch_db), dropped afterwards.
`BENCH_COVERAGE_SCALES=city` skips the province scale.
"""

from __future__ import annotations

import os
import time
import warnings

import psycopg2
from psycopg2.extras import RealDictCursor

from bench.nearest import scratch_db
from mapsvc.coverage import service as cov
from mapsvc.dev import cluster
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import libpq_dsn

UTM_49N = 32649  # the district lies at 109.7° E: metres for the baseline's buffers


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _data_note(cur) -> str:
    cur.execute(
        "SELECT count(*) AS n, max(c) AS top FROM (SELECT count(*) AS c FROM grids g "
        "JOIN LATERAL (SELECT 1 FROM members m WHERE ST_Contains(g.geom, m.home_geom)) m "
        "ON true GROUP BY g.id) s"
    )
    r = cur.fetchone()
    cur.execute("SELECT count(*) AS m FROM members WHERE home_geom IS NOT NULL")
    m = cur.fetchone()["m"]
    return f"{m} members with homes; the fullest grid holds {r['top'] or 0} of them"


def geopandas_baseline(url: str) -> tuple[dict, float]:
    """The same analysis the plain geopandas way; returns (per-grid covered, seconds)."""
    import geopandas as gpd
    import pandas as pd
    from sqlalchemy import create_engine

    t = time.perf_counter()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    grids = gpd.read_postgis("SELECT id, code, population, geom FROM grids", engine)
    sites = gpd.read_postgis("SELECT id, level, geom FROM service_points", engine)
    members = gpd.read_postgis(
        "SELECT id, home_geom AS geom FROM members WHERE home_geom IS NOT NULL", engine
    )
    engine.dispose()
    grids, sites, members = (d.rename_geometry("geometry") for d in (grids, sites, members))
    sites_m = sites.to_crs(UTM_49N)
    circles = sites_m.copy()
    circles["geometry"] = sites_m.buffer(sites_m["level"].map(cov.LEVEL_REACH_M), 64)
    with warnings.catch_warnings():  # the centroid of the lon/lat polygon is the definition
        warnings.simplefilter("ignore", UserWarning)
        centroids = grids.geometry.centroid
    cents = gpd.GeoDataFrame(grids[["id"]], geometry=centroids, crs=grids.crs).to_crs(UTM_49N)
    hit = gpd.sjoin(cents, circles[["geometry"]], predicate="within")
    covered = grids["id"].isin(hit["id"])
    home = gpd.sjoin(members, grids[["id", "geometry"]].rename(columns={"id": "grid_id"}))
    mem_m = members.to_crs(UTM_49N)
    reach = gpd.sjoin(mem_m, circles[["geometry"]], predicate="within")
    home["covered"] = home["id"].isin(reach["id"])
    per_grid = home.groupby("grid_id").agg(
        members=("id", "size"), covered_members=("covered", "sum")
    )
    nearest = gpd.sjoin_nearest(cents, sites_m[["geometry"]], distance_col="nearest_m")
    table = grids[["id", "code", "population"]].assign(covered=covered.values)
    table = table.merge(per_grid, left_on="id", right_index=True, how="left")
    table = table.merge(
        nearest.groupby("id")["nearest_m"].min(), left_on="id", right_index=True, how="left"
    )
    _ = pd.DataFrame(table)
    seconds = time.perf_counter() - t
    return dict(zip(table["code"], table["covered"], strict=True)), seconds


def bench_large() -> list[str]:
    """Distance mode at `province` against the geopandas baseline."""
    lines = []
    with scratch_db("province") as url:
        conn = psycopg2.connect(libpq_dsn(url))
        cur = conn.cursor(cursor_factory=RealDictCursor)
        lines.append(f"province data: {_data_note(cur)}")
        reach = cov.make_reach(cur, "distance")
        result, ours = _timed(lambda: cov.coverage(cur, reach, "grid"))
        conn.close()
        theirs_cov, theirs = geopandas_baseline(url)
    same = sum(theirs_cov[u["code"]] == u["covered"] for u in result["units"])
    t = result["totals"]
    ok = ours < 5.0 and theirs / ours >= 2.0
    lines.append(
        f"province distance coverage by grid: {ours:.2f} s (target < 5 s); geopandas sjoin "
        f"baseline {theirs:.2f} s; speed-up {theirs / ours:.1f}× (target ≥ 2×) "
        f"{'ok' if ok else 'MISSED'}"
    )
    lines.append(
        f"  {t['units']} grids, {t['covered_units']} covered, population "
        f"{t['covered_population']}/{t['population']}, members "
        f"{t['covered_members']}/{t['members']}; covered flags agreeing with the baseline "
        f"(UTM buffers): {same}/{len(result['units'])}"
    )
    return lines


def bench_city() -> list[str]:
    """Walking mode and site planning at `city`."""
    lines = []
    with scratch_db("city") as url:
        conn = psycopg2.connect(libpq_dsn(url))
        cur = conn.cursor(cursor_factory=RealDictCursor)
        lines.append(f"city data: {_data_note(cur)}")
        walk = cov.make_reach(cur, "walk", None, 15)
        result, secs = _timed(lambda: cov.coverage(cur, walk, "grid"))
        t = result["totals"]
        lines.append(
            f"city walking coverage (15 min at 75 m/min) by grid: {secs:.2f} s (target < 30 s) "
            f"{'ok' if secs < 30 else 'MISSED'}; population "
            f"{t['covered_population']}/{t['population']}, members "
            f"{t['covered_members']}/{t['members']}"
        )
        for label, reach in (
            ("1000 m", cov.make_reach(cur, "distance", 1000.0)),
            ("15 walking minutes", walk),
        ):
            plan, secs = _timed(
                lambda r=reach: cov.plan(cur, k=10, reach=r, candidates="grid_centroids")
            )
            gain = plan["covered_population_after"] - plan["covered_population_before"]
            lines.append(
                f"city plan k=10, {label}: {secs:.2f} s (target < 60 s) "
                f"{'ok' if secs < 60 else 'MISSED'}; gain {gain} (greedy "
                f"{plan['greedy_covered_population_gain']}), optimality gap "
                f"{plan['optimality_gap']}, {plan['solver_status']}"
            )
        conn.close()
    return lines


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    if not external_database_url():
        cluster.up()
    scales = os.environ.get("BENCH_COVERAGE_SCALES", "province,city").split(",")
    lines = []
    if "province" in scales:
        lines += bench_large()
    if "city" in scales:
        lines += bench_city()
    for line in lines:
        print(line)
