"""Aggregate figures for the leaders' screen (大屏) and the drill-down: members, orgs, service
points, coverage and mobile members' destinations, for any area at any level (province 省 …
village 村), by the areas one level below it.

Only counts leave this module, never a person's name, phone or position. Everything is
computed in one pass per query inside one REPEATABLE READ snapshot, for every area at once,
and kept per process, keyed by the data version (migration 0009: one row in stats_changes per
committed change), so a request costs one small version query until a record changes. Then a
thread recounts while requests wait up to WAIT_S for it (at `city` scale it is done by then);
past that they are answered with the previous figures marked `"stale": true`, so no request
(and no gunicorn worker) is held for the seconds a recount takes at `large` scale. The answers
built from one snapshot are kept per area (LRU, VIEWS_KEPT). Functions take a cursor or a
database URL and know nothing of HTTP.

Definitions
-----------
* Area of a record, from 12-digit codes: an org sits in its admin_area_code, else in the
  nearest one above it in the org tree (NULL when none: the org counts in no area); members
  count in their org's area; a service point in the deepest area holding it when that lies in
  its admin_area_code, else in that code; a grid in its community; a home or a destination in
  the deepest area holding its point. A record is in area A when its code starts with the
  digits naming A (2 province, 4 city, 6 county, 9 street or town, 12 community or village).
  Since every area's parent is held (migration 0012), an area's figure is the sum over its
  children plus what sits on the area itself (`own` in /stats/areas), for every count but the
  mobile ones, which count crossings of the area's own boundary.
* The root area: the top-most area held. When several areas have no parent held (four
  counties imported without their city), the root is their common ancestor, not loaded
  itself (`held: false`), whose children are those areas.
* Mobile out (流出): mobile members of the area whose destination lies outside it (or is not
  located). Mobile in (流入): mobile members whose org is outside the area while an org of the
  area helps manage them (inflow org) or their destination lies inside it.
* Age bands by calendar year minus birth year: ≤35, 36–45, 46–55, 56–65, ≥66.
* 15-minute circle coverage (15分钟生活圈): walking mode of mapsvc.coverage.service, 15 minutes at
  75 m/min (1125 m along the roads); distance mode with a 1125 m radius when no walking
  network is loaded. A grid is covered when its centroid is; shares of grids and of the
  grids' population. The response says which mode was used.
* Organisation coverage (组织覆盖): mapsvc.coverage.service.org_coverage's findings in the area
  (the root area: all of them); the rate is the share of communities and villages where 3 or
  more full members live that have an org.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mapsvc.coverage import service as cov
from mapsvc.domain import vocabulary as words
from mapsvc.domain.errors import BadInput, NotFound, Unavailable
from mapsvc.domain.messages import MESSAGES
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
AREA_CODE = re.compile(r"^[1-9][0-9]{11}$")
STREET_CODE = re.compile(r"^[0-9]{12}$")
# how many leading digits of a code name an area of each level
PREFIX = {
    "province": 2,
    "city": 4,
    "county": 6,
    "street": 9,
    "town": 9,
    "community": 12,
    "village": 12,
}
# what a level holds below it: (中文, English)
BELOW = {
    "province": ("市", "cities"),
    "city": ("区县", "counties"),
    "county": ("街道或镇乡", "streets or towns"),
    "street": ("社区或村", "communities or villages"),
    "town": ("社区或村", "communities or villages"),
}
LEVEL_EN = {
    "province": "province",
    "city": "city",
    "county": "county",
    "street": "street",
    "town": "town",
    "community": "community",
    "village": "village",
}
# stats_changes keeps one row per writing transaction; past this many the oldest go
CHANGES_KEPT = 10_000
VIEWS_KEPT = 256  # answers kept per snapshot (area × endpoint), least recently used out

# a request waits this long for figures being recounted, then gets the previous ones
WAIT_S = 2.0
RETRY_AFTER_S = 3


# ------------------------------------------------------------------ the snapshot
def _version(cur) -> tuple:
    cur.execute(query("stats_version"))
    r = cur.fetchone()
    return (int(r["n"]), r["s"])


def _rows(cur, name: str, args: dict | None = None) -> list[dict]:
    cur.execute(query(name), args or {})
    return [dict(r) for r in cur.fetchall()]


def _compute(cur) -> dict:
    """Every aggregate the screen shows, for every area, from one snapshot."""
    started = time.perf_counter()
    areas = {a["code"]: a for a in _rows(cur, "stats_areas")}
    children: dict[str, list[str]] = defaultdict(list)
    for a in areas.values():
        if a["parent_code"] in areas:
            children[a["parent_code"]].append(a["code"])
    homes = {h["code"]: h for h in _rows(cur, "stats_homes")}

    # the 15-minute circle: walking when there is a network to walk, else the same metres
    try:
        reach = cov.make_reach(cur, "walk", None, CIRCLE_MINUTES)
    except BadInput:  # no road network, or too short a one
        reach = cov.make_reach(cur, "distance", CIRCLE_RADIUS_M, None)
    snap = {
        "areas": areas,
        "children": dict(children),
        "tops": sorted(c for c, a in areas.items() if a["parent_code"] not in areas),
        "homes": homes,
        "members": _rows(cur, "stats_members"),
        "mobile": _rows(cur, "stats_mobile"),
        "orgs": _rows(cur, "stats_orgs"),
        "service_points": _rows(cur, "stats_service_points"),
        "branch_cells": _rows(cur, "stats_branch_cells", {"cell_deg": BRANCH_CELL_DEG}),
        "reach": reach,
        "grids": cov.grid_rows(cur, reach, members=False),
        "org_findings": cov.org_coverage(cur),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    snap["root"] = _root(snap)
    snap["computed_in_ms"] = round((time.perf_counter() - started) * 1000)
    return snap


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
            snap["views"] = OrderedDict()
            snap["views_lock"] = threading.Lock()
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


# ------------------------------------------------------------------ areas
def level_of_code(code: str) -> str:
    """The level a code names by its zero groups (street for …SSS000, community below)."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        return "town" if code[6] in "123" else "street"
    return "village" if code[9] in "23" else "community"


