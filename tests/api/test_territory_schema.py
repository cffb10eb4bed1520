"""Areas at every level (issue 18, migration 0012): codes against levels, the parent derived
from the code, the parent rule checked at commit (partial hierarchies accepted, a missing
middle level refused, an area with children kept), org trees rooted at any level, and the
migration carrying a database of before (with `district`) forward without losing a row."""

from __future__ import annotations

import re

import psycopg2
import pytest
from psycopg2 import errors as pgerr

from mapsvc.infra import migrate
from mapsvc.infra.db import libpq_dsn
from tests.api.territory_world import (
    AREAS,
    C1,
    CITY,
    HS,
    S1,
    YY,
    add_area,
    add_org,
    box,
    drop_database,
    new_database,
)

CJK = re.compile("[\u4e00-\u9fff]")


@pytest.fixture()
def cur(empty_conn):
    return empty_conn.cursor()


def commit_check(cur) -> None:
    """Run the checks deferred to commit now (the test's work is rolled back after it)."""
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")  # back to checking at commit


def refused(cur, error=pgerr.ForeignKeyViolation, constraint="admin_area_parent_exists"):
    """A context manager: the block fails at the commit check with error on constraint."""

    class _Refused:
        def __enter__(self):
            cur.execute("SAVEPOINT attempt")
            return self

        def __exit__(self, kind, exc, tb):
            if kind is None:
                try:
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                except error as e:
                    exc = e
                else:
                    pytest.fail("not refused")
            assert isinstance(exc, error), exc
            assert exc.diag.constraint_name == constraint, exc
            self.message = exc.diag.message_primary
            cur.execute("ROLLBACK TO SAVEPOINT attempt")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
            return True

    return _Refused()


LEVELS = [
    ("610000000000", "province", None),
    ("610800000000", "city", "610000000000"),
    ("610802000000", "county", "610800000000"),
    ("610802001000", "street", "610802000000"),
    ("610802101000", "town", "610802000000"),
    ("610802201000", "town", "610802000000"),  # a township (乡): 200-399
    ("610802001001", "community", "610802001000"),
    ("610802101201", "village", "610802101000"),
]


def test_every_level_is_accepted_with_its_parent_derived_from_the_code(cur):
    for code, level, _ in LEVELS:
        add_area(cur, code, level)
    commit_check(cur)
    cur.execute("SELECT code, level, parent_code FROM admin_areas ORDER BY code")
    assert sorted(cur.fetchall()) == sorted(LEVELS)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("610800000000", "province"),  # a city's code
        ("610802000000", "city"),  # a county's code
        ("610000000000", "city"),  # a province's code
        ("610800000000", "county"),  # a city's code
        ("610802001000", "county"),  # a street's code
        ("610802000000", "street"),  # a county's code
        ("610802001001", "county"),
        ("610802000000", "district"),  # the old level is gone
    ],
)
def test_a_code_that_does_not_fit_its_level_is_refused(cur, code, level):
    constraint = "admin_area_level" if level == "district" else "admin_area_code_level"
    with pytest.raises(pgerr.CheckViolation) as info:
        add_area(cur, code, level)
    assert info.value.diag.constraint_name == constraint


@pytest.mark.parametrize(
    "codes",
    [
        [CITY, YY, HS],  # a city with counties and no streets
        [YY],  # one county, no city: the top of what is held
        [YY, HS],  # neighbouring counties without their city
        [C1, S1, YY],  # children listed before parents
        [S1, C1],  # a street and its community, nothing above
        ["610000000000", CITY],  # a province and a city with nothing below
    ],
)
def test_partial_hierarchies_are_accepted(cur, codes):
    for code in codes:
        add_area(cur, code, None if code in AREAS else "province")
    commit_check(cur)


@pytest.mark.parametrize(
    ("codes", "orphan", "held"),
    [
        ([CITY, S1], S1, CITY),  # a street of a city with its county missing
        ([YY, C1], C1, YY),  # a community of a county with its street missing
        (["610000000000", YY], YY, "610000000000"),  # a county of a province, city missing
    ],
)
def test_a_missing_middle_level_is_refused_in_both_languages(cur, codes, orphan, held):
    with refused(cur) as r:
        for code in codes:
            add_area(cur, code, None if code in AREAS else "province")
    assert orphan in r.message and held in r.message
    zh, en = r.message.split(" / ", 1)
    assert CJK.search(zh) and not CJK.search(en)


