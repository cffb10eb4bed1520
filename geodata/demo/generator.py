"""Generate the demo city: areas, grids, roads, the org tree, members and service points.

Deterministic per (scale, seed). Geometry is built in a local metric plane that is an affine
image of lon/lat (equirectangular at the district centre), so straight edges stay straight and
shared boundaries stay shared when converted to EPSG:4326 — grids tile their community exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union

from geodata.demo import places as P

REFERENCE_DATE = dt.date(2026, 11, 1)  # "today" of the demo, so a seed always gives the same city
MAX_BRANCH = 50


@dataclass(frozen=True)
class Scale:
    """How big a demo city to make."""

    streets: int
    towns: int
    communities_per_street: tuple[int, int]
    villages_per_town: tuple[int, int]
    grids_per_community: int
    grids_per_village: int
    members: int  # members whose relationship is held in the district
    radius_km: float
    core_km: float
    road_spacing_m: float


SCALES = {
    "small": Scale(3, 2, (3, 4), (3, 3), 5, 2, 1_800, 16, 3.5, 250),
    "city": Scale(12, 19, (8, 10), (6, 9), 7, 2, 68_000, 38, 6.5, 200),
    "large": Scale(12, 19, (9, 11), (7, 9), 25, 5, 1_000_000, 38, 6.5, 200),
}

# share of the district's members held by community and village orgs; the rest are in units
AREA_MEMBER_SHARE = 0.45
MOBILE_OUT_RATE = 0.05
MOBILE_IN_RATE = 0.02  # of the district's members: people from other counties living here


# ---------------------------------------------------------------- the plane
class Plane:
    """Affine map between lon/lat and metres around the district centre."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_540.0

    def to_lonlat(self, geom):
        """A metric-plane geometry as EPSG:4326 lon/lat."""
        return shapely.transform(
            geom,
            lambda xy: np.column_stack(
                [self.lon0 + xy[:, 0] / self.kx, self.lat0 + xy[:, 1] / self.ky]
            ),
        )

    def xy_to_lonlat(self, x, y):
        """Arrays of metres as arrays of lon, lat."""
        return self.lon0 + np.asarray(x) / self.kx, self.lat0 + np.asarray(y) / self.ky

    def lonlat_to_xy(self, lon, lat):
        """Arrays of lon, lat as metres."""
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky


# ---------------------------------------------------------------- geometry helpers
def _polygons(geom) -> list[Polygon]:
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty] + [
        p for g in getattr(geom, "geoms", []) if isinstance(g, MultiPolygon) for p in g.geoms
    ]


def as_multipolygon(geom) -> MultiPolygon:
    """Polygonal parts of geom as a valid MultiPolygon."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return MultiPolygon(_polygons(geom))


def blob(rng: np.random.Generator, cx: float, cy: float, radius: float, n: int = 72) -> Polygon:
    """An irregular star-shaped outline, like a real district boundary."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in (2, 3, 5, 7):
        r += rng.uniform(0.03, 0.10) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    r *= radius
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def points_in(rng: np.random.Generator, geom, n: int) -> np.ndarray:
    """n uniform random points inside geom, as an (n, 2) array."""
    if n <= 0:
        return np.empty((0, 2))
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out = []
    got = 0
    ratio = max(geom.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.05)
    while got < n:
        m = int((n - got) / ratio * 1.3) + 8
        xs = rng.uniform(minx, maxx, m)
        ys = rng.uniform(miny, maxy, m)
        inside = shapely.contains_xy(geom, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
        out.append(pts)
        got += len(pts)
    return np.concatenate(out)[:n]


def partition(geom, seeds: np.ndarray) -> list[MultiPolygon]:
    """Split geom into Voronoi cells of the seeds, one per seed, in seed order."""
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=geom, ordered=True)
    return [as_multipolygon(c.intersection(geom)) for c in cells.geoms]


def spread_seeds(rng: np.random.Generator, geom, n: int, tries: int = 30) -> np.ndarray:
    """n points inside geom kept apart from each other (best of random candidates)."""
    chosen: list[np.ndarray] = []
    for _ in range(n):
        cand = points_in(rng, geom, tries)
        if chosen:
            c = np.array(chosen)
            d = np.min(
                np.hypot(cand[:, None, 0] - c[None, :, 0], cand[:, None, 1] - c[None, :, 1]), axis=1
            )
            chosen.append(cand[int(np.argmax(d))])
        else:
            chosen.append(cand[0])
    return np.array(chosen)


def tile(geom: MultiPolygon, target: int) -> list[tuple[int, int, MultiPolygon]]:
    """Tile geom with about `target` lattice cells; tiny slivers join a neighbour.

    Returns (row, col, piece) with rows counted from the north and columns from the west.
    """
    minx, miny, maxx, maxy = geom.bounds
    side = math.sqrt(geom.area / max(target, 1))
    ncols = max(1, math.ceil((maxx - minx) / side))
    nrows = max(1, math.ceil((maxy - miny) / side))
    shapely.prepare(geom)
    pieces: list[list] = []
    for r in range(nrows):
        for c in range(ncols):
            cell = box(
                minx + c * side, maxy - (r + 1) * side, minx + (c + 1) * side, maxy - r * side
            )
            if not geom.intersects(cell):
                continue
            piece = as_multipolygon(geom.intersection(cell))
            if piece.area > 0:
                pieces.append([r, c, piece])
    full = side * side
    # merge slivers (under a quarter of a cell) into the neighbour sharing most boundary
    changed = True
    while changed and len(pieces) > 1:
        changed = False
        pieces.sort(key=lambda p: p[2].area)
        small = pieces[0]
        if small[2].area >= 0.25 * full:
            break
        best, best_len = None, 0.0
        for other in pieces[1:]:
            shared = small[2].boundary.intersection(other[2].boundary).length
            if shared > best_len:
                best, best_len = other, shared
        if best is None:
            break
        best[2] = as_multipolygon(unary_union([best[2], small[2]]))
        pieces.pop(0)
        changed = True
    pieces.sort(key=lambda p: (p[0], p[1]))
    return [(r, c, g) for r, c, g in pieces]


