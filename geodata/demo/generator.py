"""Generate the demo territory: areas, grids, roads, the org tree, members and service points.

Deterministic per (scale, seed). The province, its cities and counties lie on their real
boundaries (geodata/data); streets and towns carry their real names and codes and are
generated inside each county, in a metric plane per county (see geometry.Plane).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Point

from geodata.demo import places as P
from geodata.demo.areas import (
    County,
    Roads,
    area_rows,
    build_county,
    county_roads,
    selected_counties,
    settle,
)
from geodata.demo.geometry import Plane, points_in
from geodata.demo.scales import SCALES, Scale

REFERENCE_DATE = dt.date(2026, 11, 1)  # "today" of the demo, so a seed always gives the same city
MAX_BRANCH = 50

# share of the members held by community and village orgs; the rest are in units
AREA_MEMBER_SHARE = 0.45
MOBILE_OUT_RATE = 0.05
MOBILE_IN_RATE = 0.02  # of all members: living in another county than their org's, in the territory

__all__ = ["SCALES", "City", "Scale", "generate"]


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
    counties: list[County] = field(default_factory=list)


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


# ---------------------------------------------------------------- the generator
def generate(scale: str = "small", seed: int = 2026) -> City:
    """Build the whole demo territory in memory."""
    cfg = SCALES[scale]
    rng = np.random.default_rng(seed)
    names = NameMaker(rng)
    city = City(scale=scale, seed=seed)

    seat_counties = {c[:4]: c for c in sorted(P.SEATS) if c[4:] == "02" or c == "610102"}
    counties = []
    for code, name, city_code in selected_counties(cfg):
        six = code[:6]
        is_seat = seat_counties.get(six[:4], six[:4] + "02") == six
        counties.append(build_county(rng, cfg, code, name, city_code, is_seat))
    settle(rng, cfg, counties)
    city.counties = counties
    city.admin_areas = area_rows(cfg, counties)
    city.grids = [g for c in counties for g in c.grids]
    _grid_workers(rng, counties)
    _roads(rng, cfg, city, counties)
    tree = OrgTree(rng, names)
    branches = _orgs(rng, cfg, counties, tree)
    city.orgs = tree.rows
    _service_points(rng, city, counties)
    _members(rng, cfg, city, counties, branches, names)
    return city


def _grid_workers(rng, counties: list[County]) -> None:
    """One grid worker per urban grid, one per two village grids."""
    workers = NameMaker(rng)
    for county in counties:
        for comm in county.communities:
            per = 1 if comm["level"] == "community" else 2
            for i, g in enumerate(comm["grids"]):
                if i % per == 0:
                    worker, phone = workers.one(), workers.phones(1)[0]
                g["grid_worker"], g["grid_worker_phone"] = worker, phone


def _roads(rng, cfg: Scale, city: City, counties: list[County]) -> None:
    """Every detailed county's roads, joined seat to seat: county → city → province seat."""
    roads = Roads(rng)
    detailed = [c for c in counties if not c.bare]
    seats = {c[:4]: c for c in P.SEATS if c[4:] == "02" or c == "610102"}
    for c in detailed:
        lattice = cfg.lattice_everywhere or seats.get(c.short[:4], c.short[:4] + "02") == c.short
        county_roads(rng, cfg, c, roads, lattice)
    by_city: dict[str, list[County]] = {}
    for c in detailed:
        by_city.setdefault(c.city_code, []).append(c)
    hubs = []
    for members in by_city.values():
        hub = next((c for c in members if c.short[4:] == "02"), members[0])
        if hub.short[:4] == "6101":
            hub = next((c for c in members if c.short == "610102"), hub)
        hubs.append(hub)
        for c in members:
            if c is not hub:
                roads.line(
                    c.seat_vertex, (hub.plane.lon0, hub.plane.lat0), 2000.0, "arterial", "国道"
                )
                roads.edges.append((roads.edges[-1][1], hub.seat_vertex, "arterial", "国道"))
    top = next((h for h in hubs if h.short == "610102"), hubs[0]) if hubs else None
    for h in hubs:
        if h is not top:
            roads.line(h.seat_vertex, (top.plane.lon0, top.plane.lat0), 3000.0, "arterial", "高速")
            roads.edges.append((roads.edges[-1][1], top.seat_vertex, "arterial", "高速"))
    city.road_vertices = [
        {"id": i + 1, "lon": lon, "lat": lat}
        for i, (lon, lat) in enumerate(zip(roads.lon, roads.lat, strict=True))
    ]
    for a, b, kind, name in roads.edges:
        if a == b:
            continue
        city.roads.append(
            {
                "name": name,
                "kind": kind,
                "source": a,
                "target": b,
                "coords": [
                    (roads.lon[a - 1], roads.lat[a - 1]),
                    (roads.lon[b - 1], roads.lat[b - 1]),
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


def _orgs(rng, cfg: Scale, counties: list[County], tree: OrgTree) -> list:
    """The org tree; returns [(branch row, member count, admin area code)]."""
    branches: list = []
    b = P.boundaries()
    top = None
    if cfg.province:
        top = tree.add(
            name=f"中共{P.PROVINCE_NAME}委",
            level="committee",
            category="government",
            code=P.PROVINCE_ORG_CODE,
            area=P.PROVINCE_CODE,
            lonlat=_jitter(rng, P.PROVINCE_CENTRE, 400),
            address=P.PROVINCE_NAME,
        )
    city_orgs: dict[str, dict] = {}
    for c in counties:
        if c.city_code not in city_orgs:
            name = b[c.city_code]["name"]
            city_orgs[c.city_code] = tree.add(
                name=f"中共{name}委",
                level="committee",
                category="government",
                parent=top,
                code=c.city_code[:6],
                area=c.city_code,
                lonlat=_jitter(rng, P.seat(c.city_code[:4] + "02"), 400),
                address=name,
            )
    for c in counties:
        _county_orgs(rng, cfg, c, tree, city_orgs[c.city_code], branches)
    # a few dissolved branches, as real records have
    for row in rng.choice(
        [r for r in tree.rows if r["level"] == "branch" and r["category"] == "non_public"],
        size=min(3, len(tree.rows) // 100),
        replace=False,
    ):
        clone = tree.add(
            name=row["name"].replace("党支部", "（已撤销）党支部"),
            level="branch",
            category="non_public",
            parent=tree.rows[row["parent_id"] - 1],
            area=row["admin_area_code"],
            lonlat=row["lonlat"],
            address=row["address"],
        )
        clone["status"] = "dissolved"
        clone["dissolved_on"] = dt.date(2024, int(rng.integers(1, 13)), 15)
    return branches


def _county_orgs(rng, cfg: Scale, c: County, tree: OrgTree, parent: dict, branches: list) -> None:
    """A county committee with its streets' and towns' orgs, communities, units and migrant
    groups; every member of the county is in a branch below it."""
    plane = c.plane
    seat = (plane.lon0, plane.lat0)
    addr0 = f"{P.boundaries()[c.city_code]['name']}{c.name}"
    county = tree.add(
        name=f"中共{c.name}委",
        level="committee",
        category="government",
        parent=parent,
        code=c.short,
        area=c.code,
        lonlat=_jitter(rng, seat, 300),
        address=addr0,
    )
    c.org = county
    first = len(branches)
    rate = cfg.member_rate * AREA_MEMBER_SHARE
    for unit in c.units:
        urban = unit["level"] == "street"
        useat = tuple(float(v) for v in plane.xy_to_lonlat(*unit["seat"]))
        uorg = tree.add(
            name=f"{unit['name']}{'党工委' if urban else '党委'}",
            level="working_committee" if urban else "committee",
            category="government",
            parent=county,
            area=unit["code"],
            lonlat=useat,
            address=f"{addr0}{unit['name']}",
        )
        unit["org"] = uorg
        _unit_orgs(
            tree,
            rng,
            parent=uorg,
            name=f"{unit['name']}机关",
            category="government",
            size=int(rng.integers(12, 45)) if cfg.population > 1_000_000 else 12,
            area=unit["code"],
            lonlat=_jitter(rng, useat),
            address=f"{addr0}{unit['name']}",
            branches=branches,
        )
        for comm in unit["communities"]:
            n = max(4, int(round(comm["population"] * rate * rng.uniform(0.8, 1.2))))
            inner = comm["geom"].buffer(-50)
            comm["org"] = _unit_orgs(
                tree,
                rng,
                parent=uorg,
                name=f"{unit['name']}{comm['name']}",
                category=comm["level"],
                size=n,
                area=comm["code"],
                lonlat=_point_in(rng, plane, comm["geom"] if inner.is_empty else inner),
                address=f"{addr0}{unit['name']}{comm['name']}",
                branches=branches,
            )
    area_members = sum(x[1] for x in branches[first:])
    budget = max(int(c.population * cfg.member_rate) - area_members, 30)
    _county_units(rng, c, tree, county, budget, branches, addr0)
    _migrant_groups(rng, cfg, c, tree, county)


def _hosts(c: County) -> list[dict]:
    """Where a county's units sit: its streets, else its seat town, else near its seat."""
    streets = [u for u in c.units if u["level"] == "street"]
    if streets:
        return streets
    seat_towns = [u for u in c.units if any(m["level"] == "community" for m in u["communities"])]
    if seat_towns or c.units:
        return seat_towns or c.units[:1]
    near = c.geom.intersection(Point(0, 0).buffer(5000))
    return [{"code": c.code, "name": "", "geom": c.geom if near.is_empty else near, "org": c.org}]


def _county_units(rng, c: County, tree: OrgTree, county: dict, budget: int, branches, addr0):
    """Government departments, institutions, schools, SOEs, enterprises and social orgs."""
    hosts = _hosts(c)
    seat = (c.plane.lon0, c.plane.lat0)
    heads = {}
    for key, name, category, level in (
        ("gov", "直属机关工作委员会", "government", "working_committee"),
        ("edu", "教育工作委员会", "school", "working_committee"),
        ("soe", "国有资产监督管理委员会委员会", "soe", "committee"),
    ):
        heads[key] = tree.add(
            name=f"中共{c.name}{name}",
            level=level,
            category=category,
            parent=county,
            area=c.code,
            lonlat=_jitter(rng, seat, 600),
            address=addr0,
        )
    kinds = [  # category, share of unit members, median size, parent
        ("government", 0.18, 40, heads["gov"]),
        ("public_institution", 0.16, 45, heads["gov"]),
        ("school", 0.16, 38, heads["edu"]),
        ("soe", 0.12, 60, heads["soe"]),
        ("non_public", 0.28, 20, None),
        ("social_org", 0.10, 10, None),
    ]
    serial: dict[str, int] = {}
    for category, share, median, parent in kinds:
        left = int(budget * share)
        smalls: list[tuple[str, int, dict]] = []
        group_size = int(rng.integers(2, 6))  # a joint branch covers at most 5 units
        while left > 0:
            size = int(min(left, max(3, rng.lognormal(math.log(median), 0.7))))
            left -= size
            host = hosts[int(rng.integers(len(hosts)))]
            name = _unit_name(rng, category, serial, c)
            if category in ("non_public", "social_org") and size < 6 and rng.random() < 0.5:
                smalls.append((name, size, host))
                if len(smalls) == group_size:
                    _joint_branch(tree, rng, smalls, category, branches, c.plane)
                    smalls, group_size = [], int(rng.integers(2, 6))
                continue
            _unit_orgs(
                tree,
                rng,
                parent=parent or host["org"],
                name=name,
                category=category,
                size=size,
                area=host["code"],
                lonlat=_point_in(rng, c.plane, host["geom"]),
                address=f"{addr0}{host['name']}{name}",
                branches=branches,
            )
        if smalls:
            _joint_branch(tree, rng, smalls, category, branches, c.plane)


def _destination_p(c: County) -> np.ndarray:
    """Weights of the destinations of a county's mobile members (never its own city)."""
    own = P.boundaries()[c.city_code]["name"]
    w = np.array([0.0 if own.startswith(d[0]) else d[3] for d in P.DESTINATIONS])
    return w / w.sum()


def _migrant_groups(rng, cfg: Scale, c: County, tree: OrgTree, county: dict) -> None:
    """Migrant groups of the county at its members' main destinations."""
    n = 2 if cfg.province else (3 if cfg.population < 1_000_000 else 4)
    p = _destination_p(c)
    c.migrant_groups = {}
    for k in np.argsort(-p, kind="stable")[:n]:
        name, lon, lat, _w = P.DESTINATIONS[int(k)]
        c.migrant_groups[name] = tree.add(
            name=f"中共{c.name}驻{name}流动党员党支部",
            level="branch",
            category="migrant",
            parent=county,
            lonlat=_jitter(rng, (lon, lat), 2000),
            address=f"{name}市",
        )


def _unit_name(rng, category: str, serial: dict, c: County) -> str:
    n = serial[category] = serial.get(category, 0) + 1
    word = P.unit_word(c.name)
    if category == "government":
        base = P.GOVERNMENT_UNITS[(n - 1) % len(P.GOVERNMENT_UNITS)].replace("区", word, 1)
        k = len(P.GOVERNMENT_UNITS)
        return base if n <= k else f"{base}{_cn(n // k + 1)}所"
    if category == "public_institution":
        base = P.PUBLIC_INSTITUTIONS[(n - 1) % len(P.PUBLIC_INSTITUTIONS)].replace("区", word, 1)
        k = len(P.PUBLIC_INSTITUTIONS)
        return base if n <= k else f"{base}第{n // k + 1}分中心"
    if category == "school":
        kind = P.SCHOOL_KINDS[(n - 1) % len(P.SCHOOL_KINDS)]
        return f"{c.name}第{(n - 1) // len(P.SCHOOL_KINDS) + 1}{kind}"
    if category == "soe":
        base = P.SOE_NAMES[(n - 1) % len(P.SOE_NAMES)].replace(P.DISTRICT_NAME, c.name)
        k = len(P.SOE_NAMES)
        return base if n <= k else f"{base}第{n // k + 1}分公司"
    if category == "non_public":
        stem = P.NON_PUBLIC_STEMS[int(rng.integers(len(P.NON_PUBLIC_STEMS)))]
        trade = P.NON_PUBLIC_TRADES[int(rng.integers(len(P.NON_PUBLIC_TRADES)))]
        return f"{c.name}{stem}{trade}" + (f"第{n}分公司" if n > 60 else "")
    base = P.SOCIAL_ORGS[(n - 1) % len(P.SOCIAL_ORGS)]
    k = len(P.SOCIAL_ORGS)
    return f"{c.name}{base}" + ("" if n <= k else f"第{n // k + 1}分会")


def _joint_branch(tree, rng, smalls, category, branches, plane) -> None:
    """Small units (each under 3 full members) share one joint branch (at most 5 units)."""
    host = smalls[0][2]
    kind = "非公企业" if category == "non_public" else "社会组织"
    org = tree.add(
        name=f"{host['name']}{kind}第{_cn(len(branches) % 99 + 1)}联合党支部",
        level="joint_branch",
        category=category,
        parent=host["org"],
        area=host["code"],
        lonlat=_point_in(rng, plane, host["geom"]),
        address="、".join(s[0] for s in smalls),
    )
    branches.append((org, sum(s[1] for s in smalls), host["code"]))


def _service_points(rng, city: City, counties: list[County]) -> None:
    """County, street and community centres, and stations; some communities have none."""
    rows = city.service_points
    weekday = "周一至周五 08:30-12:00，14:30-18:00"
    daily = "每天 09:00-21:00"

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

    for c in counties:
        plane = c.plane
        seat = (plane.lon0, plane.lat0)
        add(
            c.code,
            1,
            f"{c.name}党群服务中心",
            "district_centre",
            _jitter(rng, seat, 200),
            c.org,
            rng.uniform(2500, 4000),
            weekday,
        )
        for unit in c.units:
            useat = plane.xy_to_lonlat(*unit["seat"])
            add(
                unit["code"],
                1,
                f"{unit['name']}党群服务中心",
                "street_centre",
                _jitter(rng, (float(useat[0]), float(useat[1])), 80),
                unit["org"],
                rng.uniform(600, 1500),
                weekday,
            )
            for comm in unit["communities"]:
                _community_points(rng, plane, comm, add, weekday, daily)


def _community_points(rng, plane, comm: dict, add, weekday: str, daily: str) -> None:
    """A community's centre (78 % of communities, 55 % of villages) and maybe a station."""
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


def _homes(rng, plan: list, city: City, counties: list[County]) -> np.ndarray:
    """Each member's home (lon, lat): a grid of their org's area weighted by population, or
    anywhere in the county when the area has no grids (a county without streets loaded)."""
    grids = city.grids
    by_area: dict[str, list[int]] = {}
    for i, g in enumerate(grids):
        by_area.setdefault(g["community_code"], []).append(i)
        by_area.setdefault(g["community_code"][:9] + "000", []).append(i)
    pop = np.array([g["population"] for g in grids], dtype=float)
    by_county = {c.short: c for c in counties}
    n = sum(cnt for _o, cnt, _a in plan)
    home_grid = np.full(n, -1, dtype=np.int64)
    home = np.empty((n, 2))
    pos = 0
    for _oid, cnt, area in plan:
        idx = np.array(by_area.get(area, []), dtype=np.int64)
        if len(idx):
            home_grid[pos : pos + cnt] = rng.choice(idx, cnt, p=pop[idx] / pop[idx].sum())
        else:
            c = by_county[area[:6]]
            home[pos : pos + cnt] = points_in(rng, c.geom_ll, cnt)
        pos += cnt
    order = np.argsort(home_grid, kind="stable")
    sorted_grids = home_grid[order]
    starts = np.flatnonzero(np.r_[True, sorted_grids[1:] != sorted_grids[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts, ends, strict=True):
        gi = sorted_grids[s]
        if gi >= 0:
            home[order[s:e]] = points_in(rng, grids[gi]["geom"], e - s)
    return home


def _mobile_in(rng, city: City, counties, org_county, candidates, home, n_in, branches):
    """Members living in another county of the territory than their org's: their community's
    branch there helps (inflow); returns (members, inflow org ids, destination names)."""
    grids = city.grids
    if not len(grids) or n_in <= 0 or not len(candidates):
        return np.empty(0, np.int64), np.empty(0, np.int64), []
    pop = np.array([g["population"] for g in grids], dtype=float)
    shorts = [c.short for c in counties]
    grid_county = np.array([shorts.index(g["community_code"][:6]) for g in grids])
    chosen = rng.choice(candidates, min(n_in, len(candidates)), replace=False)
    gi = rng.choice(len(grids), len(chosen), p=pop / pop.sum())
    keep = grid_county[gi] != org_county[chosen]
    chosen, gi = chosen[keep], gi[keep]
    comm_branch = {}
    for b, _n, area in branches:
        if area and area[9:] != "000":
            comm_branch.setdefault(area, b["id"])
    city_names = {c.short: P.boundaries()[c.city_code]["name"] + c.name for c in counties}
    inflow = np.zeros(len(chosen), np.int64)
    names = []
    for k, (i, g) in enumerate(zip(chosen, gi, strict=True)):
        grid = grids[g]
        home[i] = points_in(rng, grid["geom"], 1)[0]
        inflow[k] = comm_branch.get(grid["community_code"], 0)
        names.append(city_names[grid["community_code"][:6]])
    return chosen, inflow, names


def _members(rng, cfg, city: City, counties: list[County], branches, names) -> None:
    """Members of every branch, with homes, mobile members out and in, and position reports."""
    plan = [(b["id"], n, area) for b, n, area in branches]
    org_id = np.concatenate([np.full(n, oid, dtype=np.int64) for oid, n, _ in plan])
    n = len(org_id)
    shorts = {c.short: k for k, c in enumerate(counties)}
    org_county = np.concatenate(
        [np.full(cnt, shorts[area[:6]], dtype=np.int64) for _o, cnt, area in plan]
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

    home = _homes(rng, plan, city, counties)

    # mobile members going out to other cities, met by their county's migrant groups
    settled = joined_ord <= ref - 200  # mobile means away six months or more since joining
    out = settled & (rng.random(n) < MOBILE_OUT_RATE) & (age < 65)
    is_mobile = out.copy()
    inflow = np.zeros(n, np.int64)
    dest_name = np.full(n, None, dtype=object)
    dest = np.full((n, 2), np.nan)
    dests = P.DESTINATIONS
    for k, c in enumerate(counties):
        idx = np.flatnonzero(out & (org_county == k))
        if not len(idx):
            continue
        pick = rng.choice(len(dests), len(idx), p=_destination_p(c))
        jitter = rng.normal(0, 1, (len(idx), 2)) * (0.06, 0.05)
        groups = c.migrant_groups
        helped = rng.random(len(idx)) < 0.8
        for j, i in enumerate(idx):
            name, lon, lat, _ = dests[pick[j]]
            dest_name[i] = name
            dest[i] = (lon + jitter[j, 0], lat + jitter[j, 1])
            g = groups.get(name)
            if g is not None and helped[j]:
                inflow[i] = g["id"]

    # members who live in another county of the territory now: the branch there helps
    candidates = np.flatnonzero(settled & ~out)
    arriving, arriving_inflow, arriving_names = _mobile_in(
        rng, city, counties, org_county, candidates, home, int(n * MOBILE_IN_RATE), branches
    )
    is_mobile[arriving] = True
    inflow[arriving] = arriving_inflow
    dest_name[arriving] = np.array(arriving_names + [None], dtype=object)[:-1]
    dest[arriving] = home[arriving]
    outflow = np.where(is_mobile, org_id, 0)
    # away six months or more (the definition of a mobile member), never before joining
    since = np.where(is_mobile, np.maximum(ref - rng.integers(183, 3000, n), joined_ord), 0)

    # the latest position reported by about 60 % of mobile members, with a short history
    cur, cur_at = _reported_positions(rng, city, is_mobile, dest)

    city.members = {
        "id": np.arange(1, n + 1),
        "org_id": org_id,
        "name": names.names(gender),
        "gender": gender,
        "birth_year": birth_year,
        "joined_on": joined_ord,
        "status": status,
        "phone": names.phones(n),
        "home_lon": home[:, 0],
        "home_lat": home[:, 1],
        "is_mobile": is_mobile,
        "outflow_org_id": outflow,
        "inflow_org_id": inflow,
        "mobile_destination": dest_name,
        "dest_lon": dest[:, 0],
        "dest_lat": dest[:, 1],
        "mobile_since": since,
        "cur_lon": cur[:, 0],
        "cur_lat": cur[:, 1],
        "cur_at": cur_at,
    }

    _grid_party_groups(city.grids, branches)