def _prefix(area: dict) -> str:
    return area["code"][: PREFIX[area["level"]]]


def _virtual(snap: dict, code: str) -> dict | None:
    """An area not held whose held descendants are top-most areas (their common ancestor)."""
    level = level_of_code(code)
    if level not in ("province", "city", "county"):
        return None
    p = code[: PREFIX[level]]
    tops = [t for t in snap["tops"] if t.startswith(p) and t != code]
    if not tops:
        return None
    ts = [snap["areas"][t] for t in tops]
    return {
        "code": code,
        "name": f"{words.AREA_LEVELS[level]} {code}",
        "level": level,
        "parent_code": None,
        "population": sum(t["population"] for t in ts),
        "lon": sum(t["lon"] for t in ts) / len(ts),
        "lat": sum(t["lat"] for t in ts) / len(ts),
        "xmin": min(t["xmin"] for t in ts),
        "ymin": min(t["ymin"] for t in ts),
        "xmax": max(t["xmax"] for t in ts),
        "ymax": max(t["ymax"] for t in ts),
        "area_km2": sum(t["area_km2"] for t in ts),
        "leaf": False,
        "geometry": None,
        "held": False,
        "_children": tops,
    }


def _root(snap: dict) -> dict | None:
    """The top-most area held, or the common ancestor of several top-most areas."""
    tops = snap["tops"]
    if not tops:
        return None
    if len(tops) == 1:
        return snap["areas"][tops[0]]
    for cut in (9, 6, 4, 2):
        p = tops[0][:cut]
        if all(t.startswith(p) and PREFIX[snap["areas"][t]["level"]] > cut for t in tops):
            virtual = _virtual(snap, p + "0" * (12 - cut))
            if virtual is not None:
                return virtual
    # tops in different provinces: the one with the most members
    return max((snap["areas"][t] for t in tops), key=lambda a: member_counts(snap, a)["total"])


