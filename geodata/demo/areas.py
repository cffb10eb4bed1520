"""The demo's areas: real province, city and county boundaries; generated streets and towns
(real names and codes) inside each county, communities and villages inside those, grids inside
those; and a walkable road network."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from geodata.demo import places as P
from geodata.demo.geometry import (
    Plane,
    as_multipolygon,
    blob,
    partition,
    spread_seeds,
    tile,
)
from geodata.demo.scales import Scale


@dataclass
class County:
    """One county-level unit: its real boundary, its plane and what was generated inside."""

    code: str  # 12 digits
    name: str
    city_code: str
    geom_ll: MultiPolygon  # the real boundary, lon/lat
    plane: Plane
    geom: MultiPolygon  # the same in the plane
    bare: bool
    core: MultiPolygon | None = None
    units: list[dict] = field(default_factory=list)
    communities: list[dict] = field(default_factory=list)
    grids: list[dict] = field(default_factory=list)
    population: int = 0
    households: int = 0
    org: dict | None = None
    seat_vertex: int = 0
    migrant_groups: dict = field(default_factory=dict)

    @property
    def short(self) -> str:
        """The 6-digit code (the county committee's org code)."""
        return self.code[:6]


def selected_counties(cfg: Scale) -> list[tuple[str, str, str]]:
    """(county code, name, city code) of the counties a scale loads, by code."""
    out = []
    for code, b in sorted(P.boundaries().items()):
        if b["level"] != "county":
            continue
        six = code[:6]
        if cfg.cities and six[:4] not in cfg.cities:
            continue
        if cfg.counties is not None and six not in cfg.counties:
            continue
        out.append((code, b["name"], six[:4] + "00000000"))
    return out


def _seeds(rng, geom, n: int, inset: float) -> np.ndarray:
    if n <= 0:
        return np.empty((0, 2))
    inner = geom.buffer(-inset)
    return spread_seeds(rng, inner if inner.area > 0.05 * geom.area else geom, n)


def _split_among(geom, seeds: np.ndarray) -> list[MultiPolygon]:
    if len(seeds) == 1:
        return [as_multipolygon(geom)]
    return partition(geom, seeds)


def build_county(rng, cfg: Scale, code: str, name: str, city_code: str, seat_core: bool) -> County:
    """A county on its real boundary with streets, towns, communities and grids inside."""
    six = code[:6]
    lonlat = P.seat(six)
    plane = Plane(*lonlat)
    geom_ll = P.boundaries()[code]["geom"]
    county = County(
        code=code,
        name=name,
        city_code=city_code,
        geom_ll=geom_ll,
        plane=plane,
        geom=as_multipolygon(plane.to_xy(geom_ll)),
        bare=six in cfg.bare,
    )
    if county.bare:
        return county
    all_units = P.townships().get(six, [])
    streets = [u for u in all_units if u[0][6:9] < "100"]
    towns = [u for u in all_units if u[0][6:9] >= "100"]
    if six in cfg.units:
        ns, nt = cfg.units[six]
        streets, towns = streets[:ns], towns[:nt]
    radius = (cfg.core_km if seat_core else cfg.county_core_km) * 1000
    core = as_multipolygon(blob(rng, 0, 0, radius, n=48).intersection(county.geom))
    if not towns:
        core = county.geom  # a city district of streets only
    county.core = core
    rural = as_multipolygon(county.geom.difference(core)) if towns else MultiPolygon()
    level1 = []  # (level, code, name, urban part, rural part, seat)
    if streets:
        seeds = np.vstack([[0.0, 0.0], _seeds(rng, core, len(streets) - 1, 300)])
        for (ucode, uname), g, s in zip(streets, _split_among(core, seeds), seeds, strict=True):
            level1.append(("street", ucode, uname, g, MultiPolygon(), s))
    if towns:
        seeds = _seeds(rng, rural, len(towns), 2000)
        if not streets:  # the seat town (the first by code) holds the urban core
            first = int(np.argmin(np.hypot(seeds[:, 0], seeds[:, 1])))
            seeds[[0, first]] = seeds[[first, 0]]
        for i, ((ucode, uname), g) in enumerate(
            zip(towns, _split_among(rural, seeds), strict=True)
        ):
            urban = core if (i == 0 and not streets) else MultiPolygon()
            level1.append(("town", ucode, uname, urban, g, seeds[i]))
    used: set[str] = set()
    for level, ucode, uname, urban, rural_part, seat in level1:
        unit = {
            "level": level,
            "code": ucode,
            "name": uname,
            "geom": as_multipolygon(shapely.union(urban, rural_part)),
            "seat": seat,
            "communities": [],
            "county": county,
        }
        _fill_unit(rng, cfg, county, unit, urban, rural_part, used)
        county.units.append(unit)
    return county


def _fill_unit(rng, cfg: Scale, county: County, unit: dict, urban, rural, used: set) -> None:
    """The unit's communities (in its urban part) and villages (in its rural part)."""
    real = list(P.COMMUNITY_NAMES.get(unit["name"], []))
    for part, level in ((urban, "community"), (rural, "village")):
        if part.is_empty:
            continue
        if level == "village":
            lo, hi = cfg.villages_per_town
        elif unit["level"] == "street":
            lo, hi = cfg.communities_per_street
        else:
            lo, hi = cfg.communities_per_seat_town
        k = int(rng.integers(lo, hi + 1))
        seeds = _seeds(rng, part, k, 150)
        for j, cg in enumerate(_split_among(part, seeds)):
            if cg.is_empty:
                continue
            if level == "community":
                ccode = f"{unit['code'][:9]}{j + 1:03d}"
                cname = real.pop(0) if real else _fresh(rng, P.COMMUNITY_STEMS, "社区", used)
                target = cfg.grids_per_community
            else:
                ccode = f"{unit['code'][:9]}{200 + j + 1:03d}"
                cname = _fresh(rng, P.VILLAGE_STEMS, "村", used, P.VILLAGE_SUFFIXES)
                target = cfg.grids_per_village
            target = max(1, int(round(target * rng.uniform(0.7, 1.3))))
            comm = {
                "code": ccode,
                "name": cname,
                "level": level,
                "geom": cg,
                "street": unit,
                "seat": seeds[j],
                "county": county,
            }
            comm["grids"] = _grids(
                rng, county.plane, cg, target, ccode, cname, level == "community"
            )
            unit["communities"].append(comm)
            county.communities.append(comm)
            county.grids.extend(comm["grids"])


def _grids(rng, plane: Plane, geom, target: int, ccode: str, cname: str, urban: bool) -> list:
    """A community's grids (lon/lat), numbered west→east, north→south, with raw populations."""
    grids = []
    for serial, (_r, _c, piece) in enumerate(tile(geom, target), start=1):
        d_km = math.hypot(piece.centroid.x, piece.centroid.y) / 1000
        # persons per km²: dense old town, thinning outwards; sparse loess villages
        density = (9_000 * math.exp(-d_km / 2.5) + 800) if urban else rng.uniform(15, 50)
        pop = piece.area / 1e6 * density * rng.uniform(0.6, 1.4) + rng.integers(80, 300)
        grids.append(
            {
                "code": f"{ccode}{serial:03d}",
                "name": f"{cname}第{serial}网格",
                "community_code": ccode,
                "geom": as_multipolygon(plane.to_lonlat(piece)),
                "population": float(pop),
                "per_household": float(rng.uniform(2.5, 3.1)),
            }
        )
    return grids


def _fresh(rng, stems, suffix, used, middles=None) -> str:
    for _ in range(200):
        stem = stems[int(rng.integers(len(stems)))]
        mid = middles[int(rng.integers(len(middles)))] if middles else ""
        name = f"{stem}{mid}{suffix}"
        if name not in used:
            used.add(name)
            return name
    name = f"{stems[0]}{len(used)}{suffix}"
    used.add(name)
    return name


def settle(rng, cfg: Scale, counties: list[County]) -> None:
    """Scale raw grid populations to the scale's residents and add them up every level."""
    raw = sum(g["population"] for c in counties for g in c.grids)
    # a county without streets or towns loaded still has people: a rural density over it
    bare_raw = {c.code: c.geom.area / 1e6 * float(rng.uniform(40, 60)) for c in counties if c.bare}
    factor = cfg.population / max(raw + sum(bare_raw.values()), 1.0)
    for c in counties:
        for g in c.grids:
            g["population"] = max(1, int(g["population"] * factor))
            g["households"] = max(1, int(g["population"] / g.pop("per_household")))
        for comm in c.communities:
            comm["population"] = sum(g["population"] for g in comm["grids"])
            comm["households"] = sum(g["households"] for g in comm["grids"])
        for u in c.units:
            u["population"] = sum(x["population"] for x in u["communities"])
            u["households"] = sum(x["households"] for x in u["communities"])
        if c.bare:
            c.population = int(bare_raw[c.code] * factor)
            c.households = int(c.population / 2.8)
        else:
            c.population = sum(u["population"] for u in c.units)
            c.households = sum(u["households"] for u in c.units)


def area_rows(cfg: Scale, counties: list[County]) -> list[dict]:
    """admin_areas rows, parents first: province, cities, counties, streets/towns, communities."""
    b = P.boundaries()
    rows = []

    def row(code, name, level, geom, population, households):
        rows.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "geom": geom,
                "population": int(population),
                "households": int(households),
            }
        )

    cities: dict[str, list[County]] = {}
    for c in counties:
        cities.setdefault(c.city_code, []).append(c)
    if cfg.province:
        row(
            P.PROVINCE_CODE,
            P.PROVINCE_NAME,
            "province",
            b[P.PROVINCE_CODE]["geom"],
            sum(c.population for c in counties),
            sum(c.households for c in counties),
        )
    for code, members in cities.items():
        pop = sum(c.population for c in members)
        hh = sum(c.households for c in members)
        row(code, b[code]["name"], "city", b[code]["geom"], pop, hh)
    for c in counties:
        row(c.code, c.name, "county", c.geom_ll, c.population, c.households)
    for c in counties:
        for u in c.units:
            geom = as_multipolygon(c.plane.to_lonlat(u["geom"]))
            row(u["code"], u["name"], u["level"], geom, u["population"], u["households"])
    for c in counties:
        for m in c.communities:
            geom = as_multipolygon(c.plane.to_lonlat(m["geom"]))
            row(m["code"], m["name"], m["level"], geom, m["population"], m["households"])
    return rows


