"""The records API: validation in both languages, optimistic concurrency, history.

Each test creates records with codes of its own and removes them, so the shared demo city
stays as other tests expect it.
"""

from __future__ import annotations

import re
import uuid

import psycopg2
import pytest

from geodata import crs


def unique_code(prefix: str = "T") -> str:
    return prefix + uuid.uuid4().hex[:10].upper()


@pytest.fixture()
def cleanup(db_url):
    """Codes of orgs and ids of members created by a test, deleted after it."""
    made = {"orgs": [], "members": [], "grids": [], "service_points": []}
    yield made
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        if made["members"]:
            cur.execute("DELETE FROM members WHERE id = ANY(%s)", (made["members"],))
        if made["grids"]:
            cur.execute("DELETE FROM grids WHERE code = ANY(%s)", (made["grids"],))
        if made["service_points"]:
            cur.execute(
                "DELETE FROM service_points WHERE code = ANY(%s)", (made["service_points"],)
            )
        for code in reversed(made["orgs"]):
            cur.execute("DELETE FROM party_orgs WHERE code = %s", (code,))


def one(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def a_branch(client) -> dict:
    return client.get("/api/v1/orgs?level=branch&category=community&limit=1").get_json()["items"][0]


def test_list_filters_pages_and_counts(client, conn):
    body = client.get("/api/v1/orgs?category=school,soe&level=branch&limit=5&offset=2").get_json()
    total = one(
        conn,
        "SELECT count(*) FROM party_orgs WHERE category IN ('school', 'soe') AND level = 'branch'",
    )
    assert body["total"] == total
    assert len(body["items"]) == min(5, total - 2)
    assert all(i["category"] in ("school", "soe") and i["level"] == "branch" for i in body["items"])
    members = client.get("/api/v1/members?is_mobile=true&limit=3").get_json()
    assert members["total"] == one(conn, "SELECT count(*) FROM members WHERE is_mobile")
    assert all(m["is_mobile"] for m in members["items"])
    named = client.get("/api/v1/orgs?q=普惠泉").get_json()["items"]
    assert named and all("普惠泉" in o["name"] or "普惠泉" in (o["address"] or "") for o in named)


def test_list_as_geojson(client):
    body = client.get("/api/v1/service-points?level=community_centre&f=geojson&limit=3").get_json()
    assert body["type"] == "FeatureCollection"
    assert all(f["geometry"]["type"] == "Point" for f in body["features"])
    assert all(f["id"] == f["properties"]["id"] for f in body["features"])


def test_bad_filters_are_400(client):
    assert client.get("/api/v1/orgs?level=platoon").status_code == 400
    assert client.get("/api/v1/members?is_mobile=perhaps").status_code == 400
    assert client.get("/api/v1/orgs?limit=5000").status_code == 400
    assert client.get("/api/v1/orgs/abc").status_code == 404
    assert client.get("/api/v1/orgs/99999999").get_json()["code"] == "not_found"


def test_member_phone_is_masked_for_viewers_only(client, client_for, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM party_orgs WHERE parent_id IS NULL")
        root = cur.fetchone()[0]
    query = "/api/v1/members?limit=20&q=&status=full"
    full = [m["phone"] for m in client.get(query).get_json()["items"] if m["phone"]]
    seen = [m["phone"] for m in client_for("viewer", root).get(query).get_json()["items"]]
    assert full and all("*" not in p for p in full)
    assert [p for p in seen if p] == [p[:3] + "****" + p[-4:] for p in full]


def test_create_org_with_point_in_gcj02(client, conn, cleanup):
    code = unique_code()
    gx, gy = crs.from_wgs84(109.7402, 38.2911, "gcj02")
    res = client.post(
        "/api/v1/orgs",
        json={
            "code": code,
            "name": "测试非公企业党支部",
            "level": "branch",
            "category": "non_public",
            "parent_code": "610802",
            "lon": gx,
            "lat": gy,
            "crs": "gcj02",
            "founded_on": "2020/7/1",
        },
    )
    cleanup["orgs"].append(code)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert res.headers["ETag"] == '"1"'
    assert res.headers["Location"].endswith(f"/api/v1/orgs/{body['id']}")
    assert body["geometry"]["coordinates"] == pytest.approx([109.7402, 38.2911], abs=1e-6)
    assert body["founded_on"] == "2020-07-01"
    # a new branch without members: the party rule warns, the write stands
    assert any(w["code"] == "under_3_full_members" for w in body["warnings"])
    assert one(conn, "SELECT count(*) FROM party_orgs WHERE code = %s", (code,)) == 1


@pytest.mark.parametrize(
    "change, code",
    [
        ({"level": "platoon"}, "unknown_value"),
        ({"parent_code": "NOSUCHORG"}, "unknown_reference"),
        ({"code": "lower-case"}, "bad_format"),
        ({"lon": 38.29, "lat": 109.74}, "swapped_lonlat"),
        ({"lon": 2.35, "lat": 48.85}, "outside_china"),
        ({"founded_on": "2020-13-45"}, "bad_date"),
        ({"name": ""}, "required"),
        ({"status": "dissolved"}, "read_only"),
        ({"colour": "red"}, "unknown_field"),
    ],
)
def test_bad_org_is_refused_with_reasons_and_nothing_written(client, conn, change, code):
    before = one(conn, "SELECT count(*) FROM party_orgs")
    record = {
        "code": unique_code(),
        "name": "测试党支部",
        "level": "branch",
        "category": "non_public",
        "parent_code": "610802",
        **change,
    }
    res = client.post("/api/v1/orgs", json=record)
    assert res.status_code == 400
    body = res.get_json()
    assert code in [e["code"] for e in body["errors"]]
    assert "未做任何修改" in body["message"] and "nothing was changed" in body["message_en"]
    assert one(conn, "SELECT count(*) FROM party_orgs") == before


def test_branch_under_a_branch_and_general_branch_under_general_branch_are_refused(client):
    branch = a_branch(client)
    res = client.post(
        "/api/v1/orgs",
        json={
            "code": unique_code(),
            "name": "x",
            "level": "branch",
            "category": "community",
            "parent_code": branch["code"],
        },
    )
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["code"] == "level_order"


def test_member_cannot_join_a_committee(client, conn):
    before = one(conn, "SELECT count(*) FROM members")
    res = client.post(
        "/api/v1/members",
        json={
            "org_code": "610802",
            "name": "张三",
            "gender": "M",
            "birth_year": 1990,
            "joined_on": "2015-07-01",
            "status": "full",
        },
    )
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["code"] == "member_org_not_branch"
    assert "党员只能编入党支部" in res.get_json()["message"]
    assert one(conn, "SELECT count(*) FROM members") == before


def test_duplicate_code_is_409(client, cleanup):
    code = unique_code()
    record = {
        "code": code,
        "name": "测试党支部",
        "level": "branch",
        "category": "soe",
        "parent_code": "610802",
    }
    assert client.post("/api/v1/orgs", json=record).status_code == 201
    cleanup["orgs"].append(code)
    res = client.post("/api/v1/orgs", json=record)
    assert res.status_code == 409
    assert res.get_json()["errors"][0]["code"] == "party_org_code_unique"


def test_two_editors_never_silently_overwrite_each_other(client, cleanup):
    code = unique_code()
    created = client.post(
        "/api/v1/orgs",
        json={
            "code": code,
            "name": "原名",
            "level": "branch",
            "category": "soe",
            "parent_code": "610802",
        },
    ).get_json()
    cleanup["orgs"].append(code)
    url = f"/api/v1/orgs/{created['id']}"
    etag = client.get(url).headers["ETag"]
    first = client.patch(url, json={"name": "甲改的名"}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'
    second = client.patch(url, json={"secretary": "乙"}, headers={"If-Match": etag})
    assert second.status_code == 412
    assert second.get_json()["current_version"] == 2
    assert client.get(url).get_json()["name"] == "甲改的名"
    assert client.get(url).get_json()["secretary"] is None
    # no version at all: refused before anything changes
    assert client.patch(url, json={"name": "丙"}).status_code == 428
    # a version in the body works like If-Match
    assert client.patch(url, json={"name": "丙", "version": 2}).status_code == 200


def test_moving_an_org_under_its_own_branch_is_a_cycle(client, cleanup):
    top, mid = unique_code(), unique_code()
    a = client.post(
        "/api/v1/orgs",
        json={
            "code": top,
            "name": "上",
            "level": "committee",
            "category": "soe",
            "parent_code": "610802",
        },
    ).get_json()
    cleanup["orgs"].append(top)
    client.post(
        "/api/v1/orgs",
        json={
            "code": mid,
            "name": "中",
            "level": "committee",
            "category": "soe",
            "parent_code": top,
        },
    )
    cleanup["orgs"].append(mid)
    res = client.patch(
        f"/api/v1/orgs/{a['id']}", json={"parent_code": mid}, headers={"If-Match": '"1"'}
    )
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["code"] == "org_cycle"


def test_dissolving_an_org_keeps_it_and_refuses_while_members_remain(client, conn, cleanup):
    branch = a_branch(client)
    res = client.delete(f"/api/v1/orgs/{branch['id']}")
    assert res.status_code == 409
    assert res.get_json()["code"] == "org_not_empty"
    code = unique_code()
    empty = client.post(
        "/api/v1/orgs",
        json={
            "code": code,
            "name": "空支部",
            "level": "branch",
            "category": "soe",
            "parent_code": "610802",
        },
    ).get_json()
    cleanup["orgs"].append(code)
    assert client.delete(f"/api/v1/orgs/{empty['id']}").status_code == 204
    after = client.get(f"/api/v1/orgs/{empty['id']}").get_json()
    assert after["status"] == "dissolved" and after["dissolved_on"]


def test_grid_outside_its_community_is_refused_with_the_area_outside(client, conn):
    community = one(
        conn, "SELECT code FROM admin_areas WHERE level = 'community' ORDER BY code LIMIT 1"
    )
    res = client.post(
        "/api/v1/grids",
        json={
            "code": community + "901",
            "name": "越界网格",
            "community_code": community,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[109.0, 38.0], [109.1, 38.0], [109.1, 38.1], [109.0, 38.0]]],
            },
        },
    )
    assert res.status_code == 400
    assert "grid_outside_community" in [e["code"] for e in res.get_json()["errors"]]


