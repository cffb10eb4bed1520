"""Stats for any area at any level (issue 18) on a hand-built territory (tests/api/
territory_world.py): every figure of every area equals the sum over its children plus what
sits on the area itself, and equals SQL written here independently; partial data answers 200
and says what is missing; every account reads any area; bad codes are refused."""

from __future__ import annotations

import re

import psycopg2
import pytest

from mapsvc.infra.db import libpq_dsn
from tests.api import territory_world as tw
from tests.conftest import client_of

CJK = re.compile("[\u4e00-\u9fff]")
PREFIX = {"city": 4, "county": 6, "street": 9, "town": 9, "community": 12, "village": 12}
# an org's area, independently of the service: the deepest org on its path that has one
PLACED = """(SELECT a.admin_area_code FROM party_orgs a
             WHERE a.path @> o.path AND a.admin_area_code IS NOT NULL
             ORDER BY nlevel(a.path) DESC LIMIT 1)"""


@pytest.fixture(scope="module")
def world(server_url):
    url = tw.new_database(server_url, "territory_stats")
    try:
        orgs = tw.build(url)
        yield url, orgs
    finally:
        tw.drop_database(url)


@pytest.fixture(scope="module")
def admin(world):
    return client_of(world[0])


@pytest.fixture(scope="module")
def sql(world):
    conn = psycopg2.connect(libpq_dsn(world[0]))
    cur = conn.cursor()

    def one(text: str, args: tuple = ()):
        cur.execute(text, args)
        return cur.fetchone()[0]

    yield one
    conn.close()


def under(code: str) -> str:
    """The prefix naming the held area code."""
    return code[: PREFIX[tw.AREAS[code][1]]]


def expected(sql, code: str) -> dict:
    """The area's figures in SQL of this test's own."""
    p = under(code) + "%"
    members = (
        f"SELECT count(*) FROM members m JOIN party_orgs o ON o.id = m.org_id "
        f"WHERE {PLACED} LIKE %s"
    )
    geom = "(SELECT geom FROM admin_areas WHERE code = %s)"
    return {
        "total": sql(members, (p,)),
        "full": sql(members + " AND m.status = 'full'", (p,)),
        "probationary": sql(members + " AND m.status = 'probationary'", (p,)),
        "mobile_out": sql(
            members + f" AND m.is_mobile AND (m.destination_geom IS NULL "
            f"OR NOT ST_Intersects({geom}, m.destination_geom))",
            (p, code),
        ),
        "mobile_in": sql(
            f"SELECT count(*) FROM members m JOIN party_orgs o ON o.id = m.org_id "
            f"LEFT JOIN party_orgs i ON i.id = m.inflow_org_id WHERE m.is_mobile "
            f"AND {PLACED} NOT LIKE %s AND ((SELECT a.admin_area_code FROM party_orgs a "
            f"WHERE a.path @> i.path AND a.admin_area_code IS NOT NULL "
            f"ORDER BY nlevel(a.path) DESC LIMIT 1) LIKE %s "
            f"OR ST_Intersects({geom}, m.destination_geom))",
            (p, p, code),
        ),
        "orgs": sql(
            f"SELECT count(*) FROM party_orgs o WHERE o.status = 'active' AND {PLACED} LIKE %s",
            (p,),
        ),
        "service_points": sql(
            f"SELECT count(*) FROM service_points s WHERE ST_Intersects({geom}, s.geom) "
            f"AND (s.admin_area_code IS NULL OR s.admin_area_code LIKE %s "
            f"OR left(%s, length(rtrim(s.admin_area_code, '0'))) = rtrim(s.admin_area_code, '0'))",
            (code, p, code),
        ),
        "grids": sql("SELECT count(*) FROM grids WHERE community_code LIKE %s", (p,)),
        "grid_population": sql(
            "SELECT coalesce(sum(population), 0) FROM grids WHERE community_code LIKE %s", (p,)
        ),
        "population": sql("SELECT population FROM admin_areas WHERE code = %s", (code,)),
    }


def figures(row: dict) -> dict:
    return {
        **{k: row["members"][k] for k in ("total", "full", "probationary")},
        "mobile_out": row["members"]["mobile_out"],
        "mobile_in": row["members"]["mobile_in"],
        "orgs": row["orgs"],
        "service_points": row["service_points"],
        "grids": row["grids"],
        "grid_population": row["coverage_15min"]["population"],
        "population": row["population"],
    }


ADDITIVE = ("total", "full", "probationary", "orgs", "service_points", "grids")