def test_an_area_with_children_is_not_removed_but_children_first_is_fine(cur):
    for code in (CITY, YY, S1):
        add_area(cur, code)
    commit_check(cur)
    with refused(cur, constraint="admin_area_has_children") as r:
        cur.execute("DELETE FROM admin_areas WHERE code = %s", (YY,))
    assert YY in r.message and S1 in r.message
    # children and parent together, in either order: nothing is left orphaned
    cur.execute("DELETE FROM admin_areas WHERE code = %s", (YY,))
    cur.execute("DELETE FROM admin_areas WHERE code = %s", (S1,))
    commit_check(cur)
    cur.execute("SELECT array_agg(code) FROM admin_areas")
    assert cur.fetchone()[0] == [CITY]


@pytest.mark.parametrize("root_area", [CITY, YY, S1, C1, None])
def test_one_org_tree_rooted_at_any_level(cur, root_area):
    for code in (CITY, YY, S1, C1):
        add_area(cur, code)
    root = add_org(cur, "RT0000", "committee", None, root_area, 109.1)
    add_org(cur, "RT0001", "branch", root, C1, 109.05)
    commit_check(cur)
    with pytest.raises(pgerr.UniqueViolation):
        add_org(cur, "RT0002", "committee", None, root_area, 109.1)


# ------------------------------------------------------------------ the migration
def _before(cur) -> None:
    """A database as the demo left it before issue 18: one district and what lies below."""
    rows = [
        (YY, "榆阳区", "district"),
        (S1, "鼓楼街道", "street"),
        ("610802101000", "鱼河峁镇", "town"),
        (C1, "普惠泉社区", "community"),
        ("610802101201", "鱼河村", "village"),
    ]
    for code, name, level in rows:
        cur.execute(
            "INSERT INTO admin_areas (code, name, level, population, geom) VALUES (%s,%s,%s,7,%s)",
            (code, name, level, box(109.0, 37.0, 110.0, 39.0)),
        )
    cur.execute(
        "INSERT INTO grids (code, name, community_code, population, geom) VALUES (%s,'网格',%s,9,%s)",
        (C1 + "001", C1, box(109.0, 37.0, 109.5, 38.0)),
    )
    root = add_org(cur, "YL0000", "committee", None, None, 109.5)
    county = add_org(cur, "YY0000", "committee", root, YY, 109.5)
    branch = add_org(cur, "YY0101", "branch", county, C1, 109.2)
    cur.execute(
        "INSERT INTO members (org_id, name, gender, birth_year, joined_on, status) "
        "SELECT %s, '某党员' || g, 'F', 1980, '2010-07-01', 'full' FROM generate_series(1, 5) g",
        (branch,),
    )
    cur.execute(
        "INSERT INTO service_points (code, name, level, admin_area_code, geom) VALUES "
        "('SP-1', '榆阳区党群服务中心', 'district_centre', %s, "
        "ST_SetSRID(ST_MakePoint(109.5, 38.0), 4326))",
        (YY,),
    )


TABLES = ("admin_areas", "grids", "party_orgs", "members", "service_points")


def _counts(cur) -> dict:
    out = {}
    for t in TABLES:
        cur.execute(f"SELECT count(*) FROM {t}")  # noqa: S608 (names from TABLES)
        out[t] = cur.fetchone()[0]
    return out


def test_the_migration_renames_district_to_county_and_keeps_every_row(server_url):
    url = new_database(server_url, "territory_migration", revision="0009")
    try:
        with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
            _before(cur)
        with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
            before = _counts(cur)
            cur.execute("SELECT code, name, population FROM admin_areas ORDER BY code")
            areas = cur.fetchall()
        migrate.upgrade(url)
        with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
            assert _counts(cur) == before
            cur.execute("SELECT code, name, population FROM admin_areas ORDER BY code")
            assert cur.fetchall() == areas
            cur.execute("SELECT code, level, parent_code FROM admin_areas ORDER BY code")
            assert cur.fetchall() == [
                (YY, "county", CITY),  # its city is not held: the top of this database
                (S1, "street", YY),
                (C1, "community", S1),
                ("610802101000", "town", YY),
                ("610802101201", "village", "610802101000"),
            ]
            cur.execute("SELECT count(*) FROM admin_areas WHERE level = 'district'")
            assert cur.fetchone()[0] == 0
            # the carried-forward rows keep obeying the rules
            with pytest.raises(pgerr.ForeignKeyViolation):
                cur.execute("DELETE FROM admin_areas WHERE code = %s", (S1,))
                cur.execute("DELETE FROM grids")
                conn.commit()
    finally:
        drop_database(url)