def test_self_intersecting_grid_says_where(client, conn):
    community = one(
        conn, "SELECT code FROM admin_areas WHERE level = 'community' ORDER BY code LIMIT 1"
    )
    res = client.post(
        "/api/v1/grids",
        json={
            "code": community + "902",
            "name": "蝴蝶网格",
            "community_code": community,
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [109.73, 38.28],
                        [109.74, 38.29],
                        [109.74, 38.28],
                        [109.73, 38.29],
                        [109.73, 38.28],
                    ]
                ],
            },
        },
    )
    assert res.status_code == 400
    err = res.get_json()["errors"][0]
    assert err["code"] == "invalid_geometry"
    assert "自相交" in err["message"] and "109.735" in err["message"]


def test_grid_code_must_extend_its_community(client, conn):
    community = one(
        conn, "SELECT code FROM admin_areas WHERE level = 'community' ORDER BY code LIMIT 1"
    )
    res = client.post(
        "/api/v1/grids",
        json={
            "code": "610899999999001",
            "name": "错码网格",
            "community_code": community,
            "geometry": {"type": "Point", "coordinates": [109.7, 38.2]},
        },
    )
    codes = [e["code"] for e in res.get_json()["errors"]]
    assert res.status_code == 400 and "wrong_geometry_type" in codes