def area(snap: dict, code: str | None) -> dict:
    """The area named by code (the root area when None): held, or the common ancestor of
    top-most areas; 400 for a malformed code, 404 naming an unknown one."""
    if code is None:
        return snap["root"]
    if not AREA_CODE.match(code):
        raise BadInput("invalid_area", area=code)
    found = snap["areas"].get(code) or _virtual(snap, code)
    if found is None:
        raise NotFound("stats_unknown_area", area=code)
    return found


def street_area(snap: dict, code: str) -> dict:
    """`?street=` as it always was: a street or town held; 400 otherwise."""
    if not STREET_CODE.match(code):
        raise BadInput("invalid_street", street=code)
    found = snap["areas"].get(code)
    if found is None or found["level"] not in ("street", "town"):
        root = snap["root"]
        raise BadInput("unknown_street", street=code, district=root["name"] if root else "")
    return found


def children_of(snap: dict, a: dict) -> list[dict]:
    """The areas one level below a (for the common ancestor: the top-most areas)."""
    codes = a.get("_children") or snap["children"].get(a["code"], [])
    return [snap["areas"][c] for c in codes]


def _in(a: dict | None, code: str | None) -> bool:
    return a is not None and code is not None and code.startswith(_prefix(a))


def area_json(snap: dict, a: dict) -> dict:
    """The area as answers name it: code, name, level, its parent and the path from the root."""
    path, code = [], a["code"]
    while code is not None:
        node = snap["areas"].get(code) or (a if code == a["code"] else None)
        if node is None:
            break
        path.append({"code": node["code"], "name": node["name"], "level": node["level"]})
        code = node["parent_code"]
    root = snap["root"]
    if root is not None and not root.get("held", True) and root["code"] != a["code"]:
        if _in(root, a["code"]):
            path.append({"code": root["code"], "name": root["name"], "level": root["level"]})
    path.reverse()
    return {
        "code": a["code"],
        "name": a["name"],
        "level": a["level"],
        "level_zh": words.AREA_LEVELS[a["level"]],
        "parent_code": a["parent_code"] if a["parent_code"] in snap["areas"] else None,
        "held": a.get("held", True),
        "path": path,
    }


def _scope_json(a: dict) -> dict:
    return {"level": a["level"], "code": a["code"], "name": a["name"]}


def _meta(snap: dict) -> dict:
    return {
        "data_version": f"{snap['version'][0]}.{snap['version'][1]}",
        "computed_at": snap["computed_at"],
        "computed_in_ms": snap["computed_in_ms"],
    }


def _note(what: str, key: str, **values) -> dict:
    zh, en, _ = MESSAGES[key]
    return {"what": what, "message": zh.format(**values), "message_en": en.format(**values)}


def missing(snap: dict, a: dict) -> list[dict]:
    """What the area's figures lack: levels not loaded, grids not drawn, orgs placed nowhere."""
    out = []
    if not a.get("held", True):
        out.append(_note("area", "missing_area", code=a["code"], count=len(children_of(snap, a))))
    for x in [a, *children_of(snap, a)]:
        if x["level"] in BELOW and not children_of(snap, x):
            zh, en = BELOW[x["level"]]
            out.append(
                _note(
                    "children",
                    "missing_children",
                    name=x["name"],
                    code=x["code"],
                    below_zh=zh,
                    below=en,
                )
            )
    gridded = {g["community_code"] for g in snap["grids"]}
    bare = [
        c
        for c, x in snap["areas"].items()
        if x["level"] in ("community", "village") and _in(a, c) and c not in gridded
    ]
    if bare:
        out.append(_note("grids", "missing_grids", name=a["name"], count=len(bare)))
    if a is snap["root"]:
        unplaced = sum(r["n"] for r in snap["orgs"] if r["area"] is None)
        if unplaced:
            out.append(_note("orgs", "unplaced_orgs", count=unplaced))
    return out


