"""Coverage analysis for planners: service circles, walking reach, gaps, new sites and
organisation coverage (两个覆盖). Functions take a database cursor and know nothing of HTTP.

Definitions
-----------
* Reach of a service point, by level (domain.md, "service circles"): station 500 m (the
  10-minute circle), community centre 1000 m (the 15-minute circle), street and district
  centres 1500 m. A request may override every level with one `radius_m`.
* Distance mode: a grid is covered when the geodesic (WGS84 ellipsoid) distance from its
  centroid — ST_Centroid of its EPSG:4326 polygon — to some service point is within that
  service point's reach. A member is covered when their home point is. Members count in the
  grid their home point lies inside (ST_Contains; points exactly on a boundary count nowhere).
  A community's or street's figures are sums over its grids; it is `covered` when all of its
  grids are.
* Walking mode: the same, with network metres along the roads instead of geodesic metres
  (each point joins the network at its nearest edge, at most lookup.MAX_SNAP_M away; the walk
  between vertices comes from the pgRouting-precomputed `road_walks`). `minutes` sets one
  limit for every service point at WALKING_SPEED_M_PER_MIN (75 m/min, 4.5 km/h); otherwise
  the level's reach (or `radius_m`) is the limit in network metres.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from mapsvc.domain import vocabulary as words
from mapsvc.domain.errors import BadInput, NotFound
from mapsvc.domain.rules import (  # also read as cov.LEVEL_REACH_M … by routes and bench
    LEVEL_REACH_M,
    MAX_BRANCH_MEMBERS,
    MIN_FULL_MEMBERS,
    WALKING_SPEED_M_PER_MIN,
)
from mapsvc.infra.sql import Queries
from mapsvc.lookup import service as lookup

query = Queries(__file__)

MAX_RADIUS_M = 20_000.0
# the shortest reach worth asking for; below it the SQL's metres-to-degrees arithmetic
# underflows (radius_m=5e-324 was a 500) and nothing could be covered anyway
MIN_REACH_M = 1.0
MODES = words.COVERAGE_MODES
UNITS = words.COVERAGE_UNITS
FACILITIES = words.COVERAGE_FACILITIES
MIGRANT_DISTANCE_M = 5_000.0


@dataclass(frozen=True)
class Reach:
    """How far each service point reaches: the mode and metres per level."""

    mode: str
    per_level: dict[str, float]
    radius_m: float | None = None
    minutes: float | None = None
    speed_m_per_min: float = WALKING_SPEED_M_PER_MIN

    @property
    def limit_m(self) -> float | None:
        """The one limit in metres when the request set it for every level."""
        if self.minutes is not None:
            return self.minutes * self.speed_m_per_min
        return self.radius_m

    def as_json(self) -> str:
        """Metres per level as JSON (the SQL's reach parameter)."""
        return json.dumps(self.per_level)

    def describe(self) -> dict:
        """The reach as the answer states it."""
        return {
            "mode": self.mode,
            "reach_m": self.per_level,
            "radius_m": self.radius_m,
            "minutes": self.minutes,
            "walking_speed_m_per_min": self.speed_m_per_min if self.mode == "walk" else None,
        }


def make_reach(
    cur, mode: str = "distance", radius_m: float | None = None, minutes: float | None = None
) -> Reach:
    """The reach for a request, checked (refusals are 400s in both languages)."""
    if radius_m is not None and minutes is not None:
        raise BadInput("radius_and_minutes")
    if radius_m is not None and not MIN_REACH_M <= radius_m <= MAX_RADIUS_M:
        raise BadInput("radius_out_of_range", lo=MIN_REACH_M, hi=MAX_RADIUS_M, radius_m=radius_m)
    if minutes is not None and mode != "walk":
        raise BadInput("minutes_need_walk")
    if minutes is not None and minutes <= 0:
        raise BadInput("minutes_not_positive", minutes=minutes)
    if minutes is not None and minutes * WALKING_SPEED_M_PER_MIN < MIN_REACH_M:
        raise BadInput("minutes_too_short", lo=MIN_REACH_M, minutes=minutes)
    if radius_m is not None:
        per_level = dict.fromkeys(LEVEL_REACH_M, float(radius_m))
    elif minutes is not None:
        per_level = dict.fromkeys(LEVEL_REACH_M, float(minutes) * WALKING_SPEED_M_PER_MIN)
    else:
        per_level = dict(LEVEL_REACH_M)
    reach = Reach(mode, per_level, radius_m, minutes)
    if mode == "walk":
        horizon = walk_horizon_m(cur)
        longest = max(per_level.values())
        if longest > horizon:
            most = horizon / WALKING_SPEED_M_PER_MIN
            raise BadInput("beyond_walk_reach", longest=longest, horizon=horizon, most=most)
    return reach


def walk_horizon_m(cur) -> float:
    """The reach of the precomputed road_walks; 400 when there are no roads to walk."""
    cur.execute(
        "SELECT r.reach_m, EXISTS (SELECT 1 FROM road_walks) AS built FROM road_walks_reach r"
    )
    row = cur.fetchone()
    if row is None or not row["built"]:
        raise BadInput("no_road_network")
    return float(row["reach_m"])


# ------------------------------------------------------------------ one area (issue 18)
_AREA_DIGITS = {"province": 2, "city": 4, "county": 6, "street": 9, "town": 9}


def area_prefix(cur, code: str | None) -> str | None:
    """The digits that name the area `code` (None: everywhere); 400 malformed, 404 unknown."""
    if code is None:
        return None
    if not (len(code) == 12 and code.isdigit() and code[0] != "0"):
        raise BadInput("invalid_area", area=code)
    cur.execute("SELECT level FROM admin_areas WHERE code = %s", (code,))
    row = cur.fetchone()
    if row is None:
        raise NotFound("stats_unknown_area", area=code)
    return code[: _AREA_DIGITS.get(row["level"], 12)]


def in_area(rows: list[dict], prefix: str | None, key: str = "community_code") -> list[dict]:
    """The rows whose area code (key) lies in the area named by prefix."""
    if prefix is None:
        return rows
    return [r for r in rows if (r.get(key) or "").startswith(prefix)]


# ------------------------------------------------------------------ walking SQL pieces
_SITES_ORIGINS = (
    "SELECT s.id, s.geom, r.value::float8 AS limit_m FROM service_points s "
    "JOIN jsonb_each_text(%(reach)s::jsonb) r ON r.key = s.level"
)
_POINT_ORIGINS = (
    "SELECT u.id, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) AS geom, "
    "%(limit_m)s::float8 AS limit_m "
    "FROM unnest(%(ids)s::bigint[], %(lons)s::float8[], %(lats)s::float8[]) AS u(id, lon, lat)"
)
_GRID_TARGETS = "SELECT g.id, g.id AS grid_id, ST_Centroid(g.geom) AS geom FROM grids g"
_MEMBER_TARGETS = (
    "SELECT m.id, g.id AS grid_id, m.home_geom AS geom FROM grids g "
    "JOIN LATERAL (SELECT id, home_geom FROM members m WHERE ST_Contains(g.geom, m.home_geom)) m "
    "ON true"
)


def _walk_sql(origins: str, targets: str) -> str:
    return query("coverage_walk").replace("{origins}", origins).replace("{targets}", targets)


# ------------------------------------------------------------------ per grid
def grid_rows(cur, reach: Reach, *, members: bool = True) -> list[dict]:
    """Every grid: population, members, covered, covered members, nearest service point.

    members=False skips the members in walking mode (their walks are most of the work).
    """
    if reach.mode == "distance":
        cur.execute(query("coverage_grids_distance"), {"reach": reach.as_json()})
        return [dict(r) for r in cur.fetchall()]
    args = {
        "reach": reach.as_json(),
        "max_snap_m": lookup.MAX_SNAP_M,
        "horizon_m": walk_horizon_m(cur),
    }
    cur.execute(query("coverage_grid_centroids"), {})
    grids = {r["id"]: dict(r) for r in cur.fetchall()}
    cur.execute(_walk_sql(_SITES_ORIGINS, _GRID_TARGETS), args)
    for r in cur.fetchall():
        g = grids[r["grid_id"]]
        g["covered"] = r["covered"]
        g["nearest_facility_id"] = r["nearest_id"]
        g["nearest_m"] = r["nearest_m"]
        g["members"] = g["covered_members"] = 0
    if not members:
        return sorted(grids.values(), key=lambda g: g["code"])
    cur.execute(
        "SELECT grid_id, count(*) AS members, count(*) FILTER (WHERE covered) AS covered "
        f"FROM ({_walk_sql(_SITES_ORIGINS, _MEMBER_TARGETS)}) w GROUP BY grid_id",
        args,
    )
    for r in cur.fetchall():
        grids[r["grid_id"]]["members"] = r["members"]
        grids[r["grid_id"]]["covered_members"] = r["covered"]
    return sorted(grids.values(), key=lambda g: g["code"])


def _areas(cur) -> dict[str, dict]:
    cur.execute(query("coverage_areas"))
    return {r["code"]: dict(r) for r in cur.fetchall()}


def _round(m: float | None) -> float | None:
    return None if m is None else round(float(m), 1)


def summarise(cur, rows: list[dict], by: str) -> dict:
    """Totals and units (grids, communities or streets) from per-grid rows."""
    if by == "grid":
        units = [
            {
                "code": g["code"],
                "name": g["name"],
                "community_code": g["community_code"],
                "population": g["population"],
                "members": g["members"],
                "covered": bool(g["covered"]),
                "covered_population": g["population"] if g["covered"] else 0,
                "covered_members": g["covered_members"],
                "nearest_facility_id": g["nearest_facility_id"],
                "nearest_m": _round(g["nearest_m"]),
            }
            for g in rows
        ]
    else:
        areas = _areas(cur)
        groups: dict[str, list[dict]] = defaultdict(list)
        for g in rows:
            code = g["community_code"]
            if by == "street":
                code = areas[code]["parent_code"]
            groups[code].append(g)
        units = []
        for code in sorted(groups):
            gs = groups[code]
            near = min(
                (g for g in gs if g["nearest_m"] is not None),
                key=lambda g: g["nearest_m"],
                default=None,
            )
            units.append(
                {
                    "code": code,
                    "name": areas[code]["name"],
                    "level": areas[code]["level"],
                    "grids": len(gs),
                    "covered_grids": sum(1 for g in gs if g["covered"]),
                    "population": sum(g["population"] for g in gs),
                    "members": sum(g["members"] for g in gs),
                    "covered": all(g["covered"] for g in gs),
                    "covered_population": sum(g["population"] for g in gs if g["covered"]),
                    "covered_members": sum(g["covered_members"] for g in gs),
                    "nearest_facility_id": near["nearest_facility_id"] if near else None,
                    "nearest_m": _round(near["nearest_m"]) if near else None,
                }
            )
    totals = {
        "units": len(units),
        "covered_units": sum(1 for u in units if u["covered"]),
        "population": sum(u["population"] for u in units),
        "covered_population": sum(u["covered_population"] for u in units),
        "members": sum(u["members"] for u in units),
        "covered_members": sum(u["covered_members"] for u in units),
    }
    return {"totals": totals, "units": units}


def coverage(cur, reach: Reach, by: str, prefix: str | None = None) -> dict:
    """The coverage of grids, communities or streets by service points (in one area)."""
    rows = in_area(grid_rows(cur, reach), prefix)
    return {**summarise(cur, rows, by), "by": by, "reach": reach.describe()}


def gaps(cur, reach: Reach, limit: int, prefix: str | None = None) -> dict:
    """Uncovered grids and communities, most uncovered population (then members) first."""
    rows = in_area(grid_rows(cur, reach), prefix)

    def ranked(units: list[dict]) -> list[dict]:
        out = []
        for u in units:
            u = {
                **u,
                "uncovered_population": u["population"] - u["covered_population"],
                "uncovered_members": u["members"] - u["covered_members"],
            }
            if u["uncovered_population"] > 0 or u["uncovered_members"] > 0:
                out.append(u)
        out.sort(key=lambda u: (-u["uncovered_population"], -u["uncovered_members"], u["code"]))
        for i, u in enumerate(out, start=1):
            u["rank"] = i
        return out[:limit]

    return {
        "grids": ranked(summarise(cur, rows, "grid")["units"]),
        "communities": ranked(summarise(cur, rows, "community")["units"]),
        "reach": reach.describe(),
    }


def unit_geometries(cur, by: str) -> dict[str, dict]:
    """GeoJSON geometry of every unit (grid or area) by code."""
    cur.execute(query("coverage_geometry"), {"by": by})
    return {r["code"]: r["geometry"] for r in cur.fetchall()}


def service_areas(cur, reach: Reach) -> list[dict]:
    """The layer service_areas: circles (distance) or walking isochrones, one per site."""
    cur.execute(query("coverage_sites"), {"reach": reach.as_json()})
    sites = {r["id"]: dict(r) for r in cur.fetchall()}
    if reach.mode == "distance":
        cur.execute(query("coverage_service_areas_distance"), {"reach": reach.as_json()})
    else:
        text = query("coverage_service_areas_walk").replace("{origins}", _SITES_ORIGINS)
        cur.execute(text, {"reach": reach.as_json(), "max_snap_m": lookup.MAX_SNAP_M})
    out = []
    for r in cur.fetchall():
        s = sites[r["id"]]
        out.append(
            {
                "type": "Feature",
                "id": s["id"],
                "geometry": r["geometry"],
                "properties": {
                    "layer": "service_areas",
                    "facility_id": s["id"],
                    "code": s["code"],
                    "name": s["name"],
                    "level": s["level"],
                    "reach_m": r["limit_m"],
                    "minutes": round(r["limit_m"] / WALKING_SPEED_M_PER_MIN, 1)
                    if reach.mode == "walk"
                    else None,
                    "mode": reach.mode,
                    "lon": s["lon"],
                    "lat": s["lat"],
                },
            }
        )
    return out


# ------------------------------------------------------------------ organisation coverage
def org_coverage(
    cur,
    *,
    min_full: int = MIN_FULL_MEMBERS,
    max_members: int = MAX_BRANCH_MEMBERS,
    distance_m: float = MIGRANT_DISTANCE_M,
    prefix: str | None = None,
) -> dict:
    """Organisation coverage (两个覆盖) findings (in the area named by prefix, if given).

    * places_without_org: grids where ≥ min_full full members live (home point inside) and no
      grid party group is organised (party_group_branch_id is null); communities and villages
      where ≥ min_full full members live and no active org has the area as admin_area_code.
      Units (employers) are not in the data model, so they are not assessed.
    * oversized_branches: active branch-level orgs with more than max_members members;
      undersized_branches: those with fewer than min_full full members. Migrant groups are
      left out (mobile members' relationships stay with their outflow orgs).
    * suggested_migrant_groups: mobile members going out (destination outside the territory
      held, the union of the top-most areas)
      clustered with ST_ClusterDBSCAN (eps distance_m metres, minpoints min_full), where no
      active migrant group lies within distance_m of the cluster's centroid.
    """
    p = {"min_full": min_full, "max_members": max_members, "distance_m": distance_m}
    cur.execute(query("coverage_org_grids"), p)
    grids = [dict(r) for r in cur.fetchall()]
    cur.execute(query("coverage_org_communities"), p)
    communities = [dict(r) for r in cur.fetchall()]
    cur.execute(query("coverage_org_branches"), p)
    branches = [dict(r) for r in cur.fetchall()]
    cur.execute(query("coverage_org_migrant"), {**p, "min_members": min_full})
    migrant = []
    for r in cur.fetchall():
        r = dict(r)
        r["destinations"] = list(r["destinations"])
        r["nearest_group_m"] = _round(r["nearest_group_m"])
        migrant.append(r)
    if prefix is not None:  # clusters lie at destinations, outside every area: none of one
        grids, communities = in_area(grids, prefix), in_area(communities, prefix, "code")
        branches, migrant = in_area(branches, prefix, "admin_area_code"), []
    return {
        "places_without_org": {"grids": grids, "communities": communities, "units": None},
        "oversized_branches": [b for b in branches if b["members"] > max_members],
        "undersized_branches": [b for b in branches if b["full_members"] < min_full],
        "suggested_migrant_groups": migrant,
        "parameters": {**p, "area_prefix": prefix} if prefix else p,
        "notes": {
            "units": "单位（法人单位）不在数据模型中，未评估 / units (employers) are not in "
            "the data model and are not assessed"
        },
    }


# ------------------------------------------------------------------ site planning
@dataclass
class PlanProblem:
    """A maximal covering location problem: demand weights, and which sites cover which."""

    weights: np.ndarray  # population of each demand grid still to cover
    covers: list[np.ndarray] = field(default_factory=list)  # per candidate: demand indices


def greedy(problem: PlanProblem, k: int) -> list[int]:
    """The classic greedy: k times, the candidate adding the most uncovered weight."""
    left = problem.weights.astype(float).copy()
    chosen: list[int] = []
    for _ in range(k):
        gains = np.array([left[c].sum() if len(c) else 0.0 for c in problem.covers])
        if chosen:
            gains[chosen] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        left[problem.covers[best]] = 0.0
    return chosen


def covered_weight(problem: PlanProblem, chosen: list[int]) -> float:
    """Weight of the demand covered by the chosen candidates."""
    if not chosen:
        return 0.0
    idx = np.unique(np.concatenate([problem.covers[c] for c in chosen]))
    return float(problem.weights[idx].sum())


def solve_mclp(problem: PlanProblem, k: int, time_limit_s: float = 45.0) -> dict:
    """Maximal covering location problem as a MILP solved by HiGHS, started from greedy.

    max Σ w_i y_i  s.t.  y_i ≤ Σ_{j covers i} x_j,  Σ x_j ≤ k,  x binary, 0 ≤ y ≤ 1.
    The greedy solution is given as the starting incumbent, so the answer is never worse.
    """
    import highspy
    from scipy import sparse

    start = greedy(problem, k)
    greedy_value = covered_weight(problem, start)
    useful = [j for j, c in enumerate(problem.covers) if len(c)]
    demand = np.unique(np.concatenate([problem.covers[j] for j in useful])) if useful else []
    demand = np.asarray([i for i in demand if problem.weights[i] > 0], dtype=int)
    if not useful or len(demand) == 0:
        return {"chosen": start, "value": greedy_value, "gap": 0.0, "status": "trivial"}
    row_of = {int(i): r for r, i in enumerate(demand)}
    nx, ny = len(useful), len(demand)
    rows, cols, vals = [], [], []
    for col, j in enumerate(useful):
        for i in problem.covers[j]:
            r = row_of.get(int(i))
            if r is not None:
                rows.append(r)
                cols.append(col)
                vals.append(-1.0)
    rows += list(range(ny)) + [ny] * nx
    cols += list(range(nx, nx + ny)) + list(range(nx))
    vals += [1.0] * ny + [1.0] * nx
    a = sparse.csc_matrix((vals, (rows, cols)), shape=(ny + 1, nx + ny))

    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nx + ny, ny + 1
    lp.col_cost_ = np.concatenate([np.zeros(nx), problem.weights[demand].astype(float)])
    lp.col_lower_ = np.zeros(nx + ny)
    lp.col_upper_ = np.ones(nx + ny)
    lp.row_lower_ = np.full(ny + 1, -inf)
    lp.row_upper_ = np.concatenate([np.zeros(ny), [float(k)]])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = nx + ny, ny + 1
    lp.integrality_ = [highspy.HighsVarType.kInteger] * nx + [highspy.HighsVarType.kContinuous] * ny
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    col_of = {j: c for c, j in enumerate(useful)}
    x0 = np.zeros(nx + ny)
    for j in start:
        x0[col_of[j]] = 1.0
    covered0 = set()
    for j in start:
        covered0.update(int(i) for i in problem.covers[j])
    for r, i in enumerate(demand):
        x0[nx + r] = 1.0 if int(i) in covered0 else 0.0
    sol = highspy.HighsSolution()
    sol.col_value = list(x0)
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    values = np.asarray(h.getSolution().col_value[:nx]) if h.getSolution().value_valid else None
    chosen = [] if values is None else [useful[c] for c in np.flatnonzero(values > 0.5)]
    value = covered_weight(problem, chosen)
    info = h.getInfo()
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    if value < greedy_value:  # a time-limited solver never hands back less than its start
        chosen, value = start, greedy_value
    return {"chosen": chosen, "value": value, "gap": gap, "status": status, "greedy": greedy_value}


def _candidates_cover_distance(
    cands: np.ndarray, demand: np.ndarray, radius_m: float
) -> list[np.ndarray]:
    """Per candidate (lon, lat), the demand points within radius_m, geodesic on WGS84."""
    from pyproj import Geod
    from scipy.spatial import cKDTree

    lat0 = float(np.mean(demand[:, 1])) if len(demand) else 0.0
    kx, ky = 111_320.0 * np.cos(np.radians(lat0)), 110_540.0

    def plane(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy[:, 0] * kx, xy[:, 1] * ky])

    tree = cKDTree(plane(demand))
    # the plane is a few per cent off at most over a city: search wider, then measure exactly
    near = tree.query_ball_point(plane(cands), r=radius_m * 1.05 + 50.0)
    geod = Geod(ellps="WGS84")
    out = []
    for j, idx in enumerate(near):
        idx = np.asarray(idx, dtype=int)
        if len(idx):
            _, _, d = geod.inv(
                np.full(len(idx), cands[j, 0]),
                np.full(len(idx), cands[j, 1]),
                demand[idx, 0],
                demand[idx, 1],
            )
            idx = idx[d <= radius_m]
        out.append(np.sort(idx))
    return out