def test_admin_area_code_must_fit_its_level(client):
    res = client.post(
        "/api/v1/admin-areas",
        json={
            "code": "610802001250",
            "name": "错级社区",
            "level": "community",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[109.73, 38.28], [109.74, 38.28], [109.74, 38.29], [109.73, 38.28]]
                ],
            },
        },
    )
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["code"] == "code_level_mismatch"


def test_member_transfer_mobile_and_return_with_history(client, conn, cleanup):
    branch = a_branch(client)
    other = client.get("/api/v1/orgs?level=branch&category=soe&limit=1").get_json()["items"][0]
    created = client.post(
        "/api/v1/members",
        json={
            "org_code": branch["code"],
            "name": "测试党员",
            "gender": "女",
            "birth_year": 1988,
            "joined_on": "2012-06-30",
            "status": "正式党员",
            "phone": "13912345678",
        },
    )
    assert created.status_code == 201, created.get_json()
    m = created.get_json()
    cleanup["members"].append(m["id"])
    assert m["gender"] == "F" and m["status"] == "full" and m["phone"] == "13912345678"
    url = f"/api/v1/members/{m['id']}"

    res = client.post(
        f"{url}/transfer",
        json={"to_org_code": other["code"], "note": "调动"},
        headers={"If-Match": '"1"'},
    )
    assert res.status_code == 200 and res.get_json()["org_code"] == other["code"]
    res = client.post(
        f"{url}/mobile",
        json={
            "destination": "西安",
            "since": "2025-03-01",
            "destination_point": {"lon": 108.94, "lat": 34.34},
        },
        headers={"If-Match": '"2"'},
    )
    assert res.status_code == 200
    mobile = res.get_json()
    assert mobile["is_mobile"] and mobile["outflow_org_code"] == other["code"]
    # transferring a mobile member moves the outflow org with the relationship
    res = client.post(
        f"{url}/transfer", json={"to_org_code": branch["code"]}, headers={"If-Match": '"3"'}
    )
    assert res.get_json()["outflow_org_code"] == branch["code"]
    res = client.post(f"{url}/return", json={"date": "2026-10-01"}, headers={"If-Match": '"4"'})
    assert res.status_code == 200 and not res.get_json()["is_mobile"]
    events = client.get(f"{url}/history").get_json()["events"]
    assert [e["kind"] for e in events] == ["transferred", "went_mobile", "transferred", "returned"]
    assert events[0]["from_org_code"] == branch["code"] and events[0]["note"] == "调动"
    assert events[3]["details"]["destination"] == "西安"