@pytest.mark.parametrize("code", list(tw.AREAS))
def test_every_area_equals_sql_and_the_sum_over_its_children(admin, sql, code):
    res = admin.get(f"/api/v1/stats/areas?parent={code}")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    parent = figures(body["parent"])
    assert parent == expected(sql, code)
    kids = {r["code"]: figures(r) for r in body["items"]}
    assert sorted(kids) == sorted(
        c
        for c in tw.AREAS
        if c != code and sql("SELECT parent_code FROM admin_areas WHERE code = %s", (c,)) == code
    )
    for c, f in kids.items():
        assert f == expected(sql, c), c
    own = body["own"]
    for k in ADDITIVE:
        own_k = own["members"][k] if k in own["members"] else own[k]
        assert parent[k] == sum(f[k] for f in kids.values()) + own_k, k
    if kids:  # grids lie in communities and villages: larger areas add up their children's
        assert body["parent"]["coverage_15min"]["population"] == sum(
            f["grid_population"] for f in kids.values()
        )
    assert [r["rank"] for r in body["items"]] == list(range(1, len(kids) + 1))
    totals = [r["members"]["total"] for r in body["items"]]
    assert totals == sorted(totals, reverse=True)


def test_overview_of_every_area_agrees_with_its_row(admin):
    for code in tw.AREAS:
        ov = admin.get(f"/api/v1/stats/overview?area={code}")
        assert ov.status_code == 200
        ov = ov.get_json()
        row = admin.get(f"/api/v1/stats/areas?parent={code}").get_json()["parent"]
        assert ov["members"] == row["members"]
        assert ov["orgs"]["total"] == row["orgs"]
        assert ov["area"]["code"] == code and ov["area"]["level"] == tw.AREAS[code][1]
        assert ov["area"]["path"][0]["code"] == tw.CITY
        assert ov["area"]["path"][-1]["code"] == code
        assert sum(r["M"] + r["F"] for r in ov["age_gender"]) == ov["members"]["total"]


def test_a_move_inside_a_county_leaves_its_street_but_not_the_county(admin):
    s1 = admin.get(f"/api/v1/stats/flows?area={tw.S1}").get_json()
    yy = admin.get(f"/api/v1/stats/flows?area={tw.YY}").get_json()
    assert {f["destination"]: f["members"] for f in s1["flows"]} == {"榆林": 1, "西安": 1}
    assert {f["destination"]: f["members"] for f in yy["flows"]} == {"西安": 2}
    assert yy["origin"]["code"] == tw.YY
    city = admin.get("/api/v1/stats/flows").get_json()
    assert {f["destination"]: f["members"] for f in city["flows"]} == {"西安": 2, "北京": 1}
    assert city["total"] == admin.get("/api/v1/stats/overview").get_json()["members"]["mobile_out"]


def test_partial_data_answers_and_says_what_is_missing(admin):
    for endpoint in ("overview", "flows", "map"):
        for code in (tw.HS, tw.C3, tw.CITY):
            res = admin.get(f"/api/v1/stats/{endpoint}?area={code}")
            assert res.status_code == 200, (endpoint, code)
    hs = admin.get(f"/api/v1/stats/overview?area={tw.HS}").get_json()
    assert [m["what"] for m in hs["missing"]] == ["children"]
    assert "横山区" in hs["missing"][0]["message"] and "streets" in hs["missing"][0]["message_en"]
    city = admin.get("/api/v1/stats/overview").get_json()
    assert city["area"]["code"] == tw.CITY  # the root: the top-most area held
    whats = {m["what"]: m for m in city["missing"]}
    assert "横山区" in whats["children"]["message"]
    assert "1" in whats["grids"]["message_en"]  # 夏洲路社区 has no grids
    c3 = admin.get(f"/api/v1/stats/overview?area={tw.C3}").get_json()
    assert [m["what"] for m in c3["missing"]] == ["grids"]
    assert c3["coverage_15min"]["grids"] == 0 and c3["coverage_15min"]["rate"] is None
    areas = admin.get(f"/api/v1/stats/areas?parent={tw.HS}").get_json()
    assert areas["items"] == [] and areas["parent"]["members"]["total"] == 4
    m = admin.get(f"/api/v1/stats/map?area={tw.YY}").get_json()
    assert {f["id"] for f in m["children"]["features"]} == {tw.S1, tw.S2, tw.T1}
    assert {f["id"] for f in m["density"]["features"]} == {tw.C1, tw.C2, tw.C3, tw.V1}
    homes = {f["id"]: f["properties"]["members"] for f in m["children"]["features"]}
    assert homes[tw.S1] == sum(
        f["properties"]["members"] for f in m["density"]["features"] if f["id"] in (tw.C1, tw.C2)
    )


def test_branch_counts_by_level(admin, sql):
    for level, levels in (
        ("city", ["city"]),
        ("county", ["county"]),
        ("street", ["street", "town"]),
    ):
        fc = admin.get(f"/api/v1/branch-counts?level={level}").get_json()
        got = {f["id"]: f["properties"]["count"] for f in fc["features"]}
        cur_levels = sql(
            "SELECT array_agg(code ORDER BY code) FROM admin_areas WHERE level = ANY(%s)", (levels,)
        )
        assert sorted(got) == cur_levels
    assert admin.get("/api/v1/branch-counts?level=village").status_code == 400