def plan(
    cur,
    *,
    k: int,
    reach: Reach,
    candidates: str | list[tuple[float, float]],
    keep_existing: bool = True,
) -> dict:
    """k new sites covering the most population not yet covered (MCLP over grid centroids).

    Demand is each grid's population at its centroid. Existing service points cover as in
    coverage() with the same reach; with keep_existing false the sites are planned as if
    there were none, and covered_population_after counts the new sites alone.
    """
    cur.execute(query("coverage_grid_centroids"), {})
    grids = [dict(r) for r in cur.fetchall()]
    demand = np.array([[g["lon"], g["lat"]] for g in grids], dtype=float).reshape(-1, 2)
    weights = np.array([g["population"] for g in grids], dtype=float)
    state = {r["code"]: bool(r["covered"]) for r in grid_rows(cur, reach, members=False)}
    covered_before = np.array([state[g["code"]] for g in grids], dtype=bool)
    before = float(weights[covered_before].sum())
    if candidates == "grid_centroids":
        cand = demand.copy()
        cand_codes = [g["code"] for g in grids]
    else:
        cand = np.array(candidates, dtype=float).reshape(-1, 2)
        cand_codes = [None] * len(cand)
    limit = reach.limit_m
    if reach.mode == "distance":
        covers = _candidates_cover_distance(cand, demand, limit)
    else:
        covers = _candidates_cover_walk(cur, cand, grids, limit)
    left = weights.copy()
    if keep_existing:
        left[covered_before] = 0.0
    problem = PlanProblem(left, covers)
    result = solve_mclp(problem, k)
    # order the sites by what each adds, one after the other (greedy order over the choice)
    order, taken = [], left.copy()
    pool = list(result["chosen"])
    while pool:
        gains = [taken[covers[j]].sum() for j in pool]
        j = pool.pop(int(np.argmax(gains)))
        newly = [int(i) for i in covers[j] if taken[i] > 0]
        order.append((j, float(taken[covers[j]].sum()), newly))
        taken[covers[j]] = 0.0
    sites = [
        {
            "lon": round(float(cand[j, 0]), 7),
            "lat": round(float(cand[j, 1]), 7),
            "candidate_index": int(j),
            "grid_code": cand_codes[j],
            "covered_population_gain": round(gain),
            "newly_covered_grids": [grids[i]["code"] for i in newly],
            "reach_m": limit,
        }
        for j, gain, newly in order
    ]
    gained = float(sum(s["covered_population_gain"] for s in sites))
    after = before + gained if keep_existing else gained
    return {
        "sites": sites,
        "covered_population_before": round(before),
        "covered_population_after": round(after),
        "population": round(float(weights.sum())),
        "greedy_covered_population_gain": round(result.get("greedy", result["value"])),
        "optimality_gap": result["gap"],
        "solver": "HiGHS MILP (maximal covering location problem)",
        "solver_status": result["status"],
        "k": k,
        "keep_existing": keep_existing,
        "candidates": "grid_centroids" if candidates == "grid_centroids" else len(cand),
        "reach": reach.describe(),
    }


def _candidates_cover_walk(cur, cand: np.ndarray, grids: list[dict], limit_m: float):
    """Per candidate, the grids whose centroid lies within limit_m walking along roads."""
    text = (
        query("coverage_walk_pairs")
        .replace("{origins}", _POINT_ORIGINS)
        .replace("{targets}", _GRID_TARGETS)
    )
    cur.execute(
        text,
        {
            "ids": list(range(len(cand))),
            "lons": cand[:, 0].tolist(),
            "lats": cand[:, 1].tolist(),
            "limit_m": limit_m,
            "max_snap_m": lookup.MAX_SNAP_M,
        },
    )
    index = {g["id"]: i for i, g in enumerate(grids)}
    hits: list[list[int]] = [[] for _ in range(len(cand))]
    for r in cur.fetchall():
        hits[r["oid"]].append(index[r["tid"]])
    return [np.array(sorted(h), dtype=int) for h in hits]