def test_member_operations_refuse_bad_input(client, cleanup):
    branch = a_branch(client)
    m = client.post(
        "/api/v1/members",
        json={
            "org_code": branch["code"],
            "name": "测试",
            "gender": "M",
            "birth_year": 1980,
            "joined_on": "2005-01-01",
            "status": "full",
        },
    ).get_json()
    cleanup["members"].append(m["id"])
    url = f"/api/v1/members/{m['id']}"
    assert (
        client.post(
            f"{url}/transfer", json={"to_org_code": "610802"}, headers={"If-Match": '"1"'}
        ).get_json()["errors"][0]["code"]
        == "member_org_not_branch"
    )
    assert (
        client.post(
            f"{url}/mobile", json={"since": "2025-01-01"}, headers={"If-Match": '"1"'}
        ).status_code
        == 400
    )
    assert (
        client.post(f"{url}/return", json={}, headers={"If-Match": '"1"'}).get_json()["errors"][0][
            "code"
        ]
        == "not_mobile"
    )
    assert client.post(f"{url}/transfer", json={"to_org_code": branch["code"]}).status_code == 428
    assert (
        client.post(
            "/api/v1/members/99999999/return", json={}, headers={"If-Match": '"1"'}
        ).status_code
        == 404
    )
    assert client.get(f"{url}/history").get_json()["events"] == []


def test_body_must_be_json(client):
    res = client.post(
        "/api/v1/orgs", data="code=1", content_type="application/x-www-form-urlencoded"
    )
    assert res.status_code == 400
    assert res.get_json()["code"] == "bad_json"


