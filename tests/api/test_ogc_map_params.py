"""/ogc and /map read their query parameters from one declaration each, describe their
layers from one function and share one extent cache (issue #12, items 2 and 3)."""

from __future__ import annotations

import json
import re

import psycopg2
import pytest

from layers import all_layers
from mapsvc.http import params
from mapsvc.ogc import catalog, parameters
from mapsvc.ogc.openapi import document

HOST = "http://localhost"
BOX = (109.70, 38.25, 109.76, 38.30)


def page_config(client) -> dict:
    html = client.get("/map").get_data(as_text=True)
    return json.loads(re.search(r"MapPage\.start\(map_main, (\{.*\})\);", html).group(1))


def export_config(client, query: str) -> dict:
    resp = client.get("/map/export.html?" + query)
    assert resp.status_code == 200, resp.data[:300]
    html = resp.get_data(as_text=True)
    return json.loads(re.search(r"MapExport\.start\(map_main, (\{.*\})\);", html).group(1))


def matched_on_ogc(client, layer_id: str, bbox: str) -> int:
    resp = client.get(f"/ogc/collections/{layer_id}/items?limit=1&bbox={bbox}")
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["numberMatched"]


def matched_in_export(client, layer_id: str, bbox: str) -> int:
    config = export_config(client, f"bbox={bbox}&layers={layer_id}")
    return config["layers"][0]["matched"]