# ---------------------------------------------------------------- records
@dataclass
class City:
    """Everything the loader writes, in insertion order."""

    scale: str
    seed: int
    admin_areas: list[dict] = field(default_factory=list)
    orgs: list[dict] = field(default_factory=list)
    grids: list[dict] = field(default_factory=list)
    service_points: list[dict] = field(default_factory=list)
    road_vertices: list[dict] = field(default_factory=list)
    roads: list[dict] = field(default_factory=list)
    members: dict[str, np.ndarray | list] = field(default_factory=dict)
    positions: dict[str, np.ndarray | list] = field(default_factory=dict)


class NameMaker:
    """Synthetic Chinese personal names and phone numbers."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.surnames = np.array([s for s, _ in P.SURNAMES])
        w = np.array([w for _, w in P.SURNAMES], dtype=float)
        self.surname_p = w / w.sum()
        self.male = np.array(P.GIVEN_MALE)
        self.female = np.array(P.GIVEN_FEMALE)

    def names(self, genders: np.ndarray) -> list[str]:
        """One name per gender code ('M'/'F')."""
        n = len(genders)
        rng = self.rng
        sur = rng.choice(self.surnames, n, p=self.surname_p)
        male = genders == "M"
        g1 = np.where(male, rng.choice(self.male, n), rng.choice(self.female, n))
        g2 = np.where(male, rng.choice(self.male, n), rng.choice(self.female, n))
        two = rng.random(n) < 0.7
        return [s + a + (b if t else "") for s, a, b, t in zip(sur, g1, g2, two, strict=True)]

    def one(self) -> str:
        """A single name of either gender."""
        return self.names(np.array(["M" if self.rng.random() < 0.7 else "F"]))[0]

    def phones(self, n: int) -> list[str]:
        """n mobile numbers of the 1[3-9]xxxxxxxxx form."""
        second = self.rng.choice(np.array(list("35789")), n)
        rest = self.rng.integers(0, 10**9, n)
        return [f"1{s}{r:09d}" for s, r in zip(second, rest, strict=True)]


class OrgTree:
    """Builds the org tree with codes that extend their parent's code."""

    def __init__(self, rng: np.random.Generator, names: NameMaker):
        self.rng = rng
        self.names = names
        self.rows: list[dict] = []
        self.child_count: dict[int, int] = {}

    def add(
        self, *, name, level, category, parent=None, code=None, area=None, lonlat=None, address=None
    ) -> dict:
        """Append an org; its code is the parent's plus a 4-digit serial unless given."""
        if code is None:
            n = self.child_count.get(parent["id"], 0) + 1
            self.child_count[parent["id"]] = n
            code = f"{parent['code']}{n:04d}"
        year = int(self.rng.integers(1978, 2025))
        row = {
            "id": len(self.rows) + 1,
            "code": code,
            "name": name,
            "level": level,
            "category": category,
            "parent_id": parent["id"] if parent else None,
            "admin_area_code": area,
            "lonlat": lonlat,
            "address": address,
            "secretary": self.names.one(),
            "founded_on": dt.date(
                year, int(self.rng.integers(1, 13)), int(self.rng.integers(1, 29))
            ),
            "status": "active",
            "dissolved_on": None,
        }
        self.rows.append(row)
        return row


# ---------------------------------------------------------------- the generator
def generate(scale: str = "small", seed: int = 2026) -> City:
    """Build the whole demo city in memory."""
    cfg = SCALES[scale]
    rng = np.random.default_rng(seed)
    names = NameMaker(rng)
    plane = Plane(*P.CENTRE_LONLAT)
    city = City(scale=scale, seed=seed)

    areas = _areas(rng, cfg, plane, city)
    _roads(rng, cfg, plane, city, areas)
    tree = OrgTree(rng, names)
    branches = _orgs(rng, cfg, plane, city, areas, tree)
    city.orgs = tree.rows
    _service_points(rng, plane, city, areas, tree)
    _members(rng, cfg, plane, city, areas, tree, branches, names)
    return city


def _community_grids(rng, geom, target: int, ccode: str, cname: str, urban: bool) -> list[dict]:
    """A community's grids, numbered west→east, north→south, with people and households."""
    grids = []
    for serial, (_r, _c, piece) in enumerate(tile(geom, target), start=1):
        cx, cy = piece.centroid.x, piece.centroid.y
        d_km = math.hypot(cx, cy) / 1000
        area_km2 = piece.area / 1e6
        # persons per km²: dense old town, thinning outwards; sparse loess villages
        density = (9_000 * math.exp(-d_km / 2.5) + 800) if urban else rng.uniform(15, 50)
        pop = int(area_km2 * density * rng.uniform(0.6, 1.4)) + int(rng.integers(80, 300))
        grids.append(
            {
                "code": f"{ccode}{serial:03d}",
                "name": f"{cname}第{serial}网格",
                "community_code": ccode,
                "geom": piece,
                "population": pop,
                "households": max(1, int(pop / rng.uniform(2.5, 3.1))),
            }
        )
    return grids