def test_openapi_describes_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, (path, method)


def test_docs_page_lists_the_endpoints_in_chinese(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "接口说明" in page and "/api/v1/orgs/{key}" in page and "组织关系转接" in page
    assert "http://" not in page and "https://" not in page


def test_community_outside_its_street_is_refused(client, conn):
    street = one(conn, "SELECT code FROM admin_areas WHERE level = 'street' ORDER BY code LIMIT 1")
    res = client.post(
        "/api/v1/admin-areas",
        json={
            "code": street[:9] + "150",
            "name": "飞地社区",
            "level": "community",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[110.3, 38.9], [110.31, 38.9], [110.31, 38.91], [110.3, 38.9]]],
            },
        },
    )
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["code"] == "area_outside_parent"


def test_changing_only_a_grids_community_checks_its_stored_shape(client, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT id, community_code FROM grids ORDER BY code LIMIT 1")
        grid_id, community = cur.fetchone()
    other = one(
        conn,
        "SELECT code FROM admin_areas WHERE level = 'community' AND code <> %s "
        "ORDER BY code DESC LIMIT 1",
        (community,),
    )
    etag = client.get(f"/api/v1/grids/{grid_id}").headers["ETag"]
    res = client.patch(
        f"/api/v1/grids/{grid_id}", json={"community_code": other}, headers={"If-Match": etag}
    )
    assert res.status_code == 400
    codes = [e["code"] for e in res.get_json()["errors"]]
    assert "grid_outside_community" in codes and "grid_code_prefix" in codes


# ------------------------------------------------------------------ found by the OpenAPI fuzz
# (tests/test_fuzz_openapi.py): each of these was a 500


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "", "coordinates": [None, None]},
        {"type": "Hexagon", "coordinates": [[109.7, 38.2]]},
        {"type": "LineString", "coordinates": [[109.7, 38.2]]},
    ],
)
def test_unreadable_geojson_type_is_400_and_nothing_written(client, conn, geometry):
    before = one(conn, "SELECT count(*) FROM service_points")
    res = client.post(
        "/api/v1/service-points",
        json={
            "code": unique_code("SP"),
            "name": "测试服务站",
            "level": "station",
            "admin_area_code": "610802000000",
            "geometry": geometry,
        },
    )
    assert res.status_code == 400, res.get_data(as_text=True)
    assert "bad_geometry" in [e["code"] for e in res.get_json()["errors"]]
    assert one(conn, "SELECT count(*) FROM service_points") == before
    mobile = client.post(
        "/api/v1/members/1/mobile",
        json={"destination": "天津", "since": "2024-01-01", "destination_point": geometry},
        headers={"If-Match": client.get("/api/v1/members/1").headers["ETag"]},
    )
    assert mobile.status_code == 400 and mobile.get_json()["code"] == "invalid_record"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orgs?parent_code=61%00",
        "/api/v1/members?org_code=a%00b",
        "/api/v1/orgs?q=%00",
        "/api/v1/admin-areas/6108%00",
        "/api/v1/search?q=%E6%A6%86%00",
    ],
)
def test_nul_in_the_query_or_path_is_400(client, path):
    res = client.get(path)
    assert res.status_code == 400, res.get_data(as_text=True)
    body = res.get_json()
    assert body["code"] == "nul_character" and "NUL" in body["message"] and body["message_en"]


