"""Bulk-load a generated demo city with COPY, in one transaction: all of it or nothing."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import psycopg2
import shapely

from geodata.demo.generator import City, generate
from mapsvc.infra.db import libpq_dsn

# children first when emptying, parents first when loading
TABLES = (
    "member_positions",
    "members",
    "grids",
    "service_points",
    "roads",
    "road_vertices",
    "party_orgs",
    "admin_areas",
)
CHUNK = 100_000


def is_empty(url: str) -> bool:
    """True when the database holds no areas and no orgs (a fresh install)."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM admin_areas) "
            "AND NOT EXISTS (SELECT 1 FROM party_orgs)"
        )
        return bool(cur.fetchone()[0])


def _text(v) -> str:
    """One value in COPY's text format."""
    if v is None:
        return r"\N"
    if isinstance(v, float) and np.isnan(v):
        return r"\N"
    if isinstance(v, bool | np.bool_):
        return "t" if v else "f"
    if isinstance(v, list):
        return "{" + ",".join('"' + str(x).replace('"', r"\"") + '"' for x in v) + "}"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _ewkb(geoms) -> np.ndarray:
    """Hex EWKB with SRID 4326, the cheapest geometry form for COPY to parse."""
    arr = shapely.set_srid(np.asarray(geoms, dtype=object), 4326)
    return shapely.to_wkb(arr, hex=True, include_srid=True)


def _points(lon, lat) -> np.ndarray:
    """Hex EWKB points; None where lon is NaN."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lon), None, dtype=object)
    ok = ~np.isnan(lon)
    if ok.any():
        out[ok] = _ewkb(shapely.points(lon[ok], lat[ok]))
    return out


class _Lines(io.TextIOBase):
    """A file-like view of an iterator of COPY lines, so big tables stream."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._buf = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buf) < size:
            try:
                self._buf += next(self._lines)
            except StopIteration:
                break
        if size < 0:
            out, self._buf = self._buf, ""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out

    readline = read


def _copy(cur, table: str, columns: list[str], rows: Iterable[Iterable]) -> int:
    count = 0

    def lines():
        nonlocal count
        batch = []
        for row in rows:
            batch.append("\t".join(_text(v) for v in row))
            count += 1
            if len(batch) >= 5000:
                yield "\n".join(batch) + "\n"
                batch = []
        if batch:
            yield "\n".join(batch) + "\n"

    cur.copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN", _Lines(lines()), size=1 << 20
    )
    return count


def _dates(ordinals: np.ndarray) -> list:
    base = dt.date(1970, 1, 1).toordinal()
    days = (np.asarray(ordinals, dtype=np.int64) - base).astype("datetime64[D]")
    return [None if o == 0 else str(d) for o, d in zip(ordinals, days, strict=True)]


