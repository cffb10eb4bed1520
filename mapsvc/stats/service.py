"""Aggregate figures for the leaders' screen (大屏): members, orgs, service points, coverage,
mobile members' destinations, by the district or by one of its streets and towns.

Only counts leave this module, never a person's name, phone or position. Everything is
computed in one pass per query inside one REPEATABLE READ snapshot and kept per process,
keyed by the data version (migration 0009: one row in stats_changes per committed change),
so a request costs one small version query until a record changes. Then a thread recounts
while requests wait up to WAIT_S for it (at `city` scale it is done by then); past that they
are answered with the previous figures marked `"stale": true`, so no request (and no
gunicorn worker) is held for the seconds a recount takes at `large` scale. Functions take a cursor or a
database URL and know nothing of HTTP.

Definitions
-----------
* The district: the admin area of level `district`; its committee is the shallowest active
  org whose admin area is the district. Members of the district are the members of orgs in
  that committee's subtree; orgs of the district are its active orgs (the committee too).
* Street of a member, org or service point: the street or town where the (member's) org or
  the service point sits, from its 12-digit admin area code (digits 7-9); orgs of the whole
  district (code …000000) belong to no street. Streets' figures therefore add up to the
  district's, except for the district-wide orgs and their members.
* Mobile out (流出): mobile members of the district whose destination lies outside it.
  Mobile in (流入): mobile members whose relationship is kept outside the district while an
  org of the district helps manage them, or whose destination lies inside it; by the street
  of that inflow org.
* Age bands by calendar year minus birth year: ≤35, 36–45, 46–55, 56–65, ≥66.
* 15-minute circle coverage (15分钟生活圈): walking mode of mapsvc.coverage.service, 15 minutes at
  75 m/min (1125 m along the roads); distance mode with a 1125 m radius when no walking
  network is loaded. A grid is covered when its centroid is; shares of grids and of the
  grids' population. The response says which mode was used.
* Organisation coverage (组织覆盖): mapsvc.coverage.service.org_coverage's findings; the rate is the
  share of communities and villages where 3 or more full members live that have an org.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mapsvc.coverage import service as cov
from mapsvc.domain import vocabulary as words
from mapsvc.domain.errors import BadInput, NotFound, Unavailable
from mapsvc.domain.rules import MIN_FULL_MEMBERS, WALKING_SPEED_M_PER_MIN
from mapsvc.infra import db
from mapsvc.infra.sql import Queries

query = Queries(__file__)

AGE_BANDS = ["≤35", "36-45", "46-55", "56-65", "≥66"]
AGE_BAND_LABELS = {
    "≤35": "35岁及以下",
    "36-45": "36–45岁",
    "46-55": "46–55岁",
    "56-65": "56–65岁",
    "≥66": "66岁及以上",
}
ORG_LEVELS = list(words.ORG_LEVELS)
ORG_CATEGORIES = list(words.ORG_CATEGORIES)
SERVICE_POINT_LEVELS = list(words.SERVICE_POINT_LEVELS)
CIRCLE_MINUTES = 15.0
CIRCLE_RADIUS_M = CIRCLE_MINUTES * WALKING_SPEED_M_PER_MIN  # 1125 m
BRANCH_CELL_DEG = 0.005  # about 440 m east-west, 555 m north-south at 38° N
STREET_CODE = re.compile(r"^[0-9]{12}$")
# stats_changes keeps one row per writing transaction; past this many the oldest go
CHANGES_KEPT = 10_000

# a request waits this long for figures being recounted, then gets the previous ones
WAIT_S = 2.0
RETRY_AFTER_S = 3


# ------------------------------------------------------------------ the snapshot
def _version(cur) -> tuple:
    cur.execute(query("stats_version"))
    r = cur.fetchone()
    return (int(r["n"]), r["s"])


def _street_of(code: str | None) -> str | None:
    if not code or code[6:9] == "000":
        return None
    return code[:9] + "000"


def _compute(cur) -> dict:
    """Every aggregate the screen shows, district-wide and per street, from one snapshot."""
    started = time.perf_counter()
    cur.execute(query("stats_district"))
    district = cur.fetchone()
    if district is None or district["org_path"] is None:
        raise NotFound("no_district")
    district = dict(district)
    p = {
        "district_path": district["org_path"],
        "district_code": district["code"],
        "cell_deg": BRANCH_CELL_DEG,
    }
    cur.execute(query("stats_streets"), p)
    streets = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_members"), p)
    members = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_mobile_in"), p)
    mobile_in = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_flows"), p)
    flows = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_orgs"), p)
    orgs = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_service_points"), p)
    points = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_homes"), p)
    homes = [dict(r) for r in cur.fetchall()]
    cur.execute(query("stats_branch_cells"), p)
    branch_cells = [dict(r) for r in cur.fetchall()]

    # the 15-minute circle: walking when there is a network to walk, else the same metres
    try:
        reach = cov.make_reach(cur, "walk", None, CIRCLE_MINUTES)
    except BadInput:  # no road network, or too short a one
        reach = cov.make_reach(cur, "distance", CIRCLE_RADIUS_M, None)
    grids = cov.grid_rows(cur, reach, members=False)
    org_findings = cov.org_coverage(cur)
    return {
        "district": district,
        "streets": streets,
        "members": members,
        "mobile_in": mobile_in,
        "flows": flows,
        "orgs": orgs,
        "service_points": points,
        "homes": homes,
        "branch_cells": branch_cells,
        "reach": reach,
        "grids": grids,
        "org_findings": org_findings,
        "computed_in_ms": round((time.perf_counter() - started) * 1000),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@dataclass
class _Figures:
    """One database's figures: the latest snapshot, and the thread computing a newer one."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    snap: dict | None = None
    worker: threading.Thread | None = None
    error: BaseException | None = None


