"""Where am I and what is nearest: the service functions behind /api/v1/locate and /nearest.

They take a database cursor and WGS84 lon/lat, and know nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql as pgsql

from mapsvc.domain import vocabulary as labels
from mapsvc.domain.rules import WALKING_SPEED_M_PER_MIN
from mapsvc.infra.sql import Queries, execute
from mapsvc.lookup import navigation

query = Queries(__file__)

MAX_SNAP_M = 800.0  # farther than this from any road, a network distance means nothing
MAX_ROUTED_M = 20_000.0  # beyond walking range: no routing (e.g. migrant groups in other cities)
ROUTE_MARGIN_DEG = 0.012  # about 1 km of network around the trip (more than MAX_SNAP_M)


@dataclass(frozen=True)
class SiteKind:
    """A kind of site people look for: the view it lives in and how it may be filtered."""

    source: str
    filter_column: str
    filter_values: dict[str, str]


# the site kinds of the vocabulary (labels.SITE_KINDS), each with where its rows live
KINDS = {
    "branch": SiteKind("branch_sites", "category", labels.ORG_CATEGORIES),
    "service_point": SiteKind("service_point_sites", "level", labels.SERVICE_POINT_LEVELS),
    "migrant_group": SiteKind("migrant_group_sites", "category", labels.MIGRANT_CATEGORIES),
}


def nearest_sites(
    cur,
    lon: float,
    lat: float,
    kind: str,
    k: int,
    *,
    max_distance_m: float | None = None,
    category: str | None = None,
    network: bool = True,
) -> list[dict]:
    """The k sites of a kind nearest to (lon, lat), nearest first, with distances and links."""
    site = KINDS[kind]
    statement = pgsql.SQL(query("nearest")).format(
        source=pgsql.Identifier(site.source), filter_column=pgsql.Identifier(site.filter_column)
    )
    execute(
        cur,
        statement.as_string(cur.connection),
        {"lon": lon, "lat": lat, "k": k, "filter": category, "max_m": max_distance_m},
    )
    rows = [dict(r) for r in cur.fetchall()]
    routed = (
        network_distances(cur, lon, lat, [r for r in rows if r["distance_m"] <= MAX_ROUTED_M])
        if network
        else {}
    )
    links = navigation.links_many(
        [(r["properties"]["name"], r["lon"], r["lat"]) for r in rows], origin=(lon, lat)
    )
    for r, link in zip(rows, links, strict=True):
        r["bearing_deg"] = None if r["bearing_deg"] is None else round(r["bearing_deg"], 1)
        r["network_distance_m"] = routed.get(r["id"])
        walk = r["network_distance_m"] if r["network_distance_m"] is not None else r["distance_m"]
        r["walk_basis"] = "network" if r["network_distance_m"] is not None else "straight_line"
        r["walk_minutes"] = round(walk / WALKING_SPEED_M_PER_MIN, 1)
        r["distance_m"] = round(r["distance_m"], 2)
        r["navigation"] = link
    return rows


def network_distances(cur, lon: float, lat: float, targets: list[dict]) -> dict[int, float | None]:
    """Walking metres along roads from (lon, lat) to each target {id, lon, lat}.

    Both ends join the network at the nearest point of the nearest edge; None where a point
    lies more than MAX_SNAP_M from every road or no route exists. Short walks come from the
    precomputed road_walks; longer ones are routed with pgr_dijkstraCost.
    """
    if not targets:
        return {}
    lons = [lon, *(t["lon"] for t in targets)]
    lats = [lat, *(t["lat"] for t in targets)]
    arrays = {"pids": list(range(1, len(lons) + 1)), "lons": lons, "lats": lats}  # 1: origin
    snap = query("road_snap")
    execute(cur, query("road_walk").replace("{snap}", snap), {**arrays, "max_snap_m": MAX_SNAP_M})
    found = {r["pid"]: r for r in cur.fetchall()}
    far = [pid for pid, r in found.items() if r["needs_route"]]
    if far:
        keep = [0, *(p - 1 for p in far)]  # the origin and the far targets
        sub = {k: [v[i] for i in keep] for k, v in arrays.items()}
        sub["pids"] = [1, *far]
        # only the part of the network around the trip: routing over it costs little
        m = ROUTE_MARGIN_DEG
        box = (
            min(sub["lons"]) - m,
            min(sub["lats"]) - m,
            max(sub["lons"]) + m,
            max(sub["lats"]) + m,
        )
        edges = pgsql.SQL(
            "SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads "
            "WHERE geom && ST_MakeEnvelope({}, {}, {}, {}, 4326)"
        ).format(*(pgsql.Literal(float(v)) for v in box))
        cur.execute(
            query("road_route_search").replace("{snap}", snap),
            {**sub, "edges": edges.as_string(cur.connection), "max_snap_m": MAX_SNAP_M},
        )
        found.update({r["pid"]: r for r in cur.fetchall()})
    out = {}
    for pid, t in enumerate(targets, start=2):
        metres = found.get(pid, {}).get("network_m")
        out[t["id"]] = None if metres is None else round(metres, 1)
    return out


def locate(cur, lon: float, lat: float, *, with_geometry: bool = False) -> dict | None:
    """The areas, grid, responsible branch and nearest service point at (lon, lat).

    None when the point lies outside every administrative area.
    """
    params = {"lon": lon, "lat": lat, "with_geometry": with_geometry}
    cur.execute(query("locate_areas"), params)
    areas = cur.fetchall()
    if not areas:
        return None
    found: dict = {"province": None, "city": None, "county": None, "street": None}
    found["community"] = None
    for a in areas:
        slot = a["level"] if a["level"] in ("province", "city", "county") else None
        slot = slot or {"street": "street", "town": "street"}.get(a["level"], "community")
        entry = {"code": a["code"], "name": a["name"], "level": a["level"]}
        if slot == "community" and with_geometry:
            entry["geometry"] = a["geometry"]
        found[slot] = found[slot] or entry
    # `district` is what clients read before areas had every level (nearest.js, old apps)
    found["district"] = found["county"]
    cur.execute(query("locate_grid"), params)
    grid = cur.fetchone()
    branch = None
    if grid is not None:
        grid = dict(grid)
        grid["grid_worker_phone"] = labels.mask_phone(grid["grid_worker_phone"])
        branch_id = grid.pop("branch_id")
        if not with_geometry:
            grid.pop("geometry")
        if branch_id is not None:
            cur.execute(query("branch_by_id"), {"id": branch_id})
            branch = dict(cur.fetchone())
    nearest = nearest_sites(cur, lon, lat, "service_point", 1)
    service_point = None
    if nearest:
        n = nearest[0]
        service_point = {
            **n["properties"],
            "distance_m": n["distance_m"],
            "network_distance_m": n["network_distance_m"],
            "walk_minutes": n["walk_minutes"],
            "walk_basis": n["walk_basis"],
            "lon": n["lon"],
            "lat": n["lat"],
            "navigation": n["navigation"],
        }
    return {**found, "grid": grid, "branch": branch, "nearest_service_point": service_point}
