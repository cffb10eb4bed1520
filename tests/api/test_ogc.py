"""/ogc: OGC API Features over the layers of layers/, checked against SQL on the same
database, and read by real clients (GDAL's OAPIF driver, OWSLib) over HTTP."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from layers import all_layers

EXPECTED = {
    "admin_areas",
    "grids",
    "branches",
    "service_points",
    "service_circles",
    "migrant_groups",
    "migrant_flows",
    "mobile_members",
    "mobile_member_points",
    "roads",
}
# source of truth for counts: the tables themselves, not the layer SQL
SQL_COUNTS = {
    "admin_areas": "SELECT count(*) FROM admin_areas",
    "grids": "SELECT count(*) FROM grids",
    "branches": "SELECT count(*) FROM party_orgs WHERE is_branch_level AND status = 'active' "
    "AND category <> 'migrant' AND geom IS NOT NULL",
    "service_points": "SELECT count(*) FROM service_points",
    "service_circles": "SELECT count(*) FROM service_points",
    "migrant_groups": "SELECT count(*) FROM party_orgs WHERE category = 'migrant' "
    "AND status = 'active' AND geom IS NOT NULL",
    "roads": "SELECT count(*) FROM roads",
}


def one(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def get_json(client, path):
    res = client.get(path)
    assert res.status_code == 200, (path, res.status_code, res.data[:300])
    return json.loads(res.data)


# ------------------------------------------------------------------ landing and catalogue
def test_landing_links_are_absolute_and_conformance_declared(client):
    body = get_json(client, "/ogc?f=json")
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["data"] == "http://localhost/ogc/collections"
    assert rels["conformance"] == "http://localhost/ogc/conformance"
    assert rels["service-desc"] == "http://localhost/ogc/api"
    # links follow the host the request came to
    other = json.loads(client.get("/ogc?f=json", headers={"Host": "map.gov.example:8443"}).data)
    assert all(
        link["href"].startswith("http://map.gov.example:8443/ogc") for link in other["links"]
    )
    conf = get_json(client, "/ogc/conformance")["conformsTo"]
    for cls in (
        "ogcapi-features-1/1.0/conf/core",
        "ogcapi-features-1/1.0/conf/geojson",
        "ogcapi-tiles-1/1.0/conf/mvt",
    ):
        assert any(c.endswith(cls) for c in conf), cls
    doc = get_json(client, "/ogc/api")
    assert doc["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in doc["paths"]


def test_collections_list_every_layer_with_style_and_labels(client):
    body = get_json(client, "/ogc/collections?f=json")
    listed = {c["id"]: c for c in body["collections"]}
    assert set(listed) == EXPECTED
    assert set(all_layers()) == EXPECTED
    b = listed["branches"]
    assert b["title"] == "党支部" and b["title_en"] == "Party branches"
    assert b["style"]["color"].startswith("#") and b["style"]["radius"] > 0
    assert {
        "name": "member_count",
        "title": "党员数",
        "title_en": "members",
        "type": "integer",
        "in_tiles_from_zoom": 0,
    } in b["properties"]
    assert (
        b["tiles"] == "http://localhost/ogc/collections/branches/tiles/WebMercatorQuad/{z}/{x}/{y}"
    )
    assert listed["mobile_members"]["access"] == "aggregate"
    assert listed["mobile_member_points"]["access"] == "personal"
    # drawing order is the list order
    orders = [c["order"] for c in body["collections"]]
    assert orders == sorted(orders)
    x0, y0, x1, y1 = listed["grids"]["extent"]["spatial"]["bbox"][0]
    assert 108.5 < x0 < x1 < 111 and 37 < y0 < y1 < 39  # 横山区 and 榆阳区


def test_html_pages_are_chinese_listings(client):
    page = client.get("/ogc/collections?f=html").get_data(as_text=True)
    assert "图层（集合）" in page and "党支部" in page and "网格" in page
    items = client.get("/ogc/collections/branches/items?f=html&limit=3").get_data(as_text=True)
    assert "党员数" in items and "下一页" in items
    assert client.get("/ogc/collections", headers={"Accept": "text/html"}).mimetype == "text/html"


# ------------------------------------------------------------------ items against SQL
@pytest.mark.parametrize("cid", sorted(SQL_COUNTS))
def test_number_matched_equals_sql_count(client, conn, cid):
    body = get_json(client, f"/ogc/collections/{cid}/items?limit=1")
    assert body["numberMatched"] == one(conn, SQL_COUNTS[cid])
    assert body["numberReturned"] == 1 and len(body["features"]) == 1


def test_paging_follows_next_links_through_every_branch(client, conn):
    total = one(conn, SQL_COUNTS["branches"])
    seen, url, pages = [], "/ogc/collections/branches/items?limit=25", 0
    while url:
        body = get_json(client, url)
        pages += 1
        assert body["numberMatched"] == total
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        prev = [link for link in body["links"] if link["rel"] == "prev"]
        assert bool(prev) == (pages > 1)
        url = nxt[0].removeprefix("http://localhost") if nxt else None
    ids = [r[0] for r in rows(conn, "SELECT id FROM branch_sites ORDER BY id")]
    assert seen == ids  # every branch once, in id order: the database ids
    assert pages == -(-total // 25)


def test_bbox_equals_st_intersects(client, conn):
    bbox = (109.70, 38.25, 109.76, 38.30)
    expected = one(
        conn,
        "SELECT count(*) FROM grids WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
        bbox,
    )
    assert 0 < expected < one(conn, "SELECT count(*) FROM grids")
    body = get_json(
        client, "/ogc/collections/grids/items?limit=1000&bbox=" + ",".join(map(str, bbox))
    )
    assert body["numberMatched"] == body["numberReturned"] == expected
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    same = get_json(
        client,
        f"/ogc/collections/grids/items?limit=1&bbox-crs={crs84}&bbox=" + ",".join(map(str, bbox)),
    )
    assert same["numberMatched"] == expected


def test_property_filter(client, conn):
    body = get_json(client, "/ogc/collections/branches/items?category=school&limit=100")
    expected = one(conn, "SELECT count(*) FROM branch_sites WHERE category = 'school'")
    assert body["numberMatched"] == expected > 0
    assert {f["properties"]["category"] for f in body["features"]} == {"school"}
    level = get_json(client, "/ogc/collections/admin_areas/items?level=street&limit=100")
    assert level["numberMatched"] == one(
        conn, "SELECT count(*) FROM admin_areas WHERE level='street'"
    )


def test_branch_counts_equal_sql(client, conn):
    got = {
        f["id"]: f["properties"]
        for f in get_json(client, "/ogc/collections/branches/items?limit=10000")["features"]
    }
    expected = rows(
        conn,
        """SELECT b.id, count(m.id), count(m.id) FILTER (WHERE m.status = 'full'),
                  count(m.id) FILTER (WHERE m.status = 'probationary'),
                  count(m.id) FILTER (WHERE m.is_mobile)
           FROM branch_sites b LEFT JOIN members m ON m.org_id = b.id GROUP BY b.id""",
    )
    assert len(got) == len(expected)
    for bid, n, full, prob, mobile in expected:
        p = got[bid]
        assert (
            p["member_count"],
            p["full_members"],
            p["probationary_members"],
            p["mobile_members"],
        ) == (n, full, prob, mobile), bid
    assert sum(p["member_count"] for p in got.values()) > 0


def test_grid_facts_equal_sql(client, conn):
    got = {
        f["id"]: f["properties"]
        for f in get_json(client, "/ogc/collections/grids/items?limit=10000")["features"]
    }
    expected = rows(
        conn,
        """SELECT g.id, (SELECT count(*) FROM members m WHERE ST_Contains(g.geom, m.home_geom)),
                  (SELECT min(ST_Distance(s.geog, ST_Centroid(g.geom)::geography, true))
                   FROM service_points s), c.name
           FROM grids g JOIN admin_areas c ON c.code = g.community_code""",
    )
    assert len(got) == len(expected)
    for gid, members, nearest_m, community in expected:
        assert got[gid]["members"] == members, gid
        assert got[gid]["nearest_service_point_m"] == round(nearest_m), gid
        assert got[gid]["community"] == community
    assert sum(p["members"] for p in got.values()) > 0


def test_counts_follow_edits_at_once(client, db_url):
    """Moving a member's home and changing their org updates the grid and branch counts."""
    import psycopg2

    c = psycopg2.connect(db_url)
    try:
        with c, c.cursor() as cur:
            cur.execute(
                """SELECT m.id, m.org_id, ST_AsEWKT(m.home_geom), g.id FROM members m
                   JOIN grids g ON ST_Contains(g.geom, m.home_geom) ORDER BY m.id LIMIT 1"""
            )
            mid, org, home, old_grid = cur.fetchone()
            cur.execute(
                "SELECT id, ST_AsEWKT(ST_PointOnSurface(geom)) FROM grids WHERE id <> %s "
                "ORDER BY id LIMIT 1",
                (old_grid,),
            )
            new_grid, spot = cur.fetchone()
            cur.execute("SELECT id FROM branch_sites WHERE id <> %s ORDER BY id LIMIT 1", (org,))
            (new_org,) = cur.fetchone()

        def counts():
            g = {
                f["id"]: f["properties"]["members"]
                for f in get_json(client, "/ogc/collections/grids/items?limit=10000")["features"]
            }
            b = {
                f["id"]: f["properties"]["member_count"]
                for f in get_json(client, "/ogc/collections/branches/items?limit=10000")["features"]
            }
            return g, b

        g0, b0 = counts()
        with c, c.cursor() as cur:
            cur.execute(
                "UPDATE members SET home_geom = %s::geometry, org_id = %s WHERE id = %s",
                (spot, new_org, mid),
            )
        try:
            g1, b1 = counts()
            assert g1[old_grid] == g0[old_grid] - 1 and g1[new_grid] == g0[new_grid] + 1
            assert b1[new_org] == b0[new_org] + 1 and b1.get(org, 0) == b0.get(org, 0) - 1
        finally:
            with c, c.cursor() as cur:
                cur.execute(
                    "UPDATE members SET home_geom = %s::geometry, org_id = %s WHERE id = %s",
                    (home, org, mid),
                )
        assert counts() == (g0, b0)
    finally:
        c.close()