def _refresh(url: str, figures: _Figures) -> None:
    """Compute the figures in one snapshot (a thread of its own: a slow recount never holds
    a request, nor a gunicorn worker, past its wait)."""
    try:
        with db.cursor(url) as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            version = _version(cur)  # read in the same snapshot as the figures
            snap = _compute(cur)
            snap["version"] = version
        if version[0] > CHANGES_KEPT:
            _prune_changes(url)
        with figures.lock:
            figures.snap, figures.error = snap, None
    except BaseException as exc:  # handed to the request that waits for it
        with figures.lock:
            figures.error = exc


def snapshot(url: str, wait_s: float = WAIT_S) -> tuple[dict, bool]:
    """The aggregates for the database at url and whether they are stale.

    They are kept until the data version moves. Then one thread recounts while requests
    wait up to wait_s for it; past that they get the previous figures (stale), or, before
    any figures exist, a 503 asking to come back shortly.
    """
    with db.cursor(url) as cur:
        version = _version(cur)
    figures = _figures[url]
    with figures.lock:
        snap = figures.snap
        if snap is not None and snap["version"] == version:
            return snap, False
        if figures.worker is None or not figures.worker.is_alive():
            figures.error = None
            figures.worker = threading.Thread(
                target=_refresh, args=(url, figures), name="stats-refresh", daemon=True
            )
            figures.worker.start()
        worker = figures.worker
    worker.join(wait_s)
    with figures.lock:
        if not worker.is_alive():
            if figures.error is not None:
                raise figures.error
            if figures.snap is not None:
                return figures.snap, False
        if figures.snap is not None:
            return figures.snap, True
    raise Unavailable("figures_computing", extra={"retry_after_s": RETRY_AFTER_S})


def _prune_changes(url: str) -> None:
    """Keep the newest rows of stats_changes (the version moves once more, harmlessly)."""
    with db.cursor(url) as cur:
        cur.execute(
            "DELETE FROM stats_changes WHERE xid < (SELECT min(xid) FROM "
            "(SELECT xid FROM stats_changes ORDER BY xid DESC LIMIT 100) k)"
        )