def load(
    url: str, *, scale: str = "small", seed: int = 2026, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Generate the demo city and replace every row of the data tables with it."""
    t0 = time.monotonic()
    progress(f"demo: generating the {scale} city (seed {seed}) …")
    city = generate(scale, seed)
    progress(f"demo: generated in {time.monotonic() - t0:.1f} s; loading …")
    conn = psycopg2.connect(libpq_dsn(url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            counts = _write(cur, city, progress)
            for table, column in (
                ("party_orgs", "id"),
                ("members", "id"),
                ("grids", "id"),
                ("service_points", "id"),
                ("roads", "id"),
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"GREATEST((SELECT max({column}) FROM {table}), 1))"
                )
        conn.autocommit = True
        with conn.cursor() as cur:
            progress("demo: analysing tables …")
            cur.execute("ANALYZE " + ", ".join(TABLES))
    finally:
        conn.close()
    return counts


def _step(progress, name: str, started: float, n: int) -> None:
    progress(f"demo:   {name:<16} {n:>10,} rows  {time.monotonic() - started:6.1f} s")


def _write(cur, city: City, progress) -> dict[str, int]:
    counts: dict[str, int] = {}
    t = time.monotonic()

    geoms = _ewkb([a["geom"] for a in city.admin_areas])
    counts["admin_areas"] = _copy(
        cur,
        "admin_areas",
        ["code", "name", "level", "population", "households", "geom"],
        (
            (a["code"], a["name"], a["level"], a["population"], a["households"], g)
            for a, g in zip(city.admin_areas, geoms, strict=True)
        ),
    )
    _step(progress, "admin_areas", t, counts["admin_areas"])

    orgs = city.orgs
    pts = _points(
        [o["lonlat"][0] if o["lonlat"] else np.nan for o in orgs],
        [o["lonlat"][1] if o["lonlat"] else np.nan for o in orgs],
    )
    counts["party_orgs"] = _copy(
        cur,
        "party_orgs",
        [
            "id",
            "code",
            "name",
            "level",
            "category",
            "parent_id",
            "admin_area_code",
            "geom",
            "address",
            "secretary",
            "founded_on",
            "status",
            "dissolved_on",
        ],
        (
            (
                o["id"],
                o["code"],
                o["name"],
                o["level"],
                o["category"],
                o["parent_id"],
                o["admin_area_code"],
                p,
                o["address"],
                o["secretary"],
                o["founded_on"],
                o["status"],
                o["dissolved_on"],
            )
            for o, p in zip(orgs, pts, strict=True)
        ),
    )
    _step(progress, "party_orgs", t, counts["party_orgs"])

    geoms = _ewkb([g["geom"] for g in city.grids])
    counts["grids"] = _copy(
        cur,
        "grids",
        [
            "code",
            "name",
            "community_code",
            "geom",
            "grid_worker",
            "grid_worker_phone",
            "households",
            "population",
            "party_group",
            "party_group_branch_id",
        ],
        (
            (
                g["code"],
                g["name"],
                g["community_code"],
                geom,
                g["grid_worker"],
                g["grid_worker_phone"],
                g["households"],
                g["population"],
                g.get("party_group"),
                g.get("party_group_branch_id"),
            )
            for g, geom in zip(city.grids, geoms, strict=True)
        ),
    )
    _step(progress, "grids", t, counts["grids"])

    sps = city.service_points
    pts = _points([s["lonlat"][0] for s in sps], [s["lonlat"][1] for s in sps])
    counts["service_points"] = _copy(
        cur,
        "service_points",
        [
            "code",
            "name",
            "level",
            "admin_area_code",
            "geom",
            "address",
            "opening_hours",
            "services",
            "floor_area_m2",
            "operating_org_id",
            "phone",
        ],
        (
            (
                s["code"],
                s["name"],
                s["level"],
                s["admin_area_code"],
                p,
                s["address"],
                s["opening_hours"],
                s["services"],
                s["floor_area_m2"],
                s["operating_org_id"],
                s["phone"],
            )
            for s, p in zip(sps, pts, strict=True)
        ),
    )
    _step(progress, "service_points", t, counts["service_points"])

    vs = city.road_vertices
    pts = _points([v["lon"] for v in vs], [v["lat"] for v in vs])
    counts["road_vertices"] = _copy(
        cur, "road_vertices", ["id", "geom"], ((v["id"], p) for v, p in zip(vs, pts, strict=True))
    )
    lines = _ewkb(shapely.linestrings([r["coords"] for r in city.roads]))
    counts["roads"] = _copy(
        cur,
        "roads",
        ["name", "kind", "source", "target", "geom"],
        (
            (r["name"], r["kind"], r["source"], r["target"], g)
            for r, g in zip(city.roads, lines, strict=True)
        ),
    )
    cur.execute("SELECT refresh_road_walks()")
    counts["road_walks"] = cur.fetchone()[0]
    _step(progress, "roads", t, counts["roads"])

    counts["members"] = _copy_members(cur, city.members, progress, t)
    _step(progress, "members", t, counts["members"])

    pos = city.positions
    pts = _points(pos["lon"], pos["lat"])
    at = [f"{x}Z" for x in pos["reported_at"].astype("datetime64[s]")]
    counts["member_positions"] = _copy(
        cur,
        "member_positions",
        ["report_id", "member_id", "geom", "reported_at", "source", "input_crs", "accuracy_m"],
        zip(
            pos["report_id"],
            pos["member_id"],
            pts,
            at,
            pos["source"],
            ["wgs84"] * len(at),
            pos["accuracy_m"],
            strict=True,
        ),
    )
    _step(progress, "member_positions", t, counts["member_positions"])
    return counts


def _copy_members(cur, m: dict, progress, started: float) -> int:
    n = len(m["id"])
    columns = [
        "id",
        "org_id",
        "name",
        "gender",
        "birth_year",
        "joined_on",
        "status",
        "phone",
        "home_geom",
        "is_mobile",
        "outflow_org_id",
        "inflow_org_id",
        "mobile_destination",
        "destination_geom",
        "mobile_since",
        "current_geom",
        "current_at",
    ]
    total = 0
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        sl = slice(lo, hi)
        mobile = m["is_mobile"][sl]
        home = _points(m["home_lon"][sl], m["home_lat"][sl])
        dest = _points(np.where(mobile, m["dest_lon"][sl], np.nan), m["dest_lat"][sl])
        cur_pt = _points(m["cur_lon"][sl], m["cur_lat"][sl])
        cur_at = [None if np.isnat(x) else f"{x}Z" for x in m["cur_at"][sl]]
        outflow = [int(x) if x else None for x in m["outflow_org_id"][sl]]
        inflow = [int(x) if x else None for x in m["inflow_org_id"][sl]]
        rows = zip(
            m["id"][sl].tolist(),
            m["org_id"][sl].tolist(),
            m["name"][lo:hi],
            m["gender"][sl],
            m["birth_year"][sl].tolist(),
            _dates(m["joined_on"][sl]),
            m["status"][sl],
            m["phone"][lo:hi],
            home,
            mobile.tolist(),
            outflow,
            inflow,
            m["mobile_destination"][sl],
            dest,
            _dates(m["mobile_since"][sl]),
            cur_pt,
            cur_at,
            strict=True,
        )
        total += _copy(cur, "members", columns, rows)
        progress(f"demo:   members {hi:>10,} / {n:,}  {time.monotonic() - started:6.1f} s")
    return total