def test_every_account_reads_any_area_and_a_kiosk_its_own(world):
    url, _ = world
    viewer = client_of(url, role="viewer", scope="YY0100")
    kiosk = client_of(url, role="kiosk", scope="YY0100")
    plain_kiosk = client_of(url, role="kiosk")
    for c in (viewer, kiosk):
        assert c.get("/api/v1/stats/overview").get_json()["area"]["code"] == tw.S1
        for code in (tw.CITY, tw.HS, tw.V1):
            assert c.get(f"/api/v1/stats/overview?area={code}").status_code == 200
            assert c.get(f"/api/v1/stats/areas?parent={code}").status_code == 200
    assert plain_kiosk.get("/api/v1/stats/overview").get_json()["area"]["code"] == tw.CITY
    assert kiosk.get("/api/v1/stats/areas").get_json()["parent"]["code"] == tw.S1


@pytest.mark.parametrize("endpoint", ["overview", "flows", "map", "streets"])
def test_bad_and_unknown_area_codes(admin, endpoint):
    for bad in ("abc", "61080200100", "061080200000"):
        res = admin.get(f"/api/v1/stats/{endpoint}?area={bad}")
        assert res.status_code == 400, bad
        body = res.get_json()
        assert body["code"] in ("invalid_area", "invalid_parameter", "bad_parameter") or body
        assert CJK.search(body["message"]) and body["message_en"]
    res = admin.get(f"/api/v1/stats/{endpoint}?area=610899000000")
    assert res.status_code == 404
    body = res.get_json()
    assert body["code"] == "unknown_area"
    assert "610899000000" in body["message"] and "610899000000" in body["message_en"]
    res = admin.get("/api/v1/stats/areas?parent=610899000000")
    assert res.status_code == 404 and "610899000000" in res.get_json()["message_en"]


def test_counties_without_their_city_are_added_up_under_it(server_url):
    url = tw.new_database(server_url, "territory_tops")
    try:
        conn = psycopg2.connect(libpq_dsn(url))
        with conn, conn.cursor() as cur:
            tw.add_area(cur, tw.YY)
            tw.add_area(cur, tw.HS)
            root = tw.add_org(cur, "YL0000", "committee", None, None, 109.5)
            for code, area in (("YY0001", tw.YY), ("HS0001", tw.HS)):
                b = tw.add_org(cur, code, "branch", root, area, 109.5)
                tw.add_member(cur, b, "full", "M", 1980, None)
        conn.close()
        c = client_of(url)
        ov = c.get("/api/v1/stats/overview").get_json()
        assert ov["area"]["code"] == tw.CITY and ov["area"]["held"] is False
        assert ov["members"]["total"] == 2
        assert "area" in {m["what"] for m in ov["missing"]}
        items = c.get(f"/api/v1/stats/areas?parent={tw.CITY}").get_json()["items"]
        assert sorted(r["code"] for r in items) == [tw.YY, tw.HS]
        assert (
            c.get(f"/api/v1/stats/overview?area={tw.YY}").get_json()["area"]["path"][0]["code"]
            == tw.CITY
        )
    finally:
        tw.drop_database(url)


@pytest.mark.parametrize("code", [tw.CITY, tw.YY, tw.HS, tw.S1, tw.C1, tw.C3])
def test_coverage_and_org_coverage_take_an_area(admin, sql, code):
    p = under(code) + "%"
    body = admin.get(f"/api/v1/coverage?by=grid&area={code}").get_json()
    assert sorted(u["code"] for u in body["units"]) == (
        sql("SELECT array_agg(code ORDER BY code) FROM grids WHERE community_code LIKE %s", (p,))
        or []
    )
    assert body["totals"]["population"] == sql(
        "SELECT coalesce(sum(population), 0) FROM grids WHERE community_code LIKE %s", (p,)
    )
    gaps = admin.get(f"/api/v1/coverage/gaps?area={code}").get_json()
    assert all(g["community_code"].startswith(under(code)) for g in gaps["grids"])
    oc = admin.get(f"/api/v1/org-coverage?area={code}")
    assert oc.status_code == 200
    for b in oc.get_json()["undersized_branches"]:
        assert b["admin_area_code"].startswith(under(code))
    assert admin.get(f"/api/v1/coverage/export.xlsx?area={code}").status_code == 200


def test_coverage_refuses_bad_and_unknown_areas(admin):
    for path in ("/api/v1/coverage", "/api/v1/coverage/gaps", "/api/v1/org-coverage"):
        assert admin.get(f"{path}?area=12ab").status_code == 400
        res = admin.get(f"{path}?area=610899000000")
        assert res.status_code == 404 and "610899000000" in res.get_json()["message"]


def test_the_records_api_refuses_removing_an_area_with_children(world, admin):
    street, community = "610802003000", "610802003001"
    conn = psycopg2.connect(libpq_dsn(world[0]))
    try:
        with conn, conn.cursor() as cur:
            tw.add_area(cur, street, "street")
            tw.add_area(cur, community, "community")
        res = admin.delete(f"/api/v1/admin-areas/{street}")
        assert res.status_code == 409, res.get_data(as_text=True)
        problem = res.get_json()["errors"][0]
        assert community in problem["message"] and community in problem["message_en"]
        assert admin.get(f"/api/v1/admin-areas/{street}").status_code == 200
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM admin_areas WHERE code IN (%s, %s)", (community, street))
        conn.close()