def test_nul_in_body_text_is_a_field_error_and_nothing_written(client, conn, cleanup):
    branch = a_branch(client)
    before = one(conn, "SELECT count(*) FROM members")
    res = client.post(
        "/api/v1/members",
        json={
            "org_code": branch["code"] + "\x00",
            "name": "测试",
            "gender": "M",
            "birth_year": 1980,
            "joined_on": "2005-01-01",
            "status": "full",
        },
    )
    assert res.status_code == 400
    assert [(e["field"], e["code"]) for e in res.get_json()["errors"]] == [
        ("org_code", "nul_character")
    ]
    assert one(conn, "SELECT count(*) FROM members") == before
    member = client.get("/api/v1/members/1")
    events = one(conn, "SELECT count(*) FROM member_events WHERE member_id = 1")
    for action, body in (
        ("transfer", {"to_org_code": "\x00"}),
        ("return", {"note": "回来了\x00"}),
    ):
        res = client.post(
            f"/api/v1/members/1/{action}", json=body, headers={"If-Match": member.headers["ETag"]}
        )
        assert res.status_code == 400, (action, res.get_data(as_text=True))
        assert res.get_json()["errors"][0]["code"] == "nul_character"
    assert one(conn, "SELECT count(*) FROM member_events WHERE member_id = 1") == events


@pytest.mark.parametrize(
    "path,change",
    [
        ("/api/v1/admin-areas/610802000000", {"population": 10**23}),
        ("/api/v1/admin-areas/610802000000", {"households": 2**31}),
        ("/api/v1/service-points/1", {"floor_area_m2": 1e300}),
    ],
)
def test_numbers_beyond_their_column_are_400_and_nothing_changed(client, path, change):
    before = client.get(path)
    res = client.patch(path, json=change, headers={"If-Match": before.headers["ETag"]})
    assert res.status_code == 400, res.get_data(as_text=True)
    (err,) = res.get_json()["errors"]
    assert (err["field"], err["code"]) == (next(iter(change)), "out_of_range")
    assert client.get(path).get_json() == before.get_json()


def test_a_version_beyond_any_integer_is_400_not_500(client, conn):
    for res in (
        client.delete("/api/v1/members/1", headers={"If-Match": '"99999999999999999999"'}),
        client.patch(
            "/api/v1/members/1", json={"name": "x"}, headers={"If-Match": "99999999999999999999"}
        ),
    ):
        assert res.status_code == 400, res.get_data(as_text=True)
        assert res.get_json()["code"] == "bad_version"
    assert one(conn, "SELECT count(*) FROM members WHERE id = 1") == 1


def test_a_float_field_is_a_json_number(client):
    sp = client.get("/api/v1/service-points/1").get_json()
    assert isinstance(sp["floor_area_m2"], float)
    listed = client.get("/api/v1/service-points?limit=5").get_json()["items"]
    assert all(isinstance(s["floor_area_m2"], float | None) for s in listed)


def test_openapi_read_schemas_match_what_the_api_returns(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    member = doc["components"]["schemas"]["Members"]["properties"]
    assert member["inflow_org_code"]["type"] == ["string", "null"]  # null when not set
    assert "pattern" not in member["phone"]  # masked on read: 138****1234
    assert "pattern" in doc["components"]["schemas"]["MembersNew"]["properties"]["phone"]
    assert doc["components"]["schemas"]["ServicePoints"]["properties"]["floor_area_m2"]["type"] == [
        "number",
        "null",
    ]
    orgs = doc["paths"]["/api/v1/orgs"]
    assert "400" in doc["paths"]["/api/v1/orgs/{key}"]["delete"]["responses"]  # bad If-Match
    assert {"text/csv", "application/geopackage+sqlite3"} <= set(
        orgs["get"]["responses"]["200"]["content"]
    )
    # an optional parameter sent empty counts as not sent
    assert all(p.get("allowEmptyValue") for p in orgs["get"]["parameters"])


@pytest.mark.parametrize("value", [{}, [1, 2], True])
def test_objects_lists_and_booleans_are_not_text(client, conn, value):
    before = one(conn, "SELECT count(*) FROM party_orgs")
    res = client.post(
        "/api/v1/orgs",
        json={
            "code": unique_code(),
            "name": value,
            "level": "branch",
            "category": "soe",
            "parent_code": "610802",
        },
    )
    assert res.status_code == 400
    assert res.get_json()["errors"][0]["code"] == "not_text"
    assert one(conn, "SELECT count(*) FROM party_orgs") == before
