"""A small territory built by hand for the issue-18 tests: 榆林市 with two counties, one of
them (横山区) without streets; streets, a town, communities and a village in 榆阳区; grids in
some communities only; orgs with and without areas; mobile members crossing boundaries."""

from __future__ import annotations

import os
import uuid

import psycopg2
from sqlalchemy.engine import make_url

from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.db import engine_for, libpq_dsn

CITY, YY, HS = "610800000000", "610802000000", "610803000000"
S1, S2, T1 = "610802001000", "610802002000", "610802101000"
C1, C2, C3, V1 = "610802001001", "610802001002", "610802002001", "610802101201"
# every held area: code → (name, level, west, south, east, north)
AREAS = {
    CITY: ("榆林市", "city", 109.0, 37.0, 111.0, 39.0),
    YY: ("榆阳区", "county", 109.0, 37.0, 110.0, 39.0),
    HS: ("横山区", "county", 110.0, 37.0, 111.0, 39.0),
    S1: ("鼓楼街道", "street", 109.0, 37.0, 109.3, 39.0),
    S2: ("上郡路街道", "street", 109.3, 37.0, 109.6, 39.0),
    T1: ("鱼河峁镇", "town", 109.6, 37.0, 110.0, 39.0),
    C1: ("普惠泉社区", "community", 109.0, 37.0, 109.15, 39.0),
    C2: ("青山路社区", "community", 109.15, 37.0, 109.3, 39.0),
    C3: ("夏洲路社区", "community", 109.3, 37.0, 109.6, 39.0),
    V1: ("鱼河村", "village", 109.6, 37.0, 110.0, 39.0),
}
POPULATION = {C1: 3000, C2: 2000, C3: 2500, V1: 800, YY: 9000, HS: 4000, CITY: 20000}


def box(w: float, s: float, e: float, n: float) -> str:
    """A rectangle as EWKT MultiPolygon."""
    return f"SRID=4326;MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


def new_database(server_url: str, purpose: str, revision: str = "head") -> str:
    """A fresh database migrated to revision; drop it with drop_database."""
    name = f"mapsvc_test_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    cluster.ensure_database(url)
    migrate.upgrade(url, revision)
    return url


