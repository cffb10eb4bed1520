"""The leaders' screen figures (/api/v1/stats/*) against counts taken directly in SQL.

Every figure the screen shows is counted here again, in SQL written independently of the
service's queries, on the test database (the `small` demo city).
"""

from __future__ import annotations

import json
import re
import time

import psycopg2
import pytest
from psycopg2.extras import RealDictCursor

from mapsvc.coverage import service as cov
from mapsvc.infra.db import libpq_dsn

# the small demo holds three counties of 榆林市: these tests take 榆阳区, the one with streets
AREA = "610802000000"
DISTRICT_ORG = f"""(SELECT o.path FROM party_orgs o WHERE o.code = '{AREA[:6]}')"""
DISTRICT_AREA = f"(SELECT geom FROM admin_areas WHERE code = '{AREA}')"


@pytest.fixture()
def cur(conn):
    return conn.cursor(cursor_factory=RealDictCursor)


def one(cur, text: str, args: dict | None = None):
    cur.execute(text, args or {})
    return list(cur.fetchone().values())[0]


def district_members(cur, where: str = "TRUE", street: str | None = None) -> int:
    street_cond = "AND left(o.admin_area_code, 9) = left(%(s)s, 9)" if street else ""
    return one(
        cur,
        f"SELECT count(*) FROM members m JOIN party_orgs o ON o.id = m.org_id "
        f"WHERE o.path <@ {DISTRICT_ORG} {street_cond} AND ({where})",
        {"s": street},
    )


MOBILE_OUT = f"m.is_mobile AND NOT ST_Within(m.destination_geom, {DISTRICT_AREA})"


def streets_in_sql(cur) -> list[dict]:
    cur.execute(
        "SELECT code, name FROM admin_areas WHERE level IN ('street', 'town') "
        f"AND code LIKE '{AREA[:6]}%%' ORDER BY code"
    )
    return [dict(r) for r in cur.fetchall()]


# ------------------------------------------------------------------ overview
def test_overview_members_orgs_and_service_points_equal_sql(client, cur):
    res = client.get("/api/v1/stats/overview?area=" + AREA)
    assert res.status_code == 200
    body = res.get_json()
    assert body["scope"]["level"] == "county"
    m = body["members"]
    assert m["total"] == district_members(cur) > 0
    assert m["full"] == district_members(cur, "m.status = 'full'")
    assert m["probationary"] == district_members(cur, "m.status = 'probationary'")
    assert m["full"] + m["probationary"] == m["total"]
    assert m["mobile_out"] == district_members(cur, MOBILE_OUT) > 0
    mobile_in = one(
        cur,
        f"SELECT count(*) FROM members m JOIN party_orgs o ON o.id = m.org_id "
        f"LEFT JOIN party_orgs i ON i.id = m.inflow_org_id "
        f"WHERE m.is_mobile AND NOT o.path <@ {DISTRICT_ORG} "
        f"AND (i.path <@ {DISTRICT_ORG} OR ST_Within(m.destination_geom, {DISTRICT_AREA}))",
    )
    assert m["mobile_in"] == mobile_in > 0

    cur.execute(
        f"SELECT level, count(*) AS n FROM party_orgs WHERE status = 'active' "
        f"AND path <@ {DISTRICT_ORG} GROUP BY level"
    )
    levels = {r["level"]: r["n"] for r in cur.fetchall()}
    assert {k: v for k, v in body["orgs"]["by_level"].items() if v} == levels
    assert body["orgs"]["total"] == sum(levels.values())
    cur.execute(
        f"SELECT category, count(*) AS n FROM party_orgs WHERE status = 'active' "
        f"AND path <@ {DISTRICT_ORG} GROUP BY category"
    )
    assert {k: v for k, v in body["orgs"]["by_category"].items() if v} == {
        r["category"]: r["n"] for r in cur.fetchall()
    }
    cur.execute(
        f"SELECT level, count(*) AS n FROM service_points "
        f"WHERE ST_Intersects(geom, {DISTRICT_AREA}) GROUP BY level"
    )
    points = {r["level"]: r["n"] for r in cur.fetchall()}
    assert {k: v for k, v in body["service_points"]["by_level"].items() if v} == points
    assert body["service_points"]["total"] == sum(points.values())