def test_one_item_by_database_id(client, conn):
    bid, name = rows(conn, "SELECT id, name FROM branch_sites ORDER BY id DESC LIMIT 1")[0]
    f = get_json(client, f"/ogc/collections/branches/items/{bid}")
    assert f["id"] == bid and f["properties"]["name"] == name
    assert f["geometry"]["type"] == "Point"
    assert any(link["rel"] == "collection" for link in f["links"])
    code = one(conn, "SELECT code FROM admin_areas WHERE level = 'street' ORDER BY code LIMIT 1")
    area = get_json(client, f"/ogc/collections/admin_areas/items/{code}")
    assert area["id"] == code and area["geometry"]["type"] == "MultiPolygon"
    # the same id the nearest lookup gives
    near = get_json(client, "/api/v1/nearest?lon=109.735&lat=38.285&kind=service_point&k=1")
    sid = near["features"][0]["id"]
    sp = get_json(client, f"/ogc/collections/service_points/items/{sid}")
    assert sp["properties"]["name"] == near["features"][0]["properties"]["name"]


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("/ogc/collections/nowhere", 404, "not_found"),
        ("/ogc/collections/nowhere/items", 404, "not_found"),
        ("/ogc/collections/branches/items/99999999", 404, "not_found"),
        ("/ogc/collections/branches/items/abc", 404, "not_found"),
        ("/ogc/collections/branches/items?colour=red", 400, "unknown_parameter"),
        ("/ogc/collections/branches/items?bbox=1,2,3", 400, "bad_bbox"),
        ("/ogc/collections/branches/items?bbox=a,b,c,d", 400, "bad_bbox"),
        ("/ogc/collections/branches/items?bbox=110,38,109,39", 400, "bad_bbox"),
        ("/ogc/collections/branches/items?bbox=109,95,110,96", 400, "bad_bbox"),
        (
            "/ogc/collections/branches/items?bbox-crs=EPSG:3857&bbox=1,2,3,4",
            400,
            "unknown_bbox_crs",
        ),
        ("/ogc/collections/branches/items?limit=0", 400, "out_of_range"),
        ("/ogc/collections/branches/items?offset=-1", 400, "out_of_range"),
        ("/ogc/collections/branches/items?limit=ten", 400, "not_an_integer"),
        ("/ogc/collections/branches/items?f=kml", 400, "unknown_f"),
        ("/ogc/nothing-here", 404, "not_found"),
    ],
)
def test_refusals_are_bilingual(client, path, status, code):
    res = client.get(path)
    assert res.status_code == status, res.data
    body = res.get_json()
    assert body["code"] == code
    assert body["message"] and body["message_en"] and body["message"] != body["message_en"]