# ---------------------------------------------------------------- roads
class Roads:
    """Road vertices (lon/lat) and edges, numbered from 1 across all counties."""

    def __init__(self, rng):
        self.rng = rng
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.edges: list[tuple[int, int, str, str]] = []

    def vertex(self, lon: float, lat: float) -> int:
        """Add a vertex; returns its id."""
        self.lon.append(lon)
        self.lat.append(lat)
        return len(self.lon)

    def line(self, a: int, b_lonlat, step_m: float, kind: str, name: str) -> int:
        """A wiggly polyline from vertex a to a point; returns the id of its last vertex."""
        ax, ay = self.lon[a - 1], self.lat[a - 1]
        bx, by = b_lonlat
        kx = 111_320.0 * math.cos(math.radians(ay))
        dist = math.hypot((bx - ax) * kx, (by - ay) * 110_540.0)
        n = max(1, int(dist // step_m))
        prev = a
        for k in range(1, n + 1):
            t = k / n
            wiggle = self.rng.normal(0, step_m * 0.08, 2) if k < n else (0.0, 0.0)
            cur = self.vertex(
                ax + (bx - ax) * t + wiggle[0] / kx, ay + (by - ay) * t + wiggle[1] / 110_540.0
            )
            self.edges.append((prev, cur, kind, name))
            prev = cur
        return prev


def county_roads(rng, cfg: Scale, county: County, roads: Roads, lattice: bool) -> None:
    """The county seat's street lattice (or a single seat vertex), arterials out to its towns
    and village roads from each town's seat."""
    plane = county.plane
    core_ids: list[int] = []
    if lattice and county.core is not None:
        core_ids = _lattice(rng, cfg.road_spacing_m, county, roads)
    if not core_ids:
        core_ids = [roads.vertex(plane.lon0, plane.lat0)]
    county.seat_vertex = core_ids[0]
    core_xy = np.column_stack(
        plane.lonlat_to_xy(
            [roads.lon[i - 1] for i in core_ids], [roads.lat[i - 1] for i in core_ids]
        )
    )

    def ll(xy):
        lon, lat = plane.xy_to_lonlat(*xy)
        return float(lon), float(lat)

    for unit in county.units:
        if unit["level"] != "town":
            continue
        sx, sy = unit["seat"]
        start = core_ids[int(np.argmin(np.hypot(core_xy[:, 0] - sx, core_xy[:, 1] - sy)))]
        seat = roads.line(start, ll(unit["seat"]), 1000.0, "arterial", f"{unit['name']}公路")
        for comm in unit["communities"]:
            if comm["level"] == "village":
                roads.line(seat, ll(comm["seat"]), 800.0, "local", f"{comm['name']}村道")


def _lattice(rng, s: float, county: County, roads: Roads) -> list[int]:
    """A jittered street lattice over the urban core; returns its vertex ids, the one nearest
    the seat first."""
    core = county.core
    shapely.prepare(core)
    minx, miny, maxx, maxy = core.bounds
    xs = np.arange(minx, maxx + s, s)
    ys = np.arange(maxy, miny - s, -s)
    gx, gy = np.meshgrid(xs, ys)
    rows, cols = np.meshgrid(np.arange(len(ys)), np.arange(len(xs)), indexing="ij")
    jx = gx + rng.normal(0, s * 0.06, gx.shape)
    jy = gy + rng.normal(0, s * 0.06, gy.shape)
    inside = shapely.contains_xy(core, jx, jy)
    lon, lat = county.plane.xy_to_lonlat(jx[inside], jy[inside])
    index = {}
    for r, c, x, y in zip(rows[inside], cols[inside], lon, lat, strict=True):
        index[(int(r), int(c))] = roads.vertex(float(x), float(y))
    for (r, c), v in index.items():
        for dr, dc, names in ((0, 1, P.ROAD_NAMES_EW), (1, 0, P.ROAD_NAMES_NS)):
            w = index.get((r + dr, c + dc))
            if w is None:
                continue
            major = (r % 4 == 0) if dc else (c % 4 == 0)
            if not major and rng.random() < 0.08:
                continue  # a few missing links make routes differ from straight lines
            name = names[(r if dc else c) % len(names)]
            roads.edges.append((v, w, "secondary" if major else "local", name))
    if not index:
        return []
    ids = np.array(list(index.values()))
    d = np.hypot(jx[inside], jy[inside])
    return [int(ids[int(np.argmin(d))]), *[int(i) for i in ids]]