def drop_database(url: str) -> None:
    """Drop the database at url."""
    engine_for(url).dispose()
    u = make_url(url)
    maint = u.set(database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(libpq_dsn(maint))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    conn.close()


def add_area(cur, code: str, level: str | None = None) -> None:
    """Insert one of AREAS (or code with the level given and the city's box)."""
    name, lvl, w, s, e, n = AREAS.get(code, (f"区划{code}", level, 109.0, 37.0, 111.0, 39.0))
    cur.execute(
        "INSERT INTO admin_areas (code, name, level, population, geom) VALUES (%s, %s, %s, %s, %s)",
        (code, name, level or lvl, POPULATION.get(code, 0), box(w, s, e, n)),
    )


def add_org(cur, code: str, level: str, parent: int | None, area: str | None, lon: float) -> int:
    """Insert an org at (lon, 38.0); returns its id."""
    cur.execute(
        "INSERT INTO party_orgs (code, name, level, category, parent_id, admin_area_code, geom)"
        " VALUES (%s, %s, %s, 'community', %s, %s, ST_SetSRID(ST_MakePoint(%s, 38.0), 4326))"
        " RETURNING id",
        (code, f"组织{code}", level, parent, area, lon),
    )
    return cur.fetchone()[0]


def add_member(cur, org: int, status: str, gender: str, born: int, home: float | None, **mob):
    """Insert a member living at (home, 38.5); mob: outflow, dest_name, dest (lon, lat), inflow."""
    cur.execute(
        "INSERT INTO members (org_id, name, gender, birth_year, joined_on, status, home_geom,"
        " is_mobile, outflow_org_id, inflow_org_id, mobile_destination, destination_geom,"
        " mobile_since) VALUES (%s, '某党员', %s, %s, make_date(%s + 20, 7, 1), %s,"
        " CASE WHEN %s::float8 IS NULL THEN NULL"
        "      ELSE ST_SetSRID(ST_MakePoint(%s, 38.5), 4326) END,"
        " %s, %s, %s, %s, CASE WHEN %s::float8 IS NULL THEN NULL"
        "      ELSE ST_SetSRID(ST_MakePoint(%s, %s), 4326) END, %s)",
        (
            org,
            gender,
            born,
            born,
            status,
            home,
            home,
            bool(mob),
            org if mob else None,
            mob.get("inflow"),
            mob.get("dest_name"),
            (mob.get("dest") or (None, None))[0],
            (mob.get("dest") or (None, None))[0],
            (mob.get("dest") or (None, None))[1],
            "2024-01-01" if mob else None,
        ),
    )


def build(url: str) -> dict:
    """The territory, committed; returns the org ids by name."""
    conn = psycopg2.connect(libpq_dsn(url))
    try:
        cur = conn.cursor()
        # children before parents: the parent rule is checked at commit
        for code in reversed(list(AREAS)):
            add_area(cur, code)
        for code, w, s, e, n in (
            (C1 + "001", 109.0, 37.0, 109.15, 38.0),
            (C1 + "002", 109.0, 38.0, 109.15, 39.0),
            (C2 + "001", 109.15, 37.0, 109.3, 39.0),
            (V1 + "001", 109.6, 37.0, 110.0, 39.0),
        ):
            cur.execute(
                "INSERT INTO grids (code, name, community_code, population, geom)"
                " VALUES (%s, %s, %s, %s, %s)",
                (code, f"网格{code}", code[:12], 500 + int(code[-1]) * 100, box(w, s, e, n)),
            )
        o = {}
        o["city"] = add_org(cur, "YL0000", "committee", None, CITY, 109.5)
        o["yy"] = add_org(cur, "YY0000", "committee", o["city"], YY, 109.5)
        o["hs"] = add_org(cur, "HS0000", "committee", o["city"], HS, 110.5)
        o["s1"] = add_org(cur, "YY0100", "working_committee", o["yy"], S1, 109.1)
        o["s2"] = add_org(cur, "YY0200", "working_committee", o["yy"], S2, 109.4)
        o["t1"] = add_org(cur, "YY1100", "committee", o["yy"], T1, 109.8)
        o["b1"] = add_org(cur, "YY0101", "branch", o["s1"], C1, 109.05)
        o["b2"] = add_org(cur, "YY0102", "branch", o["s1"], C2, 109.2)
        o["b3"] = add_org(cur, "YY0201", "branch", o["s2"], None, 109.45)  # sits where S2 does
        o["b4"] = add_org(cur, "YY0001", "branch", o["yy"], None, 109.5)  # the county's office
        o["b5"] = add_org(cur, "HS0001", "branch", o["hs"], HS, 110.5)
        o["b6"] = add_org(cur, "YY1101", "branch", o["t1"], V1, 109.8)
        o["b7"] = add_org(cur, "YL0001", "branch", o["city"], None, 109.5)  # the city's office
        people = [
            (o["b1"], "full", "M", 1980, 109.05),
            (o["b1"], "full", "F", 1995, 109.1),
            (o["b1"], "probationary", "F", 2001, 109.12),
            (o["b2"], "full", "M", 1960, 109.2),
            (o["b2"], "full", "M", 1950, 109.25),
            (o["b3"], "full", "F", 1970, 109.4),
            (o["b3"], "probationary", "M", 1999, None),
            (o["b4"], "full", "M", 1975, 109.5),
            (o["b5"], "full", "F", 1985, 110.5),
            (o["b5"], "full", "M", 1988, 110.6),
            (o["b6"], "full", "M", 1965, 109.7),
            (o["b6"], "full", "F", 1968, 109.8),
            (o["b6"], "full", "M", 1990, 109.9),
            (o["b7"], "full", "F", 1983, 110.2),
        ]
        for org, status, gender, born, home in people:
            add_member(cur, org, status, gender, born, home)
        # out of 鼓楼街道 into 夏洲路社区: a move inside 榆阳区
        add_member(cur, o["b1"], "full", "M", 1985, 109.05, dest_name="榆林", dest=(109.45, 38.2))
        # out of the city altogether
        add_member(cur, o["b2"], "full", "F", 1992, 109.2, dest_name="西安", dest=(108.94, 34.34))
        add_member(cur, o["b4"], "full", "M", 1991, 109.5, dest_name="西安", dest=(108.95, 34.3))
        # from 横山区 into 鱼河村, helped by its branch
        add_member(
            cur,
            o["b5"],
            "full",
            "M",
            1993,
            110.5,
            dest_name="榆林",
            dest=(109.7, 38.1),
            inflow=o["b6"],
        )
        # from 横山区 to somewhere not located
        add_member(cur, o["b5"], "probationary", "F", 2000, 110.5, dest_name="北京")
        cur.execute(
            "INSERT INTO service_points (code, name, level, admin_area_code, geom) VALUES"
            " ('SP-YY', '榆阳区党群服务中心', 'district_centre', %s,"
            "  ST_SetSRID(ST_MakePoint(109.45, 38.0), 4326)),"
            " ('SP-C1', '普惠泉社区党群服务中心', 'community_centre', %s,"
            "  ST_SetSRID(ST_MakePoint(109.07, 37.6), 4326)),"
            " ('SP-HS', '横山区党群服务中心', 'district_centre', NULL,"
            "  ST_SetSRID(ST_MakePoint(110.5, 38.0), 4326))",
            (YY, C1),
        )
        conn.commit()
        return o
    finally:
        conn.close()