def test_overview_age_bands_and_gender_equal_sql(client, cur):
    body = client.get("/api/v1/stats/overview?area=" + AREA).get_json()
    cur.execute(
        f"SELECT CASE WHEN age <= 35 THEN '≤35' WHEN age <= 45 THEN '36-45' "
        f"WHEN age <= 55 THEN '46-55' WHEN age <= 65 THEN '56-65' ELSE '≥66' END AS band, "
        f"gender, count(*) AS n FROM (SELECT extract(year FROM current_date) - m.birth_year AS age,"
        f" m.gender FROM members m JOIN party_orgs o ON o.id = m.org_id "
        f"WHERE o.path <@ {DISTRICT_ORG}) s GROUP BY 1, 2"
    )
    expected = {(r["band"], r["gender"]): r["n"] for r in cur.fetchall()}
    got = {(r["band"], g): r[g] for r in body["age_gender"] for g in ("M", "F") if r[g]}
    assert got == expected
    assert [r["band"] for r in body["age_gender"]] == ["≤35", "36-45", "46-55", "56-65", "≥66"]
    assert sum(expected.values()) == body["members"]["total"]


def test_overview_circle_coverage_is_the_walking_analysis_at_15_minutes(client, cur):
    # the whole territory (no area: the root's), like the SQL below
    c = client.get("/api/v1/stats/overview").get_json()["coverage_15min"]
    assert c["mode"] == "walk" and c["minutes"] == 15 and c["reach_m"] == 1125
    assert "15" in c["basis"]
    reach = cov.make_reach(cur, "walk", None, 15)
    grids = cov.grid_rows(cur, reach, members=False)
    assert c["grids"] == len(grids) == one(cur, "SELECT count(*) FROM grids")
    assert c["covered_grids"] == sum(1 for g in grids if g["covered"])
    assert c["population"] == one(cur, "SELECT sum(population) FROM grids")
    assert c["covered_population"] == sum(g["population"] for g in grids if g["covered"])
    assert 0 < c["covered_grids"] < c["grids"]
    assert c["population_share"] == round(c["covered_population"] / c["population"], 4)


def test_overview_organisation_coverage_equals_sql(client, cur):
    oc = client.get("/api/v1/stats/overview").get_json()["org_coverage"]
    cur.execute(
        "SELECT a.code, (SELECT count(*) FROM members m WHERE m.status = 'full' "
        "AND ST_Contains(a.geom, m.home_geom)) AS full_members, "
        "EXISTS (SELECT 1 FROM party_orgs o WHERE o.admin_area_code = a.code "
        "AND o.status = 'active') AS has_org "
        "FROM admin_areas a WHERE a.level IN ('community', 'village')"
    )
    rows = cur.fetchall()
    needing = [r for r in rows if r["full_members"] >= 3]
    without = [r for r in needing if not r["has_org"]]
    assert oc["communities_needing_org"] == len(needing) > 0
    assert oc["communities_without_org"] == len(without)
    assert oc["rate"] == round(1 - len(without) / len(needing), 4)
    found = cov.org_coverage(cur)
    assert oc["undersized_branches"] == len(found["undersized_branches"])
    assert oc["oversized_branches"] == len(found["oversized_branches"])
    assert oc["suggested_migrant_groups"] == len(found["suggested_migrant_groups"])
    assert oc["grids_without_party_group"] == len(found["places_without_org"]["grids"])