_figures: dict[str, _Figures] = defaultdict(_Figures)


# ------------------------------------------------------------------ the street filter
def street_scope(snap: dict, code: str | None) -> dict | None:
    """The street or town named by code (None for the whole district); 400 when unknown."""
    if code is None:
        return None
    if not STREET_CODE.match(code):
        raise BadInput("invalid_street", street=code)
    for s in snap["streets"]:
        if s["code"] == code:
            return s
    raise BadInput("unknown_street", street=code, district=snap["district"]["name"])


def _in(street: dict | None, code: str | None) -> bool:
    return street is None or code == street["code"]


def _scope_json(snap: dict, street: dict | None) -> dict:
    d = snap["district"]
    if street is None:
        return {"level": "district", "code": d["code"], "name": d["name"]}
    return {"level": street["level"], "code": street["code"], "name": street["name"]}


def _meta(snap: dict) -> dict:
    return {
        "data_version": f"{snap['version'][0]}.{snap['version'][1]}",
        "computed_at": snap["computed_at"],
        "computed_in_ms": snap["computed_in_ms"],
    }


# ------------------------------------------------------------------ figures
def member_counts(snap: dict, street: dict | None) -> dict:
    """members: total, full, probationary, mobile_out, mobile_in."""
    out = dict.fromkeys(["total", "full", "probationary", "mobile_out", "mobile_in"], 0)
    for r in snap["members"]:
        if _in(street, r["street_code"]):
            out["total"] += r["n"]
            out[r["status"]] += r["n"]
            if r["mobile_out"]:
                out["mobile_out"] += r["n"]
    out["mobile_in"] = sum(r["n"] for r in snap["mobile_in"] if _in(street, r["street_code"]))
    return out


def age_gender(snap: dict, street: dict | None) -> list[dict]:
    """Members by age band and gender."""
    rows = {b: {"band": b, "label": AGE_BAND_LABELS[b], "M": 0, "F": 0} for b in AGE_BANDS}
    for r in snap["members"]:
        if _in(street, r["street_code"]):
            rows[AGE_BANDS[r["band"]]][r["gender"]] += r["n"]
    return list(rows.values())


def org_counts(snap: dict, street: dict | None) -> dict:
    """Active orgs: total, by level, by category."""
    by_level = dict.fromkeys(ORG_LEVELS, 0)
    by_category = dict.fromkeys(ORG_CATEGORIES, 0)
    for r in snap["orgs"]:
        if _in(street, r["street_code"]):
            by_level[r["level"]] += r["n"]
            by_category[r["category"]] += r["n"]
    return {"total": sum(by_level.values()), "by_level": by_level, "by_category": by_category}


def service_point_counts(snap: dict, street: dict | None) -> dict:
    """Service points: total and by level."""
    by_level = dict.fromkeys(SERVICE_POINT_LEVELS, 0)
    for s in snap["service_points"]:
        if _in(street, s["street_code"]):
            by_level[s["level"]] += 1
    return {"total": sum(by_level.values()), "by_level": by_level}


def _grid_street(snap: dict, g: dict) -> str:
    return g["community_code"][:9] + "000"