def test_limit_is_capped(client, conn):
    body = get_json(client, "/ogc/collections/roads/items?limit=999999")
    total = one(conn, "SELECT count(*) FROM roads")
    assert body["numberReturned"] == min(total, 10_000)


# ------------------------------------------------------------------ real clients
def test_gdal_ogrinfo_lists_and_reads_collections(base_url, auth_headers, conn):
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian package gdal-bin) is needed: scripts/system-packages.sh --test"
    config = []
    for k, v in auth_headers.items():
        config += ["--config", "GDAL_HTTP_HEADERS", f"{k}: {v}"]
    listing = subprocess.run(
        [ogrinfo, *config, "-ro", "-q", f"OAPIF:{base_url}/ogc"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    for cid in ("branches", "grids", "service_points", "admin_areas"):
        assert cid in listing.stdout, listing.stdout
    summary = subprocess.run(
        [ogrinfo, *config, "-ro", "-so", "-al", f"OAPIF:{base_url}/ogc/collections/branches"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert summary.returncode == 0, summary.stderr
    assert f"Feature Count: {one(conn, SQL_COUNTS['branches'])}" in summary.stdout, summary.stdout
    assert "member_count" in summary.stdout
    bid, name = rows(conn, "SELECT id, name FROM branch_sites ORDER BY id LIMIT 1")[0]
    feature = subprocess.run(
        [
            ogrinfo,
            *config,
            "-ro",
            "-al",
            "-fid",
            str(bid),
            f"OAPIF:{base_url}/ogc/collections/branches",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert feature.returncode == 0, feature.stderr
    assert name in feature.stdout


def test_owslib_reads_collections_and_items(base_url, auth_headers, conn):
    from owslib.ogcapi.features import Features

    api = Features(base_url + "/ogc", headers=auth_headers)
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"branches", "grids", "roads"} <= ids
    page = api.collection_items("grids", limit=5, offset=5)
    assert page["numberMatched"] == one(conn, "SELECT count(*) FROM grids")
    assert [f["id"] for f in page["features"]] == [
        r[0] for r in rows(conn, "SELECT id FROM grids ORDER BY id LIMIT 5 OFFSET 5")
    ]
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(nxt).query)["offset"] == ["10"]
    assert urlsplit(nxt).netloc == urlsplit(base_url).netloc


def test_ogc_openapi_describes_every_ogc_route(app, client):
    doc = get_json(client, "/ogc/api")
    assert doc["servers"] == [{"url": "http://localhost/ogc"}]
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    names = {"collection_id": "collectionId", "fid": "featureId"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/ogc"):
            continue
        path = rule.rule.removeprefix("/ogc") or "/"
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + names.get(m[1], m[1]) + "}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, (path, method)