# ------------------------------------------------------------------ streets
def test_streets_figures_equal_sql_and_are_ranked(client, cur):
    body = client.get("/api/v1/stats/streets?area=" + AREA).get_json()
    rows = body["streets"]
    assert [r["code"] for r in sorted(rows, key=lambda r: r["code"])] == [
        s["code"] for s in streets_in_sql(cur)
    ]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["members"] for r in rows] == sorted((r["members"] for r in rows), reverse=True)
    reach = cov.make_reach(cur, "walk", None, 15)
    by_street = {
        u["code"]: u
        for u in cov.summarise(cur, cov.grid_rows(cur, reach, members=False), "street")["units"]
    }
    for r in rows:
        code = r["code"]
        assert r["members"] == district_members(cur, street=code)
        assert r["full"] == district_members(cur, "m.status = 'full'", street=code)
        assert r["probationary"] == district_members(cur, "m.status = 'probationary'", street=code)
        assert r["mobile_out"] == district_members(cur, MOBILE_OUT, street=code)
        assert r["orgs"] == one(
            cur,
            f"SELECT count(*) FROM party_orgs WHERE status = 'active' AND path <@ {DISTRICT_ORG} "
            f"AND left(admin_area_code, 9) = left(%(s)s, 9)",
            {"s": code},
        )
        assert r["service_points"] == one(
            cur,
            "SELECT count(*) FROM service_points s WHERE coalesce("
            "left(nullif(s.admin_area_code, left(s.admin_area_code, 6) || '000000'), 9), "
            "(SELECT left(a.code, 9) FROM admin_areas a WHERE a.level IN ('street', 'town') "
            "AND ST_Intersects(a.geom, s.geom) LIMIT 1)) = left(%(s)s, 9)",
            {"s": code},
        )
        u = by_street[code]
        assert (r["grids"], r["covered_grids"]) == (u["grids"], u["covered_grids"])
        assert r["covered_population"] == u["covered_population"]
        assert r["coverage_share"] == round(u["covered_population"] / u["population"], 4)
    # the streets hold every member except those of orgs of the whole district
    overview = client.get("/api/v1/stats/overview?area=" + AREA).get_json()
    district_wide = district_members(cur, "substr(o.admin_area_code, 7, 3) = '000'")
    assert sum(r["members"] for r in rows) + district_wide == overview["members"]["total"]


# ------------------------------------------------------------------ flows
def test_flows_are_the_destinations_of_mobile_members_going_out(client, cur):
    body = client.get("/api/v1/stats/flows?area=" + AREA).get_json()
    cur.execute(
        f"SELECT m.mobile_destination AS d, count(*) AS n, avg(ST_X(m.destination_geom)) AS lon, "
        f"avg(ST_Y(m.destination_geom)) AS lat FROM members m JOIN party_orgs o ON o.id = m.org_id "
        f"WHERE o.path <@ {DISTRICT_ORG} AND {MOBILE_OUT} GROUP BY 1"
    )
    expected = {r["d"]: r for r in cur.fetchall()}
    assert {f["destination"]: f["members"] for f in body["flows"]} == {
        d: r["n"] for d, r in expected.items()
    }
    for f in body["flows"]:
        assert f["lon"] == pytest.approx(expected[f["destination"]]["lon"], abs=1e-4)
        assert f["lat"] == pytest.approx(expected[f["destination"]]["lat"], abs=1e-4)
    assert [f["members"] for f in body["flows"]] == sorted(
        (f["members"] for f in body["flows"]), reverse=True
    )
    assert body["total"] == sum(r["n"] for r in expected.values())
    assert (
        body["total"]
        == client.get("/api/v1/stats/overview?area=" + AREA).get_json()["members"]["mobile_out"]
    )
    assert body["origin"]["name"] == one(cur, "SELECT name FROM admin_areas WHERE level = 'county'")
    assert "西安" in expected


# ------------------------------------------------------------------ the street filter
def test_street_filter_narrows_every_endpoint(client, cur):
    streets = client.get("/api/v1/stats/streets?area=" + AREA).get_json()["streets"]
    top = streets[0]
    code = top["code"]
    ov = client.get(f"/api/v1/stats/overview?street={code}").get_json()
    assert ov["scope"] == {"level": top["level"], "code": code, "name": top["name"]}
    assert ov["members"]["total"] == top["members"] == district_members(cur, street=code)
    assert ov["members"]["mobile_out"] == top["mobile_out"]
    assert ov["members"]["mobile_in"] == top["mobile_in"]
    assert ov["orgs"]["total"] == top["orgs"]
    assert ov["service_points"]["total"] == top["service_points"]
    assert ov["coverage_15min"]["population_share"] == top["coverage_share"]
    assert sum(r["M"] + r["F"] for r in ov["age_gender"]) == top["members"]
    whole = client.get("/api/v1/stats/overview?area=" + AREA).get_json()
    assert ov["members"]["total"] < whole["members"]["total"]

    fl = client.get(f"/api/v1/stats/flows?street={code}").get_json()
    assert fl["origin"]["code"] == code
    assert fl["total"] == top["mobile_out"]
    cur.execute(
        f"SELECT m.mobile_destination AS d, count(*) AS n FROM members m "
        f"JOIN party_orgs o ON o.id = m.org_id WHERE o.path <@ {DISTRICT_ORG} AND {MOBILE_OUT} "
        f"AND left(o.admin_area_code, 9) = left(%(s)s, 9) GROUP BY 1",
        {"s": code},
    )
    assert {f["destination"]: f["members"] for f in fl["flows"]} == {
        r["d"]: r["n"] for r in cur.fetchall()
    }
    one_street = client.get(f"/api/v1/stats/streets?street={code}").get_json()["streets"]
    assert one_street == [top]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("abc", "invalid_street"),
        ("61080200100", "invalid_street"),
        ("610802999000", "unknown_street"),
        ("610802000000", "unknown_street"),  # the district itself is not a street
    ],
)
@pytest.mark.parametrize("endpoint", ["overview", "streets", "flows"])
def test_bad_street_codes_are_refused_in_both_languages(client, endpoint, value, code):
    res = client.get(f"/api/v1/stats/{endpoint}?street={value}")
    assert res.status_code == 400
    body = res.get_json()
    assert body["code"] == code
    assert value in body["message"] and value in body["message_en"]
    assert re.search("[\u4e00-\u9fff]", body["message"])


