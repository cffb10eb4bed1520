"""Regressions of the authorised attacker's audit (issue 13): each reproduced first, then fixed.

The module writes, so it has a database of its own (the small demo city).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import unquote

import psycopg2
import pytest

from mapsvc.infra.db import libpq_dsn
from tests.conftest import (
    authorized,
    own_database,
    token_for,
)


@pytest.fixture(scope="module")
def url(server_url):
    with own_database(server_url, "hardening") as u:
        yield u


def one(url, query, args=()):
    with psycopg2.connect(libpq_dsn(url)) as c, c.cursor() as cur:
        cur.execute(query, args)
        row = cur.fetchone()
    c.close()
    return row


def count(url, table: str) -> int:
    return one(url, f"SELECT count(*) FROM {table}")[0]


@pytest.fixture(scope="module")
def app(url):
    from mapsvc.app import create_app

    return create_app({"DATABASE_URL": url, "TESTING": True})


@pytest.fixture(scope="module")
def world(url):
    """Two streets A and B with their working committees; a community of each; a point in B."""
    a_org, a_area = one(
        url,
        """SELECT o.code, o.admin_area_code FROM party_orgs o
           WHERE o.level = 'working_committee' AND o.admin_area_code LIKE '%%000'
             AND o.admin_area_code NOT LIKE '%%000000' ORDER BY o.code LIMIT 1""",
    )
    b_org, b_area = one(
        url,
        """SELECT o.code, o.admin_area_code FROM party_orgs o
           WHERE o.level = 'working_committee' AND o.admin_area_code LIKE '%%000'
             AND o.admin_area_code NOT LIKE '%%000000' AND o.admin_area_code <> %s
           ORDER BY o.code LIMIT 1""",
        (a_area,),
    )
    (a_comm,) = one(
        url,
        "SELECT code FROM admin_areas WHERE parent_code = %s ORDER BY code LIMIT 1",
        (a_area,),
    )
    (b_comm,) = one(
        url,
        "SELECT code FROM admin_areas WHERE parent_code = %s ORDER BY code LIMIT 1",
        (b_area,),
    )
    a_lon, a_lat = one(
        url,
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM admin_areas "
        "WHERE code = %s) q",
        (a_comm,),
    )
    b_lon, b_lat = one(
        url,
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM admin_areas "
        "WHERE code = %s) q",
        (b_comm,),
    )
    return SimpleNamespace(
        a_org=a_org,
        a_area=a_area,
        a_comm=a_comm,
        a_point=(a_lon, a_lat),
        b_area=b_area,
        b_comm=b_comm,
        b_point=(b_lon, b_lat),
        b_org=b_org,
    )


@pytest.fixture(scope="module")
def admin(app, url):
    return authorized(app.test_client(), token_for(url))


@pytest.fixture(scope="module")
def street_admin(app, url, world):
    """An org_admin of street A."""
    return authorized(app.test_client(), token_for(url, "org_admin", world.a_org))


def _refused(resp, status=400) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["message"] and body["message_en"], body
    return body


# ------------------------------------------------------------------ bodies that were 500s
def _org(world, **kw) -> dict:
    return {
        "code": "610802999901",
        "name": "测试党支部",
        "level": "branch",
        "category": "community",
        "parent_code": world.a_org,
        **kw,
    }


def test_a_lone_surrogate_in_any_string_field_is_a_400_and_writes_nothing(admin, url, world):
    before = count(url, "party_orgs")
    raw = json.dumps(_org(world, name="X")).replace('"X"', '"\\ud800"')
    body = _refused(admin.post("/api/v1/orgs", data=raw, content_type="application/json"))
    assert body["code"] == "bad_json" and "ud800" in body["message_en"]
    assert count(url, "party_orgs") == before


def test_json_nested_a_thousand_deep_is_a_400(admin):
    raw = '{"name": ' + "[" * 1000 + "]" * 1000 + "}"
    body = _refused(admin.post("/api/v1/orgs", data=raw, content_type="application/json"))
    assert body["code"] == "bad_json" and "32" in body["message"]


def test_a_nan_coordinate_is_a_400_and_writes_nothing(admin, url, world):
    before = count(url, "service_points")
    raw = json.dumps(
        {
            "code": "SP-NAN",
            "name": "测试站",
            "level": "station",
            "admin_area_code": world.a_comm,
            "geometry": {"type": "Point", "coordinates": [109.7, 38.2, "NaNX"]},
        }
    ).replace('"NaNX"', "NaN")
    body = _refused(admin.post("/api/v1/service-points", data=raw, content_type="application/json"))
    assert "NaN" in body["message_en"]
    assert count(url, "service_points") == before


# ------------------------------------------------------------------ redirects after login
@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/x",
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%0a/evil.example",
    ],
)
def test_login_never_redirects_off_the_site(app, url, target):
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    name = "redir-" + str(abs(hash(target)) % 10**8)
    with cursor(url) as cur:
        accounts.add_user(cur, name, "admin", None, "a-long-password-1")
    c = app.test_client()
    page = c.get(f"/login?next={target}")
    assert page.status_code == 200
    csrf = c.get("/login").get_data(as_text=True)
    token = csrf.split('name="csrf_token" value="')[1].split('"')[0]
    resp = c.post(
        f"/login?next={target}",
        # the page's hidden field carries the decoded value, as a browser would post it
        data={
            "name": name,
            "password": "a-long-password-1",
            "csrf_token": token,
            "next": unquote(target),
        },
    )
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)
    location = resp.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil" not in location and "\n" not in location and "\t" not in location


# ------------------------------------------------------------------ area follows scope
def test_a_service_point_in_another_street_is_refused_even_run_by_ones_own_org(
    street_admin, url, world
):
    before = count(url, "service_points")
    body = _refused(
        street_admin.post(
            "/api/v1/service-points",
            json={
                "code": "SP-ELSEWHERE",
                "name": "越界服务站",
                "level": "station",
                "admin_area_code": world.b_comm,
                "geometry": {"type": "Point", "coordinates": list(world.b_point)},
                "operating_org_code": world.a_org,
            },
        ),
        403,
    )
    assert body["code"] == "forbidden"
    assert count(url, "service_points") == before


def test_a_service_point_placed_in_another_street_is_refused(street_admin, url, world):
    """The area code says street A, the point lies in street B."""
    before = count(url, "service_points")
    _refused(
        street_admin.post(
            "/api/v1/service-points",
            json={
                "code": "SP-MISPLACED",
                "name": "错位服务站",
                "level": "station",
                "admin_area_code": world.a_comm,
                "geometry": {"type": "Point", "coordinates": list(world.b_point)},
            },
        ),
        403,
    )
    assert count(url, "service_points") == before


def test_a_service_point_in_ones_own_street_is_taken(street_admin, url, world):
    resp = street_admin.post(
        "/api/v1/service-points",
        json={
            "code": "SP-HOME",
            "name": "本街道服务站",
            "level": "station",
            "admin_area_code": world.a_comm,
            "geometry": {"type": "Point", "coordinates": list(world.a_point)},
            "operating_org_code": world.a_org,
        },
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)


def test_an_org_in_ones_subtree_with_another_streets_area_is_refused(street_admin, url, world):
    before = count(url, "party_orgs")
    body = _refused(
        street_admin.post(
            "/api/v1/orgs",
            json=_org(world, code="610802999902", admin_area_code=world.b_comm),
        ),
        403,
    )
    assert body["code"] == "forbidden"
    assert count(url, "party_orgs") == before
    ok = street_admin.post(
        "/api/v1/orgs", json=_org(world, code="610802999903", admin_area_code=world.a_comm)
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)


# ------------------------------------------------------------------ /health tells no secrets
def test_health_while_the_database_is_down_says_down_and_nothing_of_the_server():
    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/none"})
    res = app.test_client().get("/health")
    assert res.status_code == 503
    body = res.get_json()
    assert body["database"] == "down" and body["status"] == "unavailable"
    text = res.get_data(as_text=True)
    for secret in ("127.0.0.1", "nobody", "secret", ":1", "connection", "refused"):
        assert secret not in text, (secret, text)


# ------------------------------------------------------------------ unchanged shapes stay put
def test_changing_a_grid_on_its_communitys_edge_keeps_its_shape_acceptable(admin, url):
    """Its GeoJSON read back is rounded; the stored shape is what must lie inside."""
    with psycopg2.connect(libpq_dsn(url)) as c, c.cursor() as cur:
        cur.execute(
            """SELECT g.id FROM grids g JOIN admin_areas a ON a.code = g.community_code
               ORDER BY ST_Length(ST_Intersection(ST_Boundary(g.geom), ST_Boundary(a.geom)))
                        DESC, g.id LIMIT 3"""
        )
        codes = [r[0] for r in cur.fetchall()]
    c.close()
    for code in codes:
        got = admin.get(f"/api/v1/grids/{code}")
        assert got.status_code == 200
        record = got.get_json()
        resp = admin.patch(
            f"/api/v1/grids/{code}",
            json={"households": (record.get("households") or 0) + 1},
            headers={"If-Match": got.headers["ETag"]},
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