def _grid_workers(rng, communities: list[dict]) -> None:
    """One grid worker per urban grid, one per two village grids."""
    workers = NameMaker(rng)
    for comm in communities:
        per = 1 if comm["level"] == "community" else 2
        for i, g in enumerate(comm["grids"]):
            if i % per == 0:
                worker, phone = workers.one(), workers.phones(1)[0]
            g["grid_worker"], g["grid_worker_phone"] = worker, phone


def _areas(rng, cfg: Scale, plane: Plane, city: City) -> dict:
    """District, streets and towns, communities and villages, grids."""
    district = blob(rng, 0, 0, cfg.radius_km * 1000)
    core = blob(rng, 0, 0, cfg.core_km * 1000, n=48).intersection(district)
    # streets tile the urban core, towns the rest of the district
    street_seeds = np.vstack([[0, 0], spread_seeds(rng, core.buffer(-300), cfg.streets - 1)])
    rural = district.difference(core)
    town_seeds = spread_seeds(rng, rural.buffer(-2000), cfg.towns)
    street_geoms = partition(core, street_seeds)
    town_geoms = partition(rural, town_seeds)

    dcode = P.DISTRICT_CODE + "000000"
    out = {"district": None, "units": [], "communities": []}
    level1 = []
    town_names = P.TOWNS + P.TOWNSHIPS
    for i, g in enumerate(street_geoms):
        level1.append(
            ("street", f"{P.DISTRICT_CODE}{i + 1:03d}000", P.STREETS[i], g, street_seeds[i])
        )
    for i, g in enumerate(town_geoms):
        name = town_names[i]
        serial = 100 + i + 1 if name.endswith("镇") else 200 + i + 1
        level1.append(("town", f"{P.DISTRICT_CODE}{serial:03d}000", name, g, town_seeds[i]))

    used_stems: set[str] = set()
    grid_rows = []
    for level, code, name, geom, seed_xy in level1:
        urban = level == "street"
        lo, hi = cfg.communities_per_street if urban else cfg.villages_per_town
        k = int(rng.integers(lo, hi + 1))
        seeds = spread_seeds(rng, geom.buffer(-150), k)
        cgeoms = partition(geom, seeds)
        unit = {
            "level": level,
            "code": code,
            "name": name,
            "geom": geom,
            "seat": seed_xy,
            "communities": [],
        }
        real = list(P.COMMUNITY_NAMES.get(name, []))
        for j, cg in enumerate(cgeoms):
            if cg.is_empty:
                continue
            if urban:
                ccode = f"{code[:9]}{j + 1:03d}"
                cname = real.pop(0) if real else _fresh(rng, P.COMMUNITY_STEMS, "社区", used_stems)
                clevel = "community"
            else:
                ccode = f"{code[:9]}{200 + j + 1:03d}"
                cname = _fresh(rng, P.VILLAGE_STEMS, "村", used_stems, P.VILLAGE_SUFFIXES)
                clevel = "village"
            target = cfg.grids_per_community if urban else cfg.grids_per_village
            target = max(1, int(round(target * rng.uniform(0.7, 1.3))))
            comm = {
                "code": ccode,
                "name": cname,
                "level": clevel,
                "geom": cg,
                "grids": [],
                "street": unit,
                "seat": seeds[j],
            }
            comm["grids"] = _community_grids(rng, cg, target, ccode, cname, urban)
            grid_rows.extend(comm["grids"])
            comm["population"] = sum(g["population"] for g in comm["grids"])
            comm["households"] = sum(g["households"] for g in comm["grids"])
            unit["communities"].append(comm)
            out["communities"].append(comm)
        unit["population"] = sum(c["population"] for c in unit["communities"])
        unit["households"] = sum(c["households"] for c in unit["communities"])
        out["units"].append(unit)

    _grid_workers(rng, out["communities"])

    whole = unary_union([u["geom"] for u in out["units"]])
    out["district"] = {"code": dcode, "name": P.DISTRICT_NAME, "geom": whole, "core": core}
    rows = [
        _area_row(
            dcode,
            P.DISTRICT_NAME,
            "county",
            whole,
            sum(u["population"] for u in out["units"]),
            sum(u["households"] for u in out["units"]),
            plane,
        )
    ]
    for u in out["units"]:
        rows.append(
            _area_row(
                u["code"], u["name"], u["level"], u["geom"], u["population"], u["households"], plane
            )
        )
    for c in out["communities"]:
        rows.append(
            _area_row(
                c["code"], c["name"], c["level"], c["geom"], c["population"], c["households"], plane
            )
        )
    city.admin_areas = rows
    city.grids = [
        {
            **{k: v for k, v in g.items() if k != "geom"},
            "geom": as_multipolygon(plane.to_lonlat(g["geom"])),
        }
        for g in grid_rows
    ]
    return out


def _fresh(rng, stems, suffix, used, middles=None) -> str:
    for _ in range(200):
        stem = stems[int(rng.integers(len(stems)))]
        mid = middles[int(rng.integers(len(middles)))] if middles else ""
        name = f"{stem}{mid}{suffix}"
        if name not in used:
            used.add(name)
            return name
    n = len(used)
    used.add(f"{stems[0]}{n}{suffix}")
    return f"{stems[0]}{n}{suffix}"


def _area_row(code, name, level, geom, population, households, plane) -> dict:
    return {
        "code": code,
        "name": name,
        "level": level,
        "geom": as_multipolygon(plane.to_lonlat(geom)),
        "population": int(population),
        "households": int(households),
    }