def test_a_community_code_is_not_a_street(client, cur):
    community = one(cur, "SELECT code FROM admin_areas WHERE level = 'community' LIMIT 1")
    res = client.get(f"/api/v1/stats/overview?street={community}")
    assert res.status_code == 400 and res.get_json()["code"] == "unknown_street"


# ------------------------------------------------------------------ aggregates only
def test_no_personal_data_leaves_the_stats_endpoints(client, cur):
    cur.execute("SELECT name, phone FROM members WHERE phone IS NOT NULL ORDER BY id LIMIT 300")
    people = cur.fetchall()
    texts = [
        client.get(p).get_data(as_text=True)
        for p in (
            "/api/v1/stats/overview",
            "/api/v1/stats/streets",
            "/api/v1/stats/flows",
            "/api/v1/stats/map?area=" + AREA,
        )
    ]
    for text in texts:
        assert not re.search(r"1[3-9]\d{9}", text)
        for p in people:
            assert f'"{p["name"]}"' not in text
    stats_map = json.loads(texts[3])
    assert {"streets", "density", "branch_cells", "service_points"} <= stats_map.keys()
    # density per community, branches per cell: never a point per person
    assert len(stats_map["density"]["features"]) == one(
        cur,
        "SELECT count(*) FROM admin_areas WHERE level IN ('community', 'village') "
        f"AND code LIKE '{AREA[:6]}%%'",
    )
    assert sum(c[2] for c in stats_map["branch_cells"]["cells"]) == one(
        cur,
        f"SELECT count(*) FROM party_orgs WHERE is_branch_level AND status = 'active' "
        f"AND category <> 'migrant' AND geom IS NOT NULL AND path <@ {DISTRICT_ORG}",
    )
    homes = sum(f["properties"]["members"] for f in stats_map["density"]["features"])
    assert homes == one(
        cur,
        "SELECT count(*) FROM members m JOIN admin_areas a ON a.level IN ('community', 'village') "
        f"AND a.code LIKE '{AREA[:6]}%%' AND ST_Contains(a.geom, m.home_geom)",
    )


# ------------------------------------------------------------------ live figures
@pytest.fixture()
def committed(db_url: str):
    """An autocommit connection: the service sees its changes at once."""
    c = psycopg2.connect(libpq_dsn(db_url))
    c.autocommit = True
    try:
        yield c.cursor(cursor_factory=RealDictCursor)
    finally:
        c.close()