def circle_coverage(snap: dict, street: dict | None) -> dict:
    """Share of grids and of their population inside the 15-minute circle."""
    gs = [g for g in snap["grids"] if _in(street, _grid_street(snap, g))]
    grids = len(gs)
    covered = sum(1 for g in gs if g["covered"])
    pop = sum(g["population"] for g in gs)
    covered_pop = sum(g["population"] for g in gs if g["covered"])
    reach = snap["reach"]
    return {
        "mode": reach.mode,
        "minutes": CIRCLE_MINUTES,
        "reach_m": CIRCLE_RADIUS_M,
        "basis": (
            f"步行路网 {CIRCLE_MINUTES:.0f} 分钟（{WALKING_SPEED_M_PER_MIN:.0f} 米/分钟） / a "
            f"{CIRCLE_MINUTES:.0f}-minute walk along the roads at {WALKING_SPEED_M_PER_MIN:.0f} m/min"
            if reach.mode == "walk"
            else f"直线距离 {CIRCLE_RADIUS_M:.0f} 米（无步行路网） / {CIRCLE_RADIUS_M:.0f} m straight "
            "line (no walking network)"
        ),
        "grids": grids,
        "covered_grids": covered,
        "grid_share": round(covered / grids, 4) if grids else None,
        "population": pop,
        "covered_population": covered_pop,
        "population_share": round(covered_pop / pop, 4) if pop else None,
    }


def organisation_coverage(snap: dict, street: dict | None) -> dict:
    """Organisation coverage: the rate, and how many places and branches each finding names."""
    f = snap["org_findings"]
    needing = [
        h
        for h in snap["homes"]
        if h["full_members"] >= MIN_FULL_MEMBERS and _in(street, h["code"][:9] + "000")
    ]
    without = [
        c for c in f["places_without_org"]["communities"] if _in(street, c["code"][:9] + "000")
    ]
    grids = [
        g for g in f["places_without_org"]["grids"] if _in(street, g["community_code"][:9] + "000")
    ]
    over = [b for b in f["oversized_branches"] if _in(street, _street_of(b["admin_area_code"]))]
    under = [b for b in f["undersized_branches"] if _in(street, _street_of(b["admin_area_code"]))]
    return {
        "communities_needing_org": len(needing),
        "communities_without_org": len(without),
        "rate": round(1 - len(without) / len(needing), 4) if needing else None,
        "grids_without_party_group": len(grids),
        "oversized_branches": len(over),
        "undersized_branches": len(under),
        # clusters of mobile members at destinations belong to the district as a whole
        "suggested_migrant_groups": len(f["suggested_migrant_groups"]) if street is None else None,
        "rule": f"有 {MIN_FULL_MEMBERS} 名以上正式党员居住的社区（村）中已建党组织的比例 / share "
        f"of communities and villages where {MIN_FULL_MEMBERS} or more full members live that "
        "have a party org",
    }


def _memo(fn):
    """Answers are built once per snapshot and street: a refresh of the screen costs a lookup."""

    def wrapper(url: str, street_code: str | None = None, wait_s: float = WAIT_S) -> dict:
        snap, stale = snapshot(url, wait_s)
        street = street_scope(snap, street_code)
        views = snap.setdefault("views", {})
        key = (fn.__name__, street_code)
        if key not in views:
            views[key] = fn(snap, street)
        return {**views[key], "stale": stale}

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


@_memo
def overview(snap: dict, street: dict | None) -> dict:
    """Headline figures of the district or one street."""
    return {
        "scope": _scope_json(snap, street),
        "members": member_counts(snap, street),
        "orgs": org_counts(snap, street),
        "service_points": service_point_counts(snap, street),
        "coverage_15min": circle_coverage(snap, street),
        "org_coverage": organisation_coverage(snap, street),
        "age_gender": age_gender(snap, street),
        **_meta(snap),
    }