# ------------------------------------------------------------------ figures
def member_counts(snap: dict, a: dict) -> dict:
    """members: total, full, probationary, mobile_out, mobile_in."""
    out = dict.fromkeys(["total", "full", "probationary", "mobile_out", "mobile_in"], 0)
    for r in snap["members"]:
        if _in(a, r["area"]):
            out["total"] += r["n"]
            out[r["status"]] += r["n"]
    for r in snap["mobile"]:
        origin_in = _in(a, r["origin"])
        if origin_in and not _in(a, r["dest"]):
            out["mobile_out"] += r["n"]
        elif not origin_in and (_in(a, r["inflow"]) or _in(a, r["dest"])):
            out["mobile_in"] += r["n"]
    return out


def age_gender(snap: dict, a: dict) -> list[dict]:
    """Members by age band and gender."""
    rows = {b: {"band": b, "label": AGE_BAND_LABELS[b], "M": 0, "F": 0} for b in AGE_BANDS}
    for r in snap["members"]:
        if _in(a, r["area"]):
            rows[AGE_BANDS[r["band"]]][r["gender"]] += r["n"]
    return list(rows.values())


def org_counts(snap: dict, a: dict) -> dict:
    """Active orgs: total, by level, by category."""
    by_level = dict.fromkeys(ORG_LEVELS, 0)
    by_category = dict.fromkeys(ORG_CATEGORIES, 0)
    for r in snap["orgs"]:
        if _in(a, r["area"]):
            by_level[r["level"]] += r["n"]
            by_category[r["category"]] += r["n"]
    return {"total": sum(by_level.values()), "by_level": by_level, "by_category": by_category}


def service_point_counts(snap: dict, a: dict) -> dict:
    """Service points: total and by level."""
    by_level = dict.fromkeys(SERVICE_POINT_LEVELS, 0)
    for s in snap["service_points"]:
        if _in(a, s["area"]):
            by_level[s["level"]] += 1
    return {"total": sum(by_level.values()), "by_level": by_level}


def circle_coverage(snap: dict, a: dict) -> dict:
    """Share of grids and of their population inside the 15-minute circle."""
    gs = [g for g in snap["grids"] if _in(a, g["community_code"])]
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
        # the contract's name for the share of the population (issue 18)
        "rate": round(covered_pop / pop, 4) if pop else None,
    }


def organisation_coverage(snap: dict, a: dict) -> dict:
    """Organisation coverage: the rate, and how many places and branches each finding names."""
    f = snap["org_findings"]
    whole = a is snap["root"]  # the root: every finding, orgs placed in no area too
    needing = [
        code
        for code, h in snap["homes"].items()
        if h["full_members"] >= MIN_FULL_MEMBERS
        and snap["areas"][code]["level"] in ("community", "village")
        and _in(a, code)
    ]
    without = [c for c in f["places_without_org"]["communities"] if _in(a, c["code"])]
    grids = [g for g in f["places_without_org"]["grids"] if _in(a, g["community_code"])]
    over = [b for b in f["oversized_branches"] if whole or _in(a, b["admin_area_code"])]
    under = [b for b in f["undersized_branches"] if whole or _in(a, b["admin_area_code"])]
    return {
        "communities_needing_org": len(needing),
        "communities_without_org": len(without),
        "rate": round(1 - len(without) / len(needing), 4) if needing else None,
        "grids_without_party_group": len(grids),
        "oversized_branches": len(over),
        "undersized_branches": len(under),
        # clusters of mobile members at destinations belong to the territory as a whole
        "suggested_migrant_groups": len(f["suggested_migrant_groups"]) if whole else None,
        "rule": f"有 {MIN_FULL_MEMBERS} 名以上正式党员居住的社区（村）中已建党组织的比例 / share "
        f"of communities and villages where {MIN_FULL_MEMBERS} or more full members live that "
        "have a party org",
    }