def test_a_changed_record_shows_at_the_next_request(client, committed):
    before = client.get("/api/v1/stats/overview").get_json()
    streets = {r["code"]: r for r in client.get("/api/v1/stats/streets").get_json()["streets"]}
    committed.execute(
        f"SELECT o.id, left(o.admin_area_code, 9) || '000' AS street FROM party_orgs o "
        f"WHERE o.is_branch_level AND o.status = 'active' AND o.category = 'community' "
        f"AND o.path <@ {DISTRICT_ORG} AND substr(o.admin_area_code, 7, 3) <> '000' "
        f"ORDER BY o.id LIMIT 1"
    )
    branch = committed.fetchone()
    committed.execute(
        "INSERT INTO members (org_id, name, gender, birth_year, joined_on, status) "
        "VALUES (%s, '测试党员', 'F', 2000, '2024-07-01', 'probationary') RETURNING id",
        (branch["id"],),
    )
    member_id = committed.fetchone()["id"]
    try:
        after = client.get("/api/v1/stats/overview").get_json()
        assert after["data_version"] != before["data_version"]
        assert after["members"]["total"] == before["members"]["total"] + 1
        assert after["members"]["probationary"] == before["members"]["probationary"] + 1
        young = {r["band"]: r["F"] for r in after["age_gender"]}
        assert young["≤35"] == {r["band"]: r["F"] for r in before["age_gender"]}["≤35"] + 1
        street = client.get(f"/api/v1/stats/streets?street={branch['street']}").get_json()
        assert street["streets"][0]["members"] == streets[branch["street"]]["members"] + 1
        # a position report changes no figure, so it keeps the cached figures
        committed.execute(
            "UPDATE members SET current_geom = ST_SetSRID(ST_MakePoint(109.7, 38.3), 4326), "
            "current_at = now() WHERE id = %s",
            (member_id,),
        )
        same = client.get("/api/v1/stats/overview").get_json()
        assert same["data_version"] == after["data_version"]
        assert same["computed_at"] == after["computed_at"]
    finally:
        committed.execute("DELETE FROM members WHERE id = %s", (member_id,))
    again = client.get("/api/v1/stats/overview").get_json()
    assert again["members"] == before["members"]


def test_while_figures_are_recounted_the_previous_ones_are_served_stale(db_url, committed):
    from mapsvc.app import create_app
    from tests.conftest import authorized, token_for

    impatient = authorized(
        create_app({"DATABASE_URL": db_url, "TESTING": True, "STATS_WAIT_S": 0}).test_client(),
        token_for(db_url),
    )
    # (the first count of this process may or may not be done: wait for it)
    for _ in range(200):
        res = impatient.get("/api/v1/stats/overview")
        if res.status_code == 200 and not res.get_json()["stale"]:
            break
        assert res.status_code in (200, 503)
        if res.status_code == 503:
            assert res.get_json()["code"] == "figures_computing"
            assert res.get_json()["message"] and res.get_json()["message_en"]
        time.sleep(0.05)
    before = res.get_json()
    committed.execute("SELECT id, opening_hours FROM service_points ORDER BY id LIMIT 1")
    point = committed.fetchone()
    committed.execute(
        "UPDATE service_points SET opening_hours = '09:00-18:30' WHERE id = %s", (point["id"],)
    )
    try:
        res = impatient.get("/api/v1/stats/overview").get_json()
        assert res["stale"] is True  # not waited for: the previous figures
        assert res["data_version"] == before["data_version"]
        assert res["members"] == before["members"]
        for _ in range(200):
            res = impatient.get("/api/v1/stats/overview").get_json()
            if not res["stale"]:
                break
            time.sleep(0.05)
    finally:
        committed.execute(
            "UPDATE service_points SET opening_hours = %s WHERE id = %s",
            (point["opening_hours"], point["id"]),
        )
    assert res["stale"] is False and res["data_version"] != before["data_version"]


def test_openapi_describes_the_stats_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("overview", "streets", "flows", "map"):
        assert f"/api/v1/stats/{path}" in doc["paths"]
    names = [p["name"] for p in doc["paths"]["/api/v1/stats/overview"]["get"]["parameters"]]
    assert names == ["area", "street"]


# ------------------------------------------------------------------ who may read them
STATS = ["overview", "streets", "flows", "map"]


def test_stats_need_a_login(anon_client):
    for path in STATS:
        res = anon_client.get(f"/api/v1/stats/{path}")
        assert res.status_code == 401
        assert res.get_json()["code"] == "unauthorized"


def test_a_kiosk_account_reads_the_stats_and_no_records(client_for):
    kiosk = client_for("kiosk")
    for path in STATS:
        assert kiosk.get(f"/api/v1/stats/{path}").status_code == 200
    assert kiosk.get("/screen").status_code == 200
    for path in ("/api/v1/members?limit=1", "/api/v1/orgs?limit=1", "/api/v1/coverage/gaps"):
        assert kiosk.get(path).status_code == 403


def test_kiosk_open_lets_anyone_read_the_stats_only(db_url):
    from mapsvc.app import create_app

    anyone = create_app({"DATABASE_URL": db_url, "TESTING": True, "KIOSK_OPEN": True}).test_client()
    for path in STATS:
        assert anyone.get(f"/api/v1/stats/{path}").status_code == 200
    assert anyone.get("/screen").status_code == 200
    assert anyone.get("/api/v1/members?limit=1").status_code == 401