def _roads(rng, cfg: Scale, plane: Plane, city: City, areas: dict) -> None:
    """A walkable network: a street lattice in the urban core, roads out to towns and villages."""
    core = areas["district"]["core"]
    district = areas["district"]["geom"]
    shapely.prepare(core)
    s = cfg.road_spacing_m
    minx, miny, maxx, maxy = core.bounds
    xs = np.arange(minx, maxx + s, s)
    ys = np.arange(maxy, miny - s, -s)
    vertices: list[tuple[float, float]] = []
    index: dict[tuple[int, int], int] = {}

    def vertex(x, y) -> int:
        vertices.append((x, y))
        return len(vertices)

    for r, y in enumerate(ys):
        for c, x in enumerate(xs):
            jx, jy = x + rng.normal(0, s * 0.06), y + rng.normal(0, s * 0.06)
            if core.contains(shapely.Point(jx, jy)):
                index[(r, c)] = vertex(jx, jy)
    edges = _lattice_edges(rng, index)

    core_ids = np.array(list(index.values()))
    core_xy = np.array([vertices[i - 1] for i in core_ids])

    def nearest_core(x, y) -> int:
        d = np.hypot(core_xy[:, 0] - x, core_xy[:, 1] - y)
        return int(core_ids[int(np.argmin(d))])

    def polyline(a: int, bx: float, by: float, step: float, kind: str, name: str) -> int:
        ax, ay = vertices[a - 1]
        n = max(1, int(math.hypot(bx - ax, by - ay) // step))
        prev = a
        for k in range(1, n + 1):
            t = k / n
            x = ax + (bx - ax) * t + (rng.normal(0, step * 0.08) if k < n else 0)
            y = ay + (by - ay) * t + (rng.normal(0, step * 0.08) if k < n else 0)
            if not district.contains(shapely.Point(x, y)):
                x, y = ax + (bx - ax) * t, ay + (by - ay) * t
            cur = vertex(x, y)
            edges.append((prev, cur, kind, name))
            prev = cur
        return prev

    # town seats hang off the core by arterial roads, villages off their town seat
    for unit in areas["units"]:
        if unit["level"] != "town":
            continue
        sx, sy = unit["seat"]
        seat = polyline(nearest_core(sx, sy), sx, sy, 1000.0, "arterial", f"{unit['name']}公路")
        for comm in unit["communities"]:
            cx, cy = comm["seat"]
            polyline(seat, cx, cy, 800.0, "local", f"{comm['name']}村道")

    _store_roads(plane, city, vertices, edges)


def _lattice_edges(rng, index: dict) -> list[tuple[int, int, str, str]]:
    """The core's street lattice: every fourth line a secondary road, a few links missing."""
    edges: list[tuple[int, int, str, str]] = []
    for (r, c), v in index.items():
        for dr, dc, names in ((0, 1, P.ROAD_NAMES_EW), (1, 0, P.ROAD_NAMES_NS)):
            w = index.get((r + dr, c + dc))
            if w is None:
                continue
            major = (r % 4 == 0) if dc else (c % 4 == 0)
            if not major and rng.random() < 0.08:
                continue  # a few missing links make routes differ from straight lines
            line_no = r if dc else c
            name = names[line_no % len(names)]
            edges.append((v, w, "secondary" if major else "local", name))
    return edges


def _store_roads(plane: Plane, city: City, vertices: list, edges: list) -> None:
    """Vertices and edges (plane metres) into the city's road rows (lon/lat)."""
    lon, lat = plane.xy_to_lonlat([v[0] for v in vertices], [v[1] for v in vertices])
    city.road_vertices = [
        {"id": i + 1, "lon": float(lon[i]), "lat": float(lat[i])} for i in range(len(vertices))
    ]
    for a, b, kind, name in edges:
        if a == b:
            continue
        city.roads.append(
            {
                "name": name,
                "kind": kind,
                "source": a,
                "target": b,
                "coords": [
                    (float(lon[a - 1]), float(lat[a - 1])),
                    (float(lon[b - 1]), float(lat[b - 1])),
                ],
            }
        )


def _split(rng, n: int) -> list[int]:
    """Split n members into branches of at most 50, mostly 38-48 each."""
    if n <= MAX_BRANCH:
        return [n]
    k = math.ceil(n / int(rng.integers(38, 49)))
    k = max(k, math.ceil(n / MAX_BRANCH))
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def _unit_orgs(
    tree: OrgTree, rng, *, parent, name, category, size, area, lonlat, address, branches: list
) -> dict:
    """One unit's org: a branch, or a general branch / committee over branches; returns it."""
    sizes = _split(rng, size)
    if len(sizes) == 1:
        org = tree.add(
            name=f"{name}党支部",
            level="branch",
            category=category,
            parent=parent,
            area=area,
            lonlat=lonlat,
            address=address,
        )
        branches.append((org, sizes[0], area))
        return org
    level, suffix = ("committee", "委员会") if size > 300 else ("general_branch", "总支部委员会")
    head = tree.add(
        name=f"{name}{suffix}",
        level=level,
        category=category,
        parent=parent,
        area=area,
        lonlat=lonlat,
        address=address,
    )
    for i, s in enumerate(sizes, start=1):
        org = tree.add(
            name=f"{name}第{_cn(i)}党支部",
            level="branch",
            category=category,
            parent=head,
            area=area,
            lonlat=_jitter(rng, lonlat),
            address=address,
        )
        branches.append((org, s, area))
    return head


_DIGITS = "零一二三四五六七八九"


def _cn(i: int) -> str:
    """Chinese numeral for 1-99 (第十二党支部)."""
    if i < 10:
        return _DIGITS[i]
    tens, ones = divmod(i, 10)
    return (
        ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
        if i < 100
        else str(i)
    )


def _jitter(rng, lonlat, metres: float = 60.0):
    if lonlat is None:
        return None
    lon, lat = lonlat
    return (lon + rng.normal(0, metres) / 87_600, lat + rng.normal(0, metres) / 110_540)


def _point_in(rng, plane: Plane, geom) -> tuple[float, float]:
    x, y = points_in(rng, geom, 1)[0]
    lon, lat = plane.xy_to_lonlat(x, y)
    return float(lon), float(lat)


def _orgs(rng, cfg: Scale, plane: Plane, city: City, areas: dict, tree: OrgTree) -> list:
    """The org tree; returns [(branch row, member count, admin area code)]."""
    branches: list = []
    centre = P.CENTRE_LONLAT
    dcode = areas["district"]["code"]
    root = tree.add(
        name=f"中共{P.CITY_NAME}委员会",
        level="committee",
        category="government",
        code=P.CITY_ORG_CODE,
        lonlat=_jitter(rng, centre, 400),
        address=f"{P.CITY_NAME}{P.DISTRICT_NAME}",
    )
    district = tree.add(
        name=f"中共{P.CITY_NAME}{P.DISTRICT_NAME}委员会",
        level="committee",
        category="government",
        parent=root,
        code=P.DISTRICT_CODE,
        area=dcode,
        lonlat=_jitter(rng, centre, 300),
        address=f"{P.CITY_NAME}{P.DISTRICT_NAME}",
    )
    addr0 = f"{P.CITY_NAME}{P.DISTRICT_NAME}"

    total_pop = sum(c["population"] for c in areas["communities"])
    area_members = cfg.members * AREA_MEMBER_SHARE
    rate = area_members / total_pop

    # streets and towns, with their communities and villages
    street_orgs = {}
    for unit in areas["units"]:
        urban = unit["level"] == "street"
        seat = plane.xy_to_lonlat(*unit["seat"])
        seat = (float(seat[0]), float(seat[1]))
        name = f"中共{P.DISTRICT_NAME}{unit['name']}{'工作委员会' if urban else '委员会'}"
        uorg = tree.add(
            name=name,
            level="working_committee" if urban else "committee",
            category="government",
            parent=district,
            area=unit["code"],
            lonlat=seat,
            address=f"{addr0}{unit['name']}",
        )
        unit["org"] = uorg
        street_orgs[unit["code"]] = uorg
        _unit_orgs(
            tree,
            rng,
            parent=uorg,
            name=f"{unit['name']}机关",
            category="government",
            size=int(rng.integers(12, 45)) if cfg.members > 10_000 else 12,
            area=unit["code"],
            lonlat=_jitter(rng, seat),
            address=f"{addr0}{unit['name']}",
            branches=branches,
        )
        for comm in unit["communities"]:
            n = max(4, int(round(comm["population"] * rate * rng.uniform(0.8, 1.2))))
            cat = "community" if comm["level"] == "community" else "village"
            inner = comm["geom"].buffer(-50)
            lonlat = _point_in(rng, plane, comm["geom"] if inner.is_empty else inner)
            comm["org"] = _unit_orgs(
                tree,
                rng,
                parent=uorg,
                name=f"{unit['name']}{comm['name']}",
                category=cat,
                size=n,
                area=comm["code"],
                lonlat=lonlat,
                address=f"{addr0}{unit['name']}{comm['name']}",
                branches=branches,
            )

    # units: government departments, institutions, schools, SOEs, enterprises, social orgs
    unit_members = cfg.members - sum(b[1] for b in branches)
    urban_units = [u for u in areas["units"] if u["level"] == "street"]
    gov = tree.add(
        name=f"中共{P.DISTRICT_NAME}直属机关工作委员会",
        level="working_committee",
        category="government",
        parent=district,
        area=dcode,
        lonlat=_jitter(rng, centre, 300),
        address=addr0,
    )
    edu = tree.add(
        name=f"中共{P.DISTRICT_NAME}教育工作委员会",
        level="working_committee",
        category="school",
        parent=district,
        area=dcode,
        lonlat=_jitter(rng, centre, 800),
        address=addr0,
    )
    soe = tree.add(
        name=f"中共{P.DISTRICT_NAME}国有资产监督管理委员会委员会",
        level="committee",
        category="soe",
        parent=district,
        area=dcode,
        lonlat=_jitter(rng, centre, 600),
        address=addr0,
    )
    kinds = [  # category, share of unit members, median size, parent
        ("government", 0.18, 40, gov),
        ("public_institution", 0.16, 45, gov),
        ("school", 0.16, 38, edu),
        ("soe", 0.12, 60, soe),
        ("non_public", 0.28, 20, None),
        ("social_org", 0.10, 10, None),
    ]
    serial: dict[str, int] = {}
    for category, share, median, parent in kinds:
        budget = int(unit_members * share)
        smalls: list[tuple[str, int, dict]] = []
        group_size = int(rng.integers(2, 6))  # a joint branch covers at most 5 units
        while budget > 0:
            size = int(min(budget, max(3, rng.lognormal(math.log(median), 0.7))))
            budget -= size
            street = urban_units[int(rng.integers(len(urban_units)))]
            name = _unit_name(rng, category, serial)
            lonlat = _point_in(rng, plane, street["geom"])
            par = parent or street["org"]
            if category in ("non_public", "social_org") and size < 6 and rng.random() < 0.5:
                smalls.append((name, size, street))
                if len(smalls) == group_size:
                    _joint_branch(tree, rng, smalls, category, branches, plane)
                    smalls, group_size = [], int(rng.integers(2, 6))
                continue
            _unit_orgs(
                tree,
                rng,
                parent=par,
                name=name,
                category=category,
                size=size,
                area=street["code"],
                lonlat=lonlat,
                address=f"{addr0}{street['name']}{name}",
                branches=branches,
            )
        if smalls:
            _joint_branch(tree, rng, smalls, category, branches, plane)

    # migrant groups at the main destinations
    weights = np.array([d[3] for d in P.DESTINATIONS], dtype=float)
    n_groups = 3 if cfg.members < 10_000 else (8 if cfg.members < 200_000 else 12)
    city_groups = {}
    for name, lon, lat, _w in P.DESTINATIONS[:n_groups]:
        g = tree.add(
            name=f"中共{P.DISTRICT_NAME}驻{name}流动党员党支部",
            level="branch",
            category="migrant",
            parent=district,
            lonlat=_jitter(rng, (lon, lat), 2000),
            address=f"{name}市",
        )
        city_groups[name] = g
    areas["migrant_groups"] = city_groups
    areas["destination_p"] = weights / weights.sum()

    # other counties: the orgs that keep the relationship of members who moved into the district
    areas["county_branches"] = []
    for ccode, cname, lon, lat in P.OTHER_COUNTIES:
        corg = tree.add(
            name=f"中共{P.CITY_NAME}{cname}委员会",
            level="committee",
            category="government",
            parent=root,
            code=ccode,
            lonlat=_jitter(rng, (lon, lat), 500),
            address=f"{P.CITY_NAME}{cname}",
        )
        for k in range(2 if cfg.members < 10_000 else 4):
            town = f"{cname}第{_cn(k + 1)}"
            b = tree.add(
                name=f"{town}社区党支部",
                level="branch",
                category="community",
                parent=corg,
                lonlat=_jitter(rng, (lon, lat), 1500),
                address=f"{P.CITY_NAME}{cname}",
            )
            areas["county_branches"].append(b)
    # a few dissolved branches, as real records have
    for row in rng.choice(
        [b for b in tree.rows if b["level"] == "branch" and b["category"] == "non_public"],
        size=min(3, len(tree.rows) // 100),
        replace=False,
    ):
        clone = tree.add(
            name=row["name"].replace("党支部", "（已撤销）党支部"),
            level="branch",
            category="non_public",
            parent=next(r for r in tree.rows if r["id"] == row["parent_id"]),
            area=row["admin_area_code"],
            lonlat=row["lonlat"],
            address=row["address"],
        )
        clone["status"] = "dissolved"
        clone["dissolved_on"] = dt.date(2024, int(rng.integers(1, 13)), 15)
    return branches


def _unit_name(rng, category: str, serial: dict) -> str:
    n = serial[category] = serial.get(category, 0) + 1
    if category == "government":
        base = P.GOVERNMENT_UNITS[(n - 1) % len(P.GOVERNMENT_UNITS)]
        return (
            base
            if n <= len(P.GOVERNMENT_UNITS)
            else f"{base}{_cn(n // len(P.GOVERNMENT_UNITS) + 1)}所"
        )
    if category == "public_institution":
        base = P.PUBLIC_INSTITUTIONS[(n - 1) % len(P.PUBLIC_INSTITUTIONS)]
        return (
            base
            if n <= len(P.PUBLIC_INSTITUTIONS)
            else f"{base}第{n // len(P.PUBLIC_INSTITUTIONS) + 1}分中心"
        )
    if category == "school":
        kind = P.SCHOOL_KINDS[(n - 1) % len(P.SCHOOL_KINDS)]
        return f"{P.DISTRICT_NAME}第{(n - 1) // len(P.SCHOOL_KINDS) + 1}{kind}"
    if category == "soe":
        base = P.SOE_NAMES[(n - 1) % len(P.SOE_NAMES)]
        return base if n <= len(P.SOE_NAMES) else f"{base}第{n // len(P.SOE_NAMES) + 1}分公司"
    if category == "non_public":
        stem = P.NON_PUBLIC_STEMS[int(rng.integers(len(P.NON_PUBLIC_STEMS)))]
        trade = P.NON_PUBLIC_TRADES[int(rng.integers(len(P.NON_PUBLIC_TRADES)))]
        return f"榆林市{stem}{trade}" + (f"第{n}分公司" if n > 60 else "")
    base = P.SOCIAL_ORGS[(n - 1) % len(P.SOCIAL_ORGS)]
    return f"{P.DISTRICT_NAME}{base}" + (
        "" if n <= len(P.SOCIAL_ORGS) else f"第{n // len(P.SOCIAL_ORGS) + 1}分会"
    )


def _joint_branch(tree, rng, smalls, category, branches, plane) -> None:
    """Small units (each under 3 full members) share one joint branch (at most 5 units)."""
    street = smalls[0][2]
    kind = "非公企业" if category == "non_public" else "社会组织"
    org = tree.add(
        name=f"{street['name']}{kind}第{_cn(len(branches) % 99 + 1)}联合党支部",
        level="joint_branch",
        category=category,
        parent=street["org"],
        area=street["code"],
        lonlat=_point_in(rng, plane, street["geom"]),
        address="、".join(s[0] for s in smalls),
    )
    branches.append((org, sum(s[1] for s in smalls), street["code"]))


def _service_points(rng, plane: Plane, city: City, areas: dict, tree: OrgTree) -> None:
    """District, street and community centres, and stations; some communities have none."""
    rows = city.service_points
    district_org = next(r for r in tree.rows if r["code"] == P.DISTRICT_CODE)

    def add(code_area, serial, name, level, lonlat, org, area_m2, hours):
        k = int(rng.integers(4, len(P.SERVICES) + 1))
        rows.append(
            {
                "code": f"SP{code_area}{serial:02d}",
                "name": name,
                "level": level,
                "admin_area_code": code_area,
                "lonlat": lonlat,
                "address": org["address"] if org else None,
                "opening_hours": hours,
                "services": list(rng.choice(P.SERVICES, k, replace=False)),
                "floor_area_m2": round(float(area_m2), 1),
                "operating_org_id": org["id"] if org else None,
                "phone": f"0912-{int(rng.integers(3000000, 3999999))}",
            }
        )

    weekday = "周一至周五 08:30-12:00，14:30-18:00"
    daily = "每天 09:00-21:00"
    add(
        areas["district"]["code"],
        1,
        f"{P.DISTRICT_NAME}党群服务中心",
        "district_centre",
        _jitter(rng, P.CENTRE_LONLAT, 200),
        district_org,
        rng.uniform(2500, 4000),
        weekday,
    )
    for unit in areas["units"]:
        seat = plane.xy_to_lonlat(*unit["seat"])
        add(
            unit["code"],
            1,
            f"{unit['name']}党群服务中心",
            "street_centre",
            _jitter(rng, (float(seat[0]), float(seat[1])), 80),
            unit["org"],
            rng.uniform(600, 1500),
            weekday,
        )
        for comm in unit["communities"]:
            urban = comm["level"] == "community"
            if rng.random() < (0.78 if urban else 0.55):
                add(
                    comm["code"],
                    1,
                    f"{comm['name']}党群服务中心",
                    "community_centre",
                    _point_in(rng, plane, comm["geom"]),
                    comm["org"],
                    rng.uniform(150, 600),
                    daily if urban else weekday,
                )
            if urban and rng.random() < 0.16:
                place = P.STATION_PLACES[int(rng.integers(len(P.STATION_PLACES)))]
                add(
                    comm["code"],
                    2,
                    f"{comm['name']}{place}党群服务站",
                    "station",
                    _point_in(rng, plane, comm["geom"]),
                    comm["org"],
                    rng.uniform(40, 200),
                    daily,
                )


def _home_grids(rng, plan: list, by_area: dict, pop: np.ndarray, n: int) -> np.ndarray:
    """The grid each member lives in: within their org's area, weighted by population."""
    home_grid = np.empty(n, dtype=np.int64)
    pos = 0
    all_idx = np.arange(len(pop))
    for _oid, cnt, area in plan:
        idx = np.array(by_area.get(area, []), dtype=np.int64) if area else np.empty(0, np.int64)
        if not len(idx):  # orgs of the whole district (or of other counties): anywhere
            idx = all_idx
        w = pop[idx] / pop[idx].sum()
        home_grid[pos : pos + cnt] = rng.choice(idx, cnt, p=w)
        pos += cnt
    return home_grid


def _reported_positions(rng, city: City, is_mobile: np.ndarray, dest: np.ndarray):
    """About 60 % of mobile members report positions (three each): the city's position rows,
    and each member's latest position and time (NaN / NaT for the others)."""
    n = len(is_mobile)
    reporting = np.flatnonzero(is_mobile & (rng.random(n) < 0.6))
    k = 3
    m_ids = np.repeat(reporting + 1, k)
    base = dest[np.repeat(reporting, k)]
    jitter = rng.normal(0, 0.004, (len(m_ids), 2))
    positions = base + jitter
    age_days = np.tile(np.array([20.0, 7.0, 0.5]), len(reporting)) + rng.uniform(0, 0.4, len(m_ids))
    reported_at = np.datetime64(f"{REFERENCE_DATE.isoformat()}T12:00:00") - (
        age_days * 86400
    ).astype("timedelta64[s]")
    city.positions = {
        "report_id": [
            f"demo-{m}-{j}"
            for m, j in zip(m_ids, np.tile(np.arange(k), len(reporting)), strict=True)
        ],
        "member_id": m_ids,
        "lon": positions[:, 0],
        "lat": positions[:, 1],
        "reported_at": reported_at,
        "source": np.where(rng.random(len(m_ids)) < 0.8, "gps", "network"),
        "accuracy_m": np.round(rng.uniform(5, 60, len(m_ids)), 1),
    }
    cur = np.full((n, 2), np.nan)
    cur_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    cur[reporting] = positions[2::k]
    cur_at[reporting] = reported_at[2::k]
    return cur, cur_at


def _grid_party_groups(grids: list[dict], branches: list) -> None:
    """Each urban grid's party group sits in its community's first branch."""
    comm_first = {}
    for b, _n, area in branches:
        if area:
            comm_first.setdefault(area, b["id"])
    for g in grids:
        bid = comm_first.get(g["community_code"])
        if bid and g["community_code"][9] == "0":
            g["party_group"] = f"{g['name']}党小组"
            g["party_group_branch_id"] = bid


def _members(rng, cfg, plane, city, areas, tree, branches, names) -> None:
    """Members of every branch, with homes, mobile members out and in, and position reports."""
    grids = city.grids
    by_area: dict[str, list[int]] = {}
    for i, g in enumerate(grids):
        by_area.setdefault(g["community_code"], []).append(i)
        by_area.setdefault(g["community_code"][:9] + "000", []).append(i)
    pop = np.array([g["population"] for g in grids], dtype=float)

    county = areas["county_branches"]
    n_in = int(cfg.members * MOBILE_IN_RATE)
    county_sizes = [int(rng.integers(15, 41)) for _ in county]
    # members of the district, then members of other counties (some of whom live here now)
    plan = [(b["id"], n, area) for b, n, area in branches] + [
        (b["id"], n, None) for b, n in zip(county, county_sizes, strict=True)
    ]
    org_id = np.concatenate([np.full(n, oid, dtype=np.int64) for oid, n, _ in plan])
    n = len(org_id)
    home_grid = _home_grids(rng, plan, by_area, pop, n)
    in_district = np.concatenate(
        [
            np.ones(sum(c for _, c, a in plan if a is not None), bool),
            np.zeros(sum(county_sizes), bool),
        ]
    )

    # ages: four bands, shares close to the party's published age structure
    band = rng.choice(4, n, p=[0.27, 0.30, 0.20, 0.23])
    means = np.array([30.0, 45.0, 57.0, 71.0])
    sds = np.array([5.0, 5.0, 4.0, 7.0])
    age = np.clip(np.round(rng.normal(means[band], sds[band])), 19, 98).astype(int)
    birth_year = REFERENCE_DATE.year - age
    p_female = np.where(age < 40, 0.42, np.where(age < 60, 0.30, 0.18))
    gender = np.where(rng.random(n) < p_female, "F", "M")

    probationary = rng.random(n) < 0.035
    join_age = np.minimum(18 + rng.exponential(9, n), age - 1)
    join_year = np.maximum(
        birth_year + 18, np.minimum(birth_year + join_age.astype(int), REFERENCE_DATE.year - 2)
    )
    ref = REFERENCE_DATE.toordinal()
    joined = np.array([dt.date(int(y), 1, 1).toordinal() for y in range(1940, 2030)])
    joined_ord = joined[np.clip(join_year - 1940, 0, len(joined) - 1)] + rng.integers(0, 365, n)
    joined_ord = np.where(probationary, ref - rng.integers(1, 360, n), joined_ord)
    status = np.where(probationary, "probationary", "full")

    # homes: a random point in the chosen grid
    home = np.empty((n, 2))
    grid_geoms = [g["geom"] for g in grids]
    order = np.argsort(home_grid, kind="stable")
    sorted_grids = home_grid[order]
    starts = np.flatnonzero(np.r_[True, sorted_grids[1:] != sorted_grids[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts, ends, strict=True):
        gi = sorted_grids[s]
        home[order[s:e]] = points_in(rng, grid_geoms[gi], e - s)
    county_lonlat = {b["id"]: b["lonlat"] for b in county}
    for i in np.flatnonzero(~in_district):
        lon, lat = county_lonlat[int(org_id[i])]
        home[i] = (lon + rng.normal(0, 0.02), lat + rng.normal(0, 0.015))

    # mobile members going out to other cities
    is_mobile = np.zeros(n, bool)
    settled = joined_ord <= ref - 200  # mobile means away six months or more since joining
    out = in_district & settled & (rng.random(n) < MOBILE_OUT_RATE) & (age < 65)
    is_mobile |= out
    outflow = np.where(is_mobile, org_id, 0)
    inflow = np.zeros(n, np.int64)
    dest_name = np.full(n, None, dtype=object)
    dest = np.full((n, 2), np.nan)
    dests = P.DESTINATIONS
    pick = rng.choice(len(dests), n, p=areas["destination_p"])
    groups = areas["migrant_groups"]
    for i in np.flatnonzero(out):
        name, lon, lat, _ = dests[pick[i]]
        dest_name[i] = name
        dest[i] = (lon + rng.normal(0, 0.06), lat + rng.normal(0, 0.05))
        g = groups.get(name)
        if g is not None and rng.random() < 0.8:
            inflow[i] = g["id"]
    # members of other counties who live in the district now: their community's branch helps
    comm_branch = {}
    for b, _n, area in branches:
        if area and area[9:] != "000":
            comm_branch.setdefault(area, b["id"])
    arriving = np.flatnonzero(~in_district)
    arriving = arriving[
        settled[arriving] & (rng.random(len(arriving)) < min(1.0, n_in / max(len(arriving), 1)))
    ]
    for i in arriving:
        gi = int(rng.choice(len(grids), p=pop / pop.sum()))
        home[i] = points_in(rng, grid_geoms[gi], 1)[0]
        is_mobile[i] = True
        outflow[i] = org_id[i]
        inflow[i] = comm_branch.get(grids[gi]["community_code"], 0)
        dest_name[i] = f"{P.CITY_NAME}{P.DISTRICT_NAME}"
        dest[i] = home[i]
    # away six months or more (the definition of a mobile member), never before joining
    since = np.where(is_mobile, np.maximum(ref - rng.integers(183, 3000, n), joined_ord), 0)

    # the latest position reported by about 60 % of mobile members, with a short history
    cur, cur_at = _reported_positions(rng, city, is_mobile, dest)

    # every home was drawn in lon/lat: grids are stored in EPSG:4326, county seats are lon/lat
    home_lon, home_lat = home[:, 0], home[:, 1]
    dest_is_home = np.zeros(n, bool)
    dest_is_home[arriving] = True
    dest_lon = np.where(dest_is_home, home_lon, dest[:, 0])
    dest_lat = np.where(dest_is_home, home_lat, dest[:, 1])

    city.members = {
        "id": np.arange(1, n + 1),
        "org_id": org_id,
        "name": names.names(gender),
        "gender": gender,
        "birth_year": birth_year,
        "joined_on": joined_ord,
        "status": status,
        "phone": names.phones(n),
        "home_lon": home_lon,
        "home_lat": home_lat,
        "is_mobile": is_mobile,
        "outflow_org_id": outflow,
        "inflow_org_id": inflow,
        "mobile_destination": dest_name,
        "dest_lon": dest_lon,
        "dest_lat": dest_lat,
        "mobile_since": since,
        "cur_lon": cur[:, 0],
        "cur_lat": cur[:, 1],
        "cur_at": cur_at,
    }

    _grid_party_groups(grids, branches)