def area_figures(snap: dict, a: dict) -> dict:
    """One row of /stats/areas: the area's counts (the sums of its children's, plus its own)."""
    m = member_counts(snap, a)
    c = circle_coverage(snap, a)
    return {
        "code": a["code"],
        "name": a["name"],
        "level": a["level"],
        "level_zh": words.AREA_LEVELS[a["level"]],
        "lon": round(a["lon"], 6),
        "lat": round(a["lat"], 6),
        "members": {k: m[k] for k in ("total", "full", "probationary", "mobile_out", "mobile_in")},
        "orgs": org_counts(snap, a)["total"],
        "service_points": service_point_counts(snap, a)["total"],
        "population": a["population"],
        "grids": c["grids"],
        "coverage_15min": {
            "covered_population": c["covered_population"],
            "population": c["population"],
            "rate": c["rate"],
        },
    }


def _own_figures(snap: dict, a: dict) -> dict:
    """What sits on the area itself, in none of its children (its committee, its centre)."""
    exactly = {**a, "level": "village"}  # all 12 digits: this code and nothing below it
    m = member_counts(snap, exactly)
    return {
        "code": a["code"],
        "members": {k: m[k] for k in ("total", "full", "probationary")},
        "orgs": org_counts(snap, exactly)["total"],
        "service_points": service_point_counts(snap, exactly)["total"],
        "grids": circle_coverage(snap, exactly)["grids"],
    }


def _memo(fn):
    """Answers are built once per snapshot and area: a refresh of the screen costs a lookup."""

    def wrapper(
        url: str,
        code: str | None = None,
        wait_s: float = WAIT_S,
        *,
        street: str | None = None,
    ) -> dict:
        snap, stale = snapshot(url, wait_s)
        if snap["root"] is None:
            raise NotFound("no_areas")
        a = street_area(snap, street) if street is not None else area(snap, code)
        key = (fn.__name__, a["code"])
        views = snap["views"]
        with snap["views_lock"]:
            view = views.get(key)
            if view is not None:
                views.move_to_end(key)
        if view is None:
            view = fn(snap, a)
            with snap["views_lock"]:
                views[key] = view
                while len(views) > VIEWS_KEPT:
                    views.popitem(last=False)
        return {**view, "stale": stale}

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


@_memo
def overview(snap: dict, a: dict) -> dict:
    """Headline figures of an area, with what its data lacks."""
    return {
        "scope": _scope_json(a),
        "area": area_json(snap, a),
        "missing": missing(snap, a),
        "members": member_counts(snap, a),
        "orgs": org_counts(snap, a),
        "service_points": service_point_counts(snap, a),
        "coverage_15min": circle_coverage(snap, a),
        "org_coverage": organisation_coverage(snap, a),
        "age_gender": age_gender(snap, a),
        **_meta(snap),
    }


@_memo
def areas(snap: dict, a: dict) -> dict:
    """The areas one level below a, with their figures, ranked by members (then code)."""
    items = [area_figures(snap, c) for c in children_of(snap, a)]
    items.sort(key=lambda r: (-r["members"]["total"], r["code"]))
    for i, r in enumerate(items, start=1):
        r["rank"] = i
    return {
        "parent": {**area_json(snap, a), **area_figures(snap, a)},
        "own": _own_figures(snap, a) if a.get("held", True) else None,
        "items": items,
        "ranked_by": "members",
        "missing": missing(snap, a),
        **_meta(snap),
    }


@_memo
def streets(snap: dict, a: dict) -> dict:
    """Every street and town in the area with its figures, ranked by members (then coverage,
    code); the screen's table."""
    rows = []
    for s in snap["areas"].values():
        if s["level"] not in ("street", "town") or not _in(a, s["code"]):
            continue
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
    return {
        "scope": _scope_json(a),
        "area": area_json(snap, a),
        "ranked_by": "members",
        "coverage_basis": circle_coverage(snap, a)["basis"],
        "streets": rows,
        **_meta(snap),
    }