# ------------------------------------------------------------------ one declaration
def test_every_ogc_and_map_view_declares_its_query_parameters(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/ogc", "/map")):
            view = app.view_functions[rule.endpoint]
            assert hasattr(view, "params"), rule.rule


def test_ogc_openapi_parameters_are_the_declarations(app):
    doc = document(HOST + "/ogc", all_layers())

    def query(path: str) -> list[dict]:
        ops = doc["paths"][path]["get"].get("parameters", [])
        return [p for p in ops if p["in"] == "query"]

    views = {
        "/": "ogc.landing",
        "/conformance": "ogc.conformance",
        "/api": "ogc.api_document",
        "/collections": "ogc.collections",
        "/collections/{collectionId}": "ogc.collection",
        "/collections/{collectionId}/items/{featureId}": "ogc.item",
        "/collections/{collectionId}/tiles/WebMercatorQuad": "ogc.tileset",
        "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}": "ogc.tile",
    }
    for path, endpoint in views.items():
        declared = app.view_functions[endpoint].params
        assert query(path) == [d for p in declared for d in p.openapi()], path
    # items: the declaration, then every layer's property filters once
    items = app.view_functions["ogc.items"].params
    assert items == parameters.ITEMS
    described = query("/collections/{collectionId}/items")
    static = [d for p in items for d in p.openapi()]
    assert described[: len(static)] == static
    filters = {p.name for layer in all_layers().values() for p in parameters.filters(layer)}
    assert [d["name"] for d in described[len(static) :]] == sorted(filters)
    assert {"category", "level"} <= filters
    # the limit is typed once: the document's maximum is the cap the route applies
    limit = next(d for d in described if d["name"] == "limit")
    assert limit["schema"]["maximum"] == parameters.MAX_LIMIT == 10_000
    assert limit["schema"]["default"] == parameters.DEFAULT_LIMIT


def test_served_ogc_document_lists_the_same_parameters(client):
    served = client.get("/ogc/api").get_json()
    assert served["paths"] == document(HOST + "/ogc", all_layers())["paths"]


def test_limit_above_the_cap_reads_as_the_cap(client):
    body = client.get(f"/ogc/collections/grids/items?limit={parameters.MAX_LIMIT + 1}").get_json()
    assert body["numberReturned"] == body["numberMatched"] <= parameters.MAX_LIMIT
    nxt = [link for link in body["links"] if link["rel"] == "self"][0]["href"]
    assert f"limit={parameters.MAX_LIMIT}&" in nxt
    resp = client.get(f"/ogc/collections/grids/items?limit={params.INT_MAX + 1}")
    assert resp.status_code == 400 and resp.get_json()["code"] == "out_of_range"


def test_unknown_and_repeated_parameters_are_refused_with_the_known_ones(client):
    body = client.get("/ogc/collections/branches/items?colour=red").get_json()
    assert body["code"] == "unknown_parameter"
    known = ["bbox", "bbox-crs", "datetime", "f", "limit", "offset"]
    known += [p.name for p in all_layers()["branches"].properties if p.filter]
    assert body["message"] == f"未知的参数：colour（可用：{'、'.join(known)}）"
    assert body["message_en"] == f"unknown parameter: colour (known: {', '.join(known)})"
    # a filter of another layer is unknown here
    resp = client.get("/ogc/collections/roads/items?category=school")
    assert resp.status_code == 400 and resp.get_json()["code"] == "unknown_parameter"
    resp = client.get("/ogc/collections/branches/items?category=school&category=village")
    assert resp.status_code == 400
    assert resp.get_json() == {
        "code": "repeated_parameter",
        "message": "参数 category 只能给一次",
        "message_en": "parameter category given twice",
    }


@pytest.mark.parametrize(
    "path, body",
    [
        (
            "/ogc/collections/branches/items?f=kml",
            {
                "code": "unknown_f",
                "message": "未知的格式 f=kml（可选：json、geojson、html）",
                "message_en": "unknown format f=kml (one of: json, geojson, html)",
            },
        ),
        (
            "/ogc/collections/branches/tiles/WebMercatorQuad?f=html",
            {
                "code": "unknown_f",
                "message": "未知的格式 f=html（可选：json、tilejson）",
                "message_en": "unknown format f=html (one of: json, tilejson)",
            },
        ),
        (
            "/ogc/collections/branches/items?bbox-crs=EPSG:3857",
            {
                "code": "unknown_bbox_crs",
                "message": "不支持的 bbox-crs：EPSG:3857"
                "（只支持 http://www.opengis.net/def/crs/OGC/1.3/CRS84）",
                "message_en": "unsupported bbox-crs: EPSG:3857 "
                "(only http://www.opengis.net/def/crs/OGC/1.3/CRS84)",
            },
        ),
        (
            "/ogc/collections/nowhere",
            {
                "code": "not_found",
                "message": "没有该图层（集合）：nowhere",
                "message_en": "no such collection: nowhere",
            },
        ),
        (
            "/ogc/collections/branches/tiles/WebMercatorQuad/1/x/0",
            {
                "code": "bad_tile",
                "message": "瓦片 x 应为整数：x",
                "message_en": "tile x must be an integer: x",
            },
        ),
        (
            "/ogc/collections/branches/tiles/WebMercatorQuad/1/2/0",
            {
                "code": "tile_out_of_range",
                "message": "瓦片 1/2/0 不在 WebMercatorQuad 范围内（z 为 0–24，x、y 为 0 到 2^z−1）",
                "message_en": "tile 1/2/0 is outside WebMercatorQuad (z 0–24, x and y 0 to 2^z−1)",
            },
        ),
        (
            "/map/export.html?bbox=109,38,110,39&lang=fr",
            {
                "code": "bad_lang",
                "message": "lang 只能是 zh-CN 或 en",
                "message_en": "lang must be zh-CN or en",
            },
        ),
        (
            "/map/export.html?bbox=109,38,110,39&layers=grids,nope,gone",
            {
                "code": "unknown_layer",
                "message": "没有图层 nope、gone",
                "message_en": "no layer nope, gone",
            },
        ),
    ],
)
def test_refusals_keep_their_words(client, path, body):
    resp = client.get(path)
    assert resp.status_code in (400, 404)
    assert resp.get_json() == body


def test_refusals_of_layers_and_features_keep_their_words(client, anon_client, client_for):
    resp = anon_client.get("/ogc/collections/mobile_member_points")
    assert resp.status_code == 401
    assert resp.get_json() == {
        "code": "unauthorized",
        "message": "请先登录",
        "message_en": "please log in first",
    }
    resp = client_for("kiosk").get("/ogc/collections/mobile_member_points/items")
    assert resp.status_code == 403
    assert resp.get_json()["code"] == "forbidden"
    assert resp.get_json()["message_en"] == (
        "the layer mobile_member_points holds detailed data this account may not see"
    )
    resp = client.get("/ogc/collections/branches/items/abc")
    assert resp.status_code == 404
    assert resp.get_json() == {
        "code": "not_found",
        "message": "图层“党支部”中没有编号为 abc 的要素",
        "message_en": "no feature abc in collection branches",
    }
    resp = client.get("/api/v1/orgs/987654321/summary")
    assert resp.status_code == 404
    assert resp.get_json() == {
        "code": "not_found",
        "message": "党组织 987654321 不存在",
        "message_en": "org 987654321 not found",
    }


# ------------------------------------------------------------------ one bbox rule
def test_a_six_number_bbox_is_the_four_number_one_on_ogc_and_in_the_export(client):
    four = ",".join(map(str, BOX))
    six = f"{BOX[0]},{BOX[1]},-50,{BOX[2]},{BOX[3]},300"
    n = matched_on_ogc(client, "grids", four)
    assert 0 < n
    assert matched_on_ogc(client, "grids", six) == n
    assert matched_in_export(client, "grids", four) == n
    assert matched_in_export(client, "grids", six) == n
    config = export_config(client, f"bbox={six}&layers=grids")
    assert config["bounds"] == [[BOX[1], BOX[0]], [BOX[3], BOX[2]]]


def test_a_box_with_west_equal_to_east_is_accepted_on_both(client):
    x = (BOX[0] + BOX[2]) / 2
    line = f"{x},{BOX[1]},{x},{BOX[3]}"
    n = matched_on_ogc(client, "grids", line)
    assert n > 0  # grids are polygons: a meridian through them meets some
    assert matched_in_export(client, "grids", line) == n


@pytest.mark.parametrize(
    "bbox", ["1,2,3", "a,b,c,d", "110,38,109,39", "109,39,110,38", "109,95,110,96", "1,2,3,4,5"]
)
def test_a_bad_bbox_gets_the_same_refusal_on_both(client, bbox):
    ogc = client.get(f"/ogc/collections/grids/items?bbox={bbox}")
    export = client.get(f"/map/export.html?bbox={bbox}&layers=grids")
    assert ogc.status_code == export.status_code == 400
    assert ogc.get_json() == export.get_json()
    assert ogc.get_json()["code"] == "bad_bbox"


# ------------------------------------------------------------------ one layer list
def test_the_page_and_ogc_collections_agree_on_every_shared_field(client):
    collections = {c["id"]: c for c in client.get("/ogc/collections").get_json()["collections"]}
    page = page_config(client)["layers"]
    assert [d["id"] for d in page] == list(collections)
    shared = set(catalog.describe_layer(all_layers()["grids"], "/ogc"))
    assert {"style", "minzoom", "maxzoom", "access", "tiles", "items", "properties"} <= shared
    for d in page:
        c = collections[d["id"]]
        for key in shared:
            ours = c[key].removeprefix(HOST) if isinstance(c[key], str) else c[key]
            assert d[key] == ours, (d["id"], key)
        # the page's own: its titles for both languages, how it draws the layer
        assert d["title"] == {"zh": c["title"], "en": c["title_en"]}
        assert d["render"] in ("tiles", "cluster")


def test_a_kiosk_reads_the_aggregate_layers_only(client_for):
    kiosk = client_for("kiosk")
    listed = [c["id"] for c in kiosk.get("/ogc/collections").get_json()["collections"]]
    assert (
        listed
        == [lay.id for lay in all_layers().values() if lay.access == "aggregate"]
        == [lay.id for lay in catalog.readable_layers(type("K", (), {"sees_personal": False}))]
    )


# ------------------------------------------------------------------ one extent cache
def test_page_bounds_follow_an_edit_at_once_from_the_ogc_extent(app, client, db_url):
    def ogc_extent() -> list[float]:
        body = client.get("/ogc/collections/service_points").get_json()
        return body["extent"]["spatial"]["bbox"][0]

    def page_bounds() -> list[list[float]]:
        return next(d for d in page_config(client)["layers"] if d["id"] == "service_points")[
            "bounds"
        ]

    w, s, e, n = ogc_extent()
    before = page_bounds()
    assert before[0][1] < w and before[1][1] > e  # padded around the extent
    assert "service_points" in app.extensions["layer_extents"]._known
    c = psycopg2.connect(db_url)
    try:
        with c, c.cursor() as cur:
            cur.execute("SELECT id, ST_AsEWKT(geom) FROM service_points ORDER BY id LIMIT 1")
            sid, geom = cur.fetchone()
            cur.execute(
                "UPDATE service_points SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) "
                "WHERE id = %s",
                (e + 0.5, (s + n) / 2, sid),
            )
        try:
            # no waiting for a time-to-live: the tables' versions moved
            assert ogc_extent()[2] == pytest.approx(e + 0.5)
            assert page_bounds()[1][1] > e + 0.5 > before[1][1]
        finally:
            with c, c.cursor() as cur:
                cur.execute(
                    "UPDATE service_points SET geom = %s::geometry WHERE id = %s", (geom, sid)
                )
        assert ogc_extent() == [w, s, e, n] and page_bounds() == before
    finally:
        c.close()
