"""The database itself refuses data a user would see as wrong.

Each test builds a small valid world (district 榆阳区, a street, a community, an org tree of
root committee → street committee → general branch → branch) inside its own transaction, then
tries one bad write and checks the specific error — and, where the schema raises a bilingual
"中文 / English" message, that the message names the offending code. All work is rolled back
by the `empty_conn` fixture.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import psycopg2.errors as pgerr
import pytest

DISTRICT = "610802000000"
STREET = "610802001000"
COMMUNITY = "610802001001"
TOWN = "610802101000"


def box(x0: float, y0: float, x1: float, y1: float, srid: int = 4326) -> str:
    """An axis-aligned rectangle as EWKT MultiPolygon (lon/lat)."""
    return f"SRID={srid};MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


# Nested rectangles around the centre of 榆阳区 (109.73 E, 38.28 N).
DISTRICT_GEOM = box(109.70, 38.25, 109.76, 38.31)
STREET_GEOM = box(109.72, 38.27, 109.74, 38.29)
COMMUNITY_GEOM = box(109.725, 38.275, 109.735, 38.285)
GRID_INSIDE = box(109.727, 38.277, 109.731, 38.281)
GRID_HALF_OUTSIDE = box(109.733, 38.277, 109.740, 38.281)  # ~2/7 inside the community
# a "bow-tie": the ring crosses itself at its centre, so it is not a valid polygon
BOW_TIE = (
    "SRID=4326;MULTIPOLYGON(((109.727 38.277,109.731 38.281,"
    "109.731 38.277,109.727 38.281,109.727 38.277)))"
)


# ---------------------------------------------------------------- helpers


def add_area(cur, code, name, level, geom):
    cur.execute(
        "INSERT INTO admin_areas (code, name, level, geom) VALUES (%s, %s, %s, %s)",
        (code, name, level, geom),
    )


def add_org(cur, code, level, parent_id=None, **extra):
    cols = {
        "code": code,
        "name": f"测试组织{code}",
        "level": level,
        "category": "community",
        "parent_id": parent_id,
        **extra,
    }
    cur.execute(
        f"INSERT INTO party_orgs ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        " RETURNING id",
        list(cols.values()),
    )
    return cur.fetchone()[0]


def add_member(cur, org_id, **extra):
    cols = {
        "org_id": org_id,
        "name": "张三",
        "gender": "M",
        "birth_year": 1980,
        "joined_on": "2005-07-01",
        "status": "full",
        **extra,
    }
    cur.execute(
        f"INSERT INTO members ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        " RETURNING id",
        list(cols.values()),
    )
    return cur.fetchone()[0]


def add_grid(cur, code, community_code, geom):
    cur.execute(
        "INSERT INTO grids (code, name, community_code, geom) VALUES (%s, %s, %s, %s) RETURNING id",
        (code, f"网格{code[-3:]}", community_code, geom),
    )
    return cur.fetchone()[0]


def path_of(cur, org_id) -> str:
    cur.execute("SELECT path::text FROM party_orgs WHERE id = %s", (org_id,))
    return cur.fetchone()[0]


@contextlib.contextmanager
def rejected(cur, error, constraint=None, names=()):
    """Expect the block to fail with `error`; roll back to a savepoint so the test goes on."""
    cur.execute("SAVEPOINT attempt")
    with pytest.raises(error) as info:
        yield info
    cur.execute("ROLLBACK TO SAVEPOINT attempt")
    if constraint is not None:
        assert info.value.diag.constraint_name == constraint, info.value
    for code in names:
        assert code in str(info.value), info.value


@pytest.fixture()
def world(empty_conn):
    """A small valid world; returns a namespace with the cursor, codes and org ids."""
    cur = empty_conn.cursor()
    add_area(cur, DISTRICT, "榆阳区", "county", DISTRICT_GEOM)
    add_area(cur, STREET, "鼓楼街道", "street", STREET_GEOM)
    add_area(cur, COMMUNITY, "普惠泉社区", "community", COMMUNITY_GEOM)
    root = add_org(cur, "YY0000", "committee", admin_area_code=DISTRICT)
    street_committee = add_org(cur, "YY0100", "committee", root, admin_area_code=STREET)
    general_branch = add_org(
        cur, "YY0110", "general_branch", street_committee, admin_area_code=COMMUNITY
    )
    branch = add_org(cur, "YY0111", "branch", general_branch, admin_area_code=COMMUNITY)
    return SimpleNamespace(
        cur=cur,
        district=DISTRICT,
        street=STREET,
        community=COMMUNITY,
        root=root,
        street_committee=street_committee,
        general_branch=general_branch,
        branch=branch,
    )


# ---------------------------------------------------------------- geometry


def test_world_is_accepted(world):
    cur = world.cur
    cur.execute("SELECT count(*) FROM admin_areas")
    assert cur.fetchone()[0] == 3
    assert path_of(cur, world.branch) == ".".join(
        str(i) for i in (world.root, world.street_committee, world.general_branch, world.branch)
    )


def test_self_intersecting_area_boundary_is_refused(world):
    with rejected(world.cur, pgerr.CheckViolation, "admin_area_geom_valid"):
        add_area(world.cur, "610802001002", "蝴蝶社区", "community", BOW_TIE)


def test_self_intersecting_grid_is_refused(world):
    with rejected(world.cur, pgerr.CheckViolation, "grid_geom_valid"):
        add_grid(world.cur, COMMUNITY + "001", COMMUNITY, BOW_TIE)


@pytest.mark.parametrize("srid", [3857, 4490])
def test_area_in_another_crs_is_refused(world, srid):
    with rejected(world.cur, pgerr.InvalidParameterValue, names=[str(srid)]):
        add_area(
            world.cur,
            "610802001002",
            "别的坐标系社区",
            "community",
            box(109.725, 38.275, 109.735, 38.285, srid=srid),
        )


@pytest.mark.parametrize("srid", [3857, 4490])
def test_grid_in_another_crs_is_refused(world, srid):
    with rejected(world.cur, pgerr.InvalidParameterValue, names=[str(srid)]):
        add_grid(
            world.cur,
            COMMUNITY + "001",
            COMMUNITY,
            box(109.727, 38.277, 109.731, 38.281, srid=srid),
        )


def test_org_location_in_another_crs_is_refused(world):
    with rejected(world.cur, pgerr.InvalidParameterValue, names=["3857"]):
        world.cur.execute(
            "UPDATE party_orgs SET geom = 'SRID=3857;POINT(12215000 4620000)' WHERE id = %s",
            (world.branch,),
        )


# ---------------------------------------------------------------- members and the org tree


def test_member_cannot_join_a_committee(world):
    with rejected(world.cur, pgerr.ForeignKeyViolation, "member_org_must_be_branch"):
        add_member(world.cur, world.street_committee)


def test_member_cannot_join_a_general_branch(world):
    with rejected(world.cur, pgerr.ForeignKeyViolation, "member_org_must_be_branch"):
        add_member(world.cur, world.general_branch)


def test_member_joins_a_branch(world):
    member = add_member(world.cur, world.branch, phone="13912345678")
    world.cur.execute("SELECT org_id FROM members WHERE id = %s", (member,))
    assert world.cur.fetchone()[0] == world.branch


def test_branch_with_members_cannot_become_a_general_branch(world):
    cur = world.cur
    # a branch directly under a committee, so only its members stand in the way
    branch = add_org(cur, "YY0120", "branch", world.street_committee)
    empty_branch = add_org(cur, "YY0130", "branch", world.street_committee)
    add_member(cur, branch)
    with rejected(cur, pgerr.ForeignKeyViolation, "member_org_must_be_branch"):
        cur.execute("UPDATE party_orgs SET level = 'general_branch' WHERE id = %s", (branch,))
    # without members the same change is fine
    cur.execute("UPDATE party_orgs SET level = 'general_branch' WHERE id = %s", (empty_branch,))


def test_org_cannot_move_under_its_own_descendant(world):
    with rejected(
        world.cur, pgerr.CheckViolation, "party_org_no_cycle", names=["YY0100", "YY0111", "cycle"]
    ):
        world.cur.execute(
            "UPDATE party_orgs SET parent_id = %s WHERE id = %s",
            (world.branch, world.street_committee),
        )


def test_org_cannot_be_its_own_parent(world):
    with rejected(world.cur, pgerr.CheckViolation, names=["YY0110"]):
        world.cur.execute(
            "UPDATE party_orgs SET parent_id = id WHERE id = %s", (world.general_branch,)
        )


def test_there_is_only_one_root_org(world):
    with rejected(world.cur, pgerr.UniqueViolation, "party_orgs_single_root"):
        add_org(world.cur, "YY9999", "committee")


def test_branch_cannot_sit_under_a_branch(world):
    with rejected(
        world.cur, pgerr.CheckViolation, "party_org_level_order", names=["YY0112", "YY0111"]
    ):
        add_org(world.cur, "YY0112", "branch", world.branch)


def test_general_branch_cannot_sit_under_a_general_branch(world):
    with rejected(world.cur, pgerr.CheckViolation, "party_org_level_order"):
        add_org(world.cur, "YY0119", "general_branch", world.general_branch)


def test_general_branch_with_branches_cannot_become_a_branch(world):
    with rejected(world.cur, pgerr.CheckViolation, "party_org_level_order", names=["YY0110"]):
        world.cur.execute(
            "UPDATE party_orgs SET level = 'branch' WHERE id = %s", (world.general_branch,)
        )


def test_moving_an_org_moves_its_whole_subtree(world):
    cur = world.cur
    other_street = add_org(cur, "YY0200", "committee", world.root)
    cur.execute(
        "UPDATE party_orgs SET parent_id = %s WHERE id = %s", (other_street, world.general_branch)
    )
    new_parent = path_of(cur, other_street)
    assert path_of(cur, world.general_branch) == f"{new_parent}.{world.general_branch}"
    assert path_of(cur, world.branch) == f"{new_parent}.{world.general_branch}.{world.branch}"
    # the scope query the service uses follows the move
    cur.execute(
        "SELECT array_agg(c.id ORDER BY c.id) FROM party_orgs c, party_orgs p"
        " WHERE p.id = %s AND c.path <@ p.path",
        (other_street,),
    )
    assert cur.fetchone()[0] == sorted([other_street, world.general_branch, world.branch])
    cur.execute(
        "SELECT count(*) FROM party_orgs c, party_orgs p WHERE p.id = %s AND c.path <@ p.path",
        (world.street_committee,),
    )
    assert cur.fetchone()[0] == 1


def test_one_statement_cannot_close_an_org_cycle(world):
    # A → B → C → A attempted in one UPDATE, where paths of earlier rows are not yet updated
    cur = world.cur
    a = add_org(cur, "ZA0001", "committee", world.street_committee)
    b = add_org(cur, "ZB0001", "committee", world.street_committee)
    c = add_org(cur, "ZC0001", "committee", a)
    with rejected(cur, pgerr.CheckViolation, "party_org_no_cycle"):
        cur.execute(
            "UPDATE party_orgs SET parent_id = CASE id WHEN %s THEN %s ELSE %s END"
            " WHERE id IN (%s, %s)",
            (a, b, c, a, b),
        )


def test_several_moves_in_one_statement_keep_scopes_right(world):
    cur = world.cur
    a = add_org(cur, "ZA0001", "committee", world.street_committee)
    b = add_org(cur, "ZB0001", "committee", world.street_committee)
    c = add_org(cur, "ZC0001", "committee", a)
    d = add_org(cur, "ZD0001", "committee", world.street_committee)
    e = add_org(cur, "ZE0001", "committee", b)
    # A goes under D and, in the same statement, B goes under C (A's child)
    cur.execute(
        "UPDATE party_orgs SET parent_id = CASE id WHEN %s THEN %s ELSE %s END"
        " WHERE id IN (%s, %s)",
        (a, d, c, a, b),
    )
    assert path_of(cur, e) == f"{path_of(cur, c)}.{b}.{e}"


def test_org_path_cannot_be_set_by_hand(world):
    # path drives every scope check; writing it directly takes an org out of its scope
    with rejected(world.cur, pgerr.CheckViolation):
        world.cur.execute("UPDATE party_orgs SET path = '42' WHERE id = %s", (world.branch,))


def test_mobile_member_needs_an_outflow_org(world):
    with rejected(world.cur, pgerr.CheckViolation, "member_mobile_facts"):
        add_member(
            world.cur,
            world.branch,
            is_mobile=True,
            mobile_destination="西安市",
            mobile_since="2023-03-01",
        )


def test_mobile_member_with_outflow_org_is_accepted(world):
    add_member(
        world.cur,
        world.branch,
        is_mobile=True,
        outflow_org_id=world.branch,
        mobile_destination="西安市",
        mobile_since="2023-03-01",
    )


@pytest.mark.parametrize("phone", ["1391234567", "12912345678", "139-1234-5678", "+8613912345678"])
def test_member_phone_must_be_a_mainland_mobile_number(world, phone):
    with rejected(world.cur, pgerr.CheckViolation, "member_phone_format"):
        add_member(world.cur, world.branch, phone=phone)


def test_resent_position_report_is_a_duplicate(world):
    cur = world.cur
    member = add_member(
        cur,
        world.branch,
        is_mobile=True,
        outflow_org_id=world.branch,
        mobile_destination="西安市",
        mobile_since="2023-03-01",
    )
    report = (
        "INSERT INTO member_positions (report_id, member_id, geom, reported_at, source,"
        " input_crs) VALUES ('r-001', %s, 'SRID=4326;POINT(108.94 34.26)', now(),"
        " 'phone', 'EPSG:4326')"
    )
    cur.execute(report, (member,))
    with rejected(cur, pgerr.UniqueViolation, "position_report_unique"):
        cur.execute(report, (member,))


def test_dissolved_org_needs_a_dissolution_date(world):
    cur = world.cur
    with rejected(cur, pgerr.CheckViolation, "party_org_dissolved_date"):
        cur.execute("UPDATE party_orgs SET status = 'dissolved' WHERE id = %s", (world.branch,))
    cur.execute(
        "UPDATE party_orgs SET status = 'dissolved', dissolved_on = '2024-01-01' WHERE id = %s",
        (world.branch,),
    )


# ---------------------------------------------------------------- division codes


@pytest.mark.parametrize(
    "code, level, constraint",
    [
        ("61080200100", "community", "admin_area_code_format"),  # 11 digits
        ("6108020010A1", "community", "admin_area_code_format"),  # a letter
        (STREET, "community", "admin_area_code_level"),  # a street's code
        ("610802001201", "community", "admin_area_code_level"),  # a village's code
        ("610802001001", "street", "admin_area_code_level"),  # a community's code
        ("610802101000", "street", "admin_area_code_level"),  # a town's code
    ],
)
def test_malformed_division_code_is_refused(world, code, level, constraint):
    with rejected(world.cur, pgerr.CheckViolation, constraint):
        add_area(world.cur, code, "错误区划", level, COMMUNITY_GEOM)


def test_village_code_is_accepted_as_a_village(world):
    add_area(world.cur, "610802001201", "某村", "village", COMMUNITY_GEOM)


def test_area_needs_its_parent_area(world):
    # a community of a street that was never entered
    with rejected(world.cur, pgerr.ForeignKeyViolation, "admin_area_parent_exists"):
        add_area(world.cur, "610802002001", "孤儿社区", "community", COMMUNITY_GEOM)
        # checked at commit (migration 0012): files may list children first
        world.cur.execute("SET CONSTRAINTS admin_area_parent_exists IMMEDIATE")


# ---------------------------------------------------------------- grids


def test_grid_inside_its_community_is_accepted(world):
    add_grid(world.cur, COMMUNITY + "001", COMMUNITY, GRID_INSIDE)


def test_grid_code_must_extend_its_community_code(world):
    with rejected(world.cur, pgerr.CheckViolation, "grid_code_extends_community"):
        add_grid(world.cur, "610802001002001", COMMUNITY, GRID_INSIDE)


def test_grid_outside_its_community_is_refused_by_code(world):
    with rejected(
        world.cur,
        pgerr.CheckViolation,
        "grid_within_community",
        names=[COMMUNITY + "007", COMMUNITY],
    ):
        add_grid(world.cur, COMMUNITY + "007", COMMUNITY, GRID_HALF_OUTSIDE)


def test_grid_cannot_be_moved_out_of_its_community(world):
    cur = world.cur
    grid = add_grid(cur, COMMUNITY + "001", COMMUNITY, GRID_INSIDE)
    with rejected(cur, pgerr.CheckViolation, "grid_within_community", names=[COMMUNITY + "001"]):
        cur.execute("UPDATE grids SET geom = %s WHERE id = %s", (GRID_HALF_OUTSIDE, grid))


def test_grid_cannot_hang_directly_off_a_street(world):
    with rejected(world.cur, pgerr.CheckViolation, "grid_in_community_level"):
        add_grid(world.cur, STREET + "001", STREET, GRID_INSIDE)


def test_self_intersecting_grid_across_the_boundary_is_refused_as_invalid(world):
    # the containment trigger runs before the CHECK and feeds the invalid shape to
    # ST_Difference, so the user gets a raw GEOS TopologyException (XX000) instead
    bow_tie_outside = (
        "SRID=4326;MULTIPOLYGON(((109.733 38.277,109.740 38.281,"
        "109.740 38.277,109.733 38.281,109.733 38.277)))"
    )
    with rejected(world.cur, pgerr.CheckViolation, "grid_geom_valid"):
        add_grid(world.cur, COMMUNITY + "009", COMMUNITY, bow_tie_outside)


# ---------------------------------------------------------------- roads


def test_road_cannot_start_and_end_at_the_same_vertex(world):
    cur = world.cur
    cur.execute(
        "INSERT INTO road_vertices (id, geom) VALUES"
        " (1, 'SRID=4326;POINT(109.73 38.28)'), (2, 'SRID=4326;POINT(109.74 38.28)')"
    )
    with rejected(cur, pgerr.CheckViolation, "road_not_loop"):
        cur.execute(
            "INSERT INTO roads (kind, source, target, geom) VALUES ('local', 1, 1,"
            " 'SRID=4326;LINESTRING(109.73 38.28,109.735 38.281,109.73 38.28)')"
        )
    cur.execute(
        "INSERT INTO roads (kind, source, target, geom) VALUES ('local', 1, 2,"
        " 'SRID=4326;LINESTRING(109.73 38.28,109.74 38.28)')"
    )