@_memo
def flows(snap: dict, a: dict) -> dict:
    """Destinations of the area's mobile members going out of it, with counts and places."""
    by_dest: dict[str, Counter] = {}
    for r in snap["mobile"]:
        if not _in(a, r["origin"]) or _in(a, r["dest"]):
            continue
        d = by_dest.setdefault(r["destination"], Counter())
        d.update({"n": r["n"], "x": r["sum_lon"], "y": r["sum_lat"], "k": r["located"]})
    out = [
        {
            "destination": dest,
            "members": d["n"],
            "lon": round(d["x"] / d["k"], 4) if d["k"] else None,
            "lat": round(d["y"] / d["k"], 4) if d["k"] else None,
        }
        for dest, d in by_dest.items()
    ]
    out.sort(key=lambda d: (-d["members"], d["destination"]))
    return {
        "scope": _scope_json(a),
        "area": area_json(snap, a),
        "origin": {
            "code": a["code"],
            "name": a["name"],
            "lon": round(a["lon"], 6),
            "lat": round(a["lat"], 6),
        },
        "total": sum(d["members"] for d in out),
        "flows": out,
        **_meta(snap),
    }


def _leaves(snap: dict, a: dict) -> list[dict]:
    return [x for c, x in snap["areas"].items() if x["leaf"] and _in(a, c)]


def _homes_under(snap: dict, a: dict) -> int:
    return sum(h["members"] for c, h in snap["homes"].items() if _in(a, c))


def _feature(x: dict, **props) -> dict:
    return {
        "type": "Feature",
        "id": x["code"],
        "geometry": x["geometry"],
        "properties": {"code": x["code"], "name": x["name"], "level": x["level"], **props},
    }


def _density(members: int, km2: float) -> float | None:
    return round(members / km2, 1) if km2 else None


@_memo
def map_layers(snap: dict, a: dict) -> dict:
    """The screen's map of an area: its children's boundaries with member density, density per
    leaf area (communities and villages), branch cells, service points with their 15-minute
    reach. Aggregates and public facilities only."""
    head = {
        "code": a["code"],
        "name": a["name"],
        "level": a["level"],
        "lon": round(a["lon"], 6),
        "lat": round(a["lat"], 6),
        "bbox": [round(a[k], 6) for k in ("xmin", "ymin", "xmax", "ymax")],
    }
    kids = []
    for x in children_of(snap, a):
        homes = _homes_under(snap, x)
        kids.append(
            _feature(
                x,
                lon=round(x["lon"], 6),
                lat=round(x["lat"], 6),
                members=homes,
                per_km2=_density(homes, x["area_km2"]),
            )
        )
    cells: dict[tuple, Counter] = {}
    for c in snap["branch_cells"]:
        if _in(a, c["area"]):
            cells.setdefault((c["cx"], c["cy"]), Counter()).update(
                {"n": c["n"], "x": c["sum_lon"], "y": c["sum_lat"]}
            )
    leaves = []
    for x in _leaves(snap, a):
        h = snap["homes"].get(x["code"], {"members": 0})
        leaves.append(
            _feature(
                x,
                street_code=x["code"][:9] + "000",
                members=h["members"],
                per_km2=_density(h["members"], x["area_km2"]),
            )
        )
    children = {"type": "FeatureCollection", "features": kids}
    return {
        "area": {**area_json(snap, a), **head},
        "district": head,  # the screen's name for the area it shows (T3 reworks the screen)
        "children": children,
        "streets": children,  # the screen's name for the children
        "density": {"type": "FeatureCollection", "features": leaves},
        "branch_cells": {
            "cell_deg": BRANCH_CELL_DEG,
            "cells": [
                [round(c["x"] / c["n"], 5), round(c["y"] / c["n"], 5), c["n"]]
                for c in cells.values()
            ],
        },
        "service_points": [
            {
                "name": s["name"],
                "level": s["level"],
                "area_code": s["area"],
                "street_code": s["area"][:9] + "000" if s["area"] else None,
                "lon": round(s["lon"], 6),
                "lat": round(s["lat"], 6),
                "reach_m": CIRCLE_RADIUS_M,
            }
            for s in snap["service_points"]
            if _in(a, s["area"])
        ],
        "missing": missing(snap, a),
        **_meta(snap),
    }