@_memo
def streets(snap: dict, street: dict | None) -> dict:
    """Every street and town with its figures, ranked by members (then coverage, code)."""
    rows = []
    for s in snap["streets"]:
        m = member_counts(snap, s)
        c = circle_coverage(snap, s)
        rows.append(
            {
                "code": s["code"],
                "name": s["name"],
                "level": s["level"],
                "lon": round(s["lon"], 6),
                "lat": round(s["lat"], 6),
                "members": m["total"],
                "full": m["full"],
                "probationary": m["probationary"],
                "mobile_out": m["mobile_out"],
                "mobile_in": m["mobile_in"],
                "orgs": org_counts(snap, s)["total"],
                "service_points": service_point_counts(snap, s)["total"],
                "grids": c["grids"],
                "covered_grids": c["covered_grids"],
                "population": c["population"],
                "covered_population": c["covered_population"],
                "coverage_share": c["population_share"],
            }
        )
    rows.sort(key=lambda r: (-r["members"], -(r["coverage_share"] or 0), r["code"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    if street is not None:
        rows = [r for r in rows if r["code"] == street["code"]]
    return {
        "scope": _scope_json(snap, street),
        "ranked_by": "members",
        "coverage_basis": circle_coverage(snap, None)["basis"],
        "streets": rows,
        **_meta(snap),
    }


@_memo
def flows(snap: dict, street: dict | None) -> dict:
    """Destination cities of mobile members going out, with counts and coordinates."""
    by_dest: dict[str, dict] = {}
    for r in snap["flows"]:
        if not _in(street, r["street_code"]):
            continue
        d = by_dest.setdefault(
            r["destination"],
            {"destination": r["destination"], "members": 0, "_x": 0.0, "_y": 0.0, "_n": 0},
        )
        d["members"] += r["n"]
        if r["located"]:
            d["_x"] += r["lon"] * r["located"]
            d["_y"] += r["lat"] * r["located"]
            d["_n"] += r["located"]
    out = []
    for d in by_dest.values():
        n = d.pop("_n")
        x, y = d.pop("_x"), d.pop("_y")
        d["lon"] = round(x / n, 4) if n else None
        d["lat"] = round(y / n, 4) if n else None
        out.append(d)
    out.sort(key=lambda d: (-d["members"], d["destination"]))
    origin = street if street is not None else snap["district"]
    return {
        "scope": _scope_json(snap, street),
        "origin": {
            "code": origin["code"],
            "name": origin["name"],
            "lon": round(origin["lon"], 6),
            "lat": round(origin["lat"], 6),
        },
        "total": sum(d["members"] for d in out),
        "flows": out,
        **_meta(snap),
    }


@_memo
def map_layers(snap: dict, street: dict | None) -> dict:
    """The screen's map: street boundaries, member density per community, branch cells,
    service points with their 15-minute reach. Aggregates and public facilities only."""
    d = snap["district"]
    homes = {h["code"]: h for h in snap["homes"]}
    return {
        "district": {
            "code": d["code"],
            "name": d["name"],
            "lon": round(d["lon"], 6),
            "lat": round(d["lat"], 6),
            "bbox": [round(d[k], 6) for k in ("xmin", "ymin", "xmax", "ymax")],
        },
        "streets": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": s["code"],
                    "geometry": s["geometry"],
                    "properties": {
                        "code": s["code"],
                        "name": s["name"],
                        "level": s["level"],
                        "lon": round(s["lon"], 6),
                        "lat": round(s["lat"], 6),
                    },
                }
                for s in snap["streets"]
            ],
        },
        "density": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": code,
                    "geometry": h["geometry"],
                    "properties": {
                        "code": code,
                        "name": h["name"],
                        "street_code": code[:9] + "000",
                        "members": h["members"],
                        "per_km2": round(h["members"] / h["area_km2"], 1)
                        if h["area_km2"]
                        else None,
                    },
                }
                for code, h in homes.items()
            ],
        },
        "branch_cells": {
            "cell_deg": BRANCH_CELL_DEG,
            "cells": [
                [round(c["lon"], 5), round(c["lat"], 5), c["n"]] for c in snap["branch_cells"]
            ],
        },
        "service_points": [
            {
                "name": s["name"],
                "level": s["level"],
                "street_code": s["street_code"],
                "lon": round(s["lon"], 6),
                "lat": round(s["lat"], 6),
                "reach_m": CIRCLE_RADIUS_M,
            }
            for s in snap["service_points"]
        ],
        **_meta(snap),
    }
