"""Vector tiles of /ogc (ST_AsMVT), decoded with mapbox-vector-tile and checked against SQL."""

from __future__ import annotations

import json
import math
import re

import mapbox_vector_tile
import pytest

from layers import all_layers
from layers.catalog import MIN_CELL_COUNT

MVT = "application/vnd.mapbox-vector-tile"


def rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The WebMercatorQuad tile holding (lon, lat) at zoom z."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def decode(res) -> dict:
    assert res.status_code == 200, (res.status_code, res.data[:200])
    assert res.mimetype == MVT
    return mapbox_vector_tile.decode(res.data)


def ids_in_tile(conn, view: str, z: int, x: int, y: int) -> set:
    """Ids of the view's rows in the tile or its 64-pixel buffer (the tile's clip box)."""
    return {
        r[0]
        for r in rows(
            conn,
            f"SELECT id FROM {view} WHERE ST_Intersects(ST_Transform(geom, 3857), "
            "ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096))",
            (z, x, y),
        )
    }


@pytest.fixture(scope="module")
def busy_point(db_url):
    """The branch with the most branches around it: the tiles there are not empty."""
    import psycopg2

    c = psycopg2.connect(db_url)
    try:
        with c.cursor() as cur:
            cur.execute(
                """SELECT ST_X(b.geom), ST_Y(b.geom) FROM branch_sites b
                   ORDER BY (SELECT count(*) FROM branch_sites o
                             WHERE ST_DWithin(o.geog, b.geog, 1500)) DESC, b.id LIMIT 1"""
            )
            return cur.fetchone()
    finally:
        c.close()


@pytest.mark.parametrize("z", [12, 14, 16])
def test_branch_tile_holds_exactly_the_branches_there(client, conn, busy_point, z):
    x, y = tile_of(*busy_point, z)
    layers = decode(client.get(f"/ogc/collections/branches/tiles/WebMercatorQuad/{z}/{x}/{y}"))
    assert set(layers) == {"branches"}
    feats = layers["branches"]["features"]
    assert {f["id"] for f in feats} == ids_in_tile(conn, "branch_sites", z, x, y) != set()
    assert layers["branches"]["extent"] == 4096
    expected = {
        r[0]: r[1:]
        for r in rows(
            conn,
            """SELECT b.id, b.name, b.category, count(m.id) FROM branch_sites b
               LEFT JOIN members m ON m.org_id = b.id GROUP BY b.id, b.name, b.category""",
        )
    }
    for f in feats:
        p = f["properties"]
        assert (p["name"], p["category"], p["member_count"]) == expected[f["id"]]
        assert f["geometry"]["type"] == "Point"


def test_grid_tile_has_grid_polygons_with_their_facts(client, conn, busy_point):
    z = 14
    x, y = tile_of(*busy_point, z)
    layers = decode(client.get(f"/ogc/collections/grids/tiles/WebMercatorQuad/{z}/{x}/{y}"))
    feats = layers["grids"]["features"]
    assert {f["id"] for f in feats} == ids_in_tile(conn, "grids", z, x, y) != set()
    members = dict(
        rows(
            conn,
            "SELECT g.id, (SELECT count(*) FROM members m WHERE ST_Contains(g.geom, m.home_geom)) "
            "FROM grids g",
        )
    )
    for f in feats:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert f["properties"]["members"] == members[f["id"]]
        assert f["properties"]["community"]


def test_service_point_tile_joins_services_into_text(client, conn):
    sid, lon, lat, services = rows(
        conn,
        "SELECT id, ST_X(geom), ST_Y(geom), services FROM service_points "
        "WHERE cardinality(services) > 1 ORDER BY id LIMIT 1",
    )[0]
    x, y = tile_of(lon, lat, 15)
    feats = decode(client.get(f"/ogc/collections/service_points/tiles/WebMercatorQuad/15/{x}/{y}"))
    f = next(f for f in feats["service_points"]["features"] if f["id"] == sid)
    assert f["properties"]["services"] == "、".join(services)


def test_empty_and_out_of_zoom_tiles_are_204(client):
    # the middle of the Pacific at z12: nothing there
    res = client.get("/ogc/collections/branches/tiles/WebMercatorQuad/12/100/1700")
    assert res.status_code == 204 and res.data == b""
    # branches start at zoom 10 (layer minzoom): the world tile is empty by definition
    assert all_layers()["branches"].minzoom > 0
    assert client.get("/ogc/collections/branches/tiles/WebMercatorQuad/0/0/0").status_code == 204


@pytest.mark.parametrize(
    "zxy, status",
    [
        ("12/4096/0", 404),
        ("12/0/4096", 404),
        ("25/0/0", 404),
        ("12/-1/3", 404),
        ("12/a/3", 400),
        ("1.5/0/0", 400),
    ],
)
def test_tile_indices_out_of_range(client, zxy, status):
    res = client.get(f"/ogc/collections/branches/tiles/WebMercatorQuad/{zxy}")
    assert res.status_code == status
    body = res.get_json()
    assert body["message"] and body["message_en"]


def test_tilejson_and_tileset_metadata(client):
    tj = client.get("/ogc/collections/grids/tiles/WebMercatorQuad?f=tilejson").get_json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"] == [
        "http://localhost/ogc/collections/grids/tiles/WebMercatorQuad/{z}/{x}/{y}"
    ]
    layer = all_layers()["grids"]
    assert (tj["minzoom"], tj["maxzoom"]) == (layer.minzoom, layer.maxzoom)
    assert tj["vector_layers"][0]["id"] == "grids"
    assert tj["vector_layers"][0]["fields"]["members"] == "居住党员数"
    ts = client.get("/ogc/collections/grids/tiles/WebMercatorQuad").get_json()
    assert ts["dataType"] == "vector" and ts["tileMatrixSetURI"].endswith("WebMercatorQuad")
    rels = {link["rel"] for link in ts["links"]}
    assert "item" in rels and "alternate" in rels
    sets = client.get("/ogc/collections/grids/tiles").get_json()["tilesets"]
    assert sets[0]["links"][0]["href"].startswith("http://localhost/ogc/collections/grids/tiles/")
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").get_json()
    assert tms["tileMatrices"][12]["matrixWidth"] == 4096


def test_mobile_members_aggregate_never_shows_a_small_cell(client, conn):
    body = json.loads(client.get("/ogc/collections/mobile_members/items?limit=10000").data)
    cells = body["features"]
    assert cells and all(c["properties"]["members"] >= MIN_CELL_COUNT for c in cells)
    placed = rows(
        conn,
        "SELECT count(*) FROM members WHERE is_mobile "
        "AND coalesce(current_geom, destination_geom) IS NOT NULL",
    )[0][0]
    assert sum(c["properties"]["members"] for c in cells) <= placed
    # each shown cell counts exactly the mobile members inside it
    for c in cells[:5]:
        inside = rows(
            conn,
            "SELECT count(*) FROM members WHERE is_mobile AND ST_Intersects("
            "ST_GeomFromGeoJSON(%s), coalesce(current_geom, destination_geom))",
            (json.dumps(c["geometry"]),),
        )[0][0]
        assert inside == c["properties"]["members"]
    # in tiles too: no feature with a count below the threshold, and no person's name
    lon, lat = cells[0]["geometry"]["coordinates"][0][0]
    x, y = tile_of(lon, lat, 8)
    layers = decode(client.get(f"/ogc/collections/mobile_members/tiles/WebMercatorQuad/8/{x}/{y}"))
    for f in layers["mobile_members"]["features"]:
        assert set(f["properties"]) == {"members"} and f["properties"]["members"] >= MIN_CELL_COUNT


# ------------------------------------------------------------------ who sees what
def _street_committee(conn) -> tuple[str, str]:
    """(code, ltree path) of the street committee holding the most mobile members."""
    return rows(
        conn,
        """SELECT s.code, s.path::text FROM party_orgs s
           JOIN party_orgs b ON b.path <@ s.path JOIN members m ON m.org_id = b.id
           WHERE s.level = 'working_committee' AND m.is_mobile
           GROUP BY s.id ORDER BY count(*) DESC, s.id LIMIT 1""",
    )[0]


def test_personal_points_follow_the_callers_scope(client, client_for, conn):
    code, path = _street_committee(conn)
    secretary = client_for("secretary", scope=code)
    mine = json.loads(secretary.get("/ogc/collections/mobile_member_points/items?limit=10000").data)
    expected = {
        r[0]
        for r in rows(
            conn,
            """SELECT m.id FROM members m WHERE m.is_mobile
                 AND coalesce(m.current_geom, m.destination_geom) IS NOT NULL
                 AND EXISTS (SELECT 1 FROM party_orgs o WHERE o.id IN (m.org_id, m.inflow_org_id)
                             AND o.path <@ %s::ltree)""",
            (path,),
        )
    }
    assert {f["id"] for f in mine["features"]} == expected != set()
    everyone = json.loads(
        client.get("/ogc/collections/mobile_member_points/items?limit=10000").data
    )
    assert everyone["numberMatched"] > mine["numberMatched"]
    # the same in tiles: the z12 tile around a member outside the scope
    outside = next(f for f in everyone["features"] if f["id"] not in expected)
    x, y = tile_of(*outside["geometry"]["coordinates"], 12)
    url = f"/ogc/collections/mobile_member_points/tiles/WebMercatorQuad/12/{x}/{y}"
    admin_ids = {f["id"] for f in decode(client.get(url))["mobile_member_points"]["features"]}
    assert outside["id"] in admin_ids
    res = secretary.get(url)
    seen = (
        set()
        if res.status_code == 204
        else {f["id"] for f in decode(res)["mobile_member_points"]["features"]}
    )
    assert seen == admin_ids & expected
    # another member's point by id: not found for the secretary
    assert (
        secretary.get(f"/ogc/collections/mobile_member_points/items/{outside['id']}").status_code
        == 404
    )


def test_personal_reads_are_audited(client, conn):
    before = rows(conn, "SELECT count(*) FROM audit_log WHERE action LIKE 'ogc_%%'")[0][0]
    client.get("/ogc/collections/mobile_member_points/items?limit=1")
    client.get("/ogc/collections/branches/items?limit=1")  # not personal: not audited
    after = rows(conn, "SELECT count(*) FROM audit_log WHERE action LIKE 'ogc_%%'")[0][0]
    assert after == before + 1


def test_anonymous_gets_401_and_kiosk_only_aggregates(anon_client, client_for):
    for path in (
        "/ogc/collections",
        "/ogc/collections/branches/items",
        "/ogc/collections/branches/tiles/WebMercatorQuad/12/3296/1576",
        "/ogc/collections/mobile_member_points/items",
    ):
        res = anon_client.get(path)
        assert res.status_code == 401, path
        assert res.get_json()["message_en"]
    kiosk = client_for("kiosk")
    listed = {c["id"] for c in kiosk.get("/ogc/collections").get_json()["collections"]}
    assert listed == {lid for lid, layer in all_layers().items() if layer.access == "aggregate"}
    assert "mobile_members" in listed
    assert kiosk.get("/ogc/collections/mobile_members/items").status_code == 200
    for cid in ("mobile_member_points", "branches"):
        res = kiosk.get(f"/ogc/collections/{cid}/items")
        assert res.status_code == 403 and res.get_json()["message"]


def test_kiosk_open_lets_anonymous_see_aggregates_only(db_url):
    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "KIOSK_OPEN": True})
    anon = app.test_client()
    assert anon.get("/ogc/collections/mobile_members/items").status_code == 200
    assert anon.get("/ogc/collections/mobile_member_points/items").status_code == 401
    assert anon.get("/ogc/collections/grids/items").status_code == 401


# ------------------------------------------------------------------ the tile cache
def test_layer_tables_cover_every_table_their_sql_reads(conn):
    """A cached layer lists every table it reads, so no change leaves a stale tile."""
    from mapsvc.ogc.features import _source

    for layer in all_layers().values():
        if not layer.tables:
            assert layer.personal  # only the personal layer goes uncached
            continue
        text = _source(layer, None).as_string(conn)
        with conn.cursor() as cur:
            cur.execute("EXPLAIN (FORMAT JSON) " + text, layer.params)
            plan = json.dumps(cur.fetchone()[0])
        read = set(re.findall(r'"Relation Name": "(\w+)"', plan))
        assert read and read <= set(layer.tables), (layer.id, read - set(layer.tables))


def test_cached_tile_follows_an_edit_through_the_records_api(client, conn):
    bid, lon, lat = rows(
        conn, "SELECT id, ST_X(geom), ST_Y(geom) FROM branch_sites ORDER BY id DESC LIMIT 1"
    )[0]
    x, y = tile_of(lon, lat, 15)
    url = f"/ogc/collections/branches/tiles/WebMercatorQuad/15/{x}/{y}"

    def name_in_tile(res) -> str:
        return next(
            f["properties"]["name"] for f in decode(res)["branches"]["features"] if f["id"] == bid
        )

    first, again = client.get(url), client.get(url)
    assert again.headers["X-Tile-Cache"] == "hit" and again.data == first.data
    assert again.headers["Cache-Control"] == "private, no-cache"
    unchanged = client.get(url, headers={"If-None-Match": again.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    record = client.get(f"/api/v1/orgs/{bid}")
    old = record.get_json()["name"]
    res = client.patch(
        f"/api/v1/orgs/{bid}",
        json={"name": old + "（改）"},
        headers={"If-Match": record.headers["ETag"]},
    )
    assert res.status_code == 200, res.data
    try:
        after = client.get(url, headers={"If-None-Match": again.headers["ETag"]})
        assert after.status_code == 200 and after.headers["X-Tile-Cache"] == "miss"
        assert name_in_tile(after) == old + "（改）"
    finally:
        back = client.patch(
            f"/api/v1/orgs/{bid}", json={"name": old}, headers={"If-Match": res.headers["ETag"]}
        )
        assert back.status_code == 200
    assert name_in_tile(client.get(url)) == old


def test_member_counts_in_cached_tiles_follow_a_new_member(client, conn):
    bid, lon, lat, n = rows(
        conn,
        """SELECT b.id, ST_X(b.geom), ST_Y(b.geom), count(m.id) FROM branch_sites b
           JOIN members m ON m.org_id = b.id GROUP BY b.id, b.geom ORDER BY b.id LIMIT 1""",
    )[0]
    x, y = tile_of(lon, lat, 14)
    url = f"/ogc/collections/branches/tiles/WebMercatorQuad/14/{x}/{y}"

    def count() -> int:
        feats = decode(client.get(url))["branches"]["features"]
        return next(f["properties"]["member_count"] for f in feats if f["id"] == bid)

    assert count() == count() == n
    code = rows(conn, "SELECT code FROM party_orgs WHERE id = %s", (bid,))[0][0]
    made = client.post(
        "/api/v1/members",
        json={
            "org_code": code,
            "name": "缓存测试",
            "gender": "F",
            "birth_year": 1990,
            "joined_on": "2015-07-01",
            "status": "full",
        },
    )
    assert made.status_code == 201, made.data
    try:
        assert count() == n + 1
    finally:
        assert client.delete(f"/api/v1/members/{made.get_json()['id']}").status_code in (200, 204)
    assert count() == n


def test_admin_area_tiles_name_their_areas(client, conn):
    code, lon, lat, name = rows(
        conn,
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), name "
        "FROM admin_areas WHERE level = 'community' ORDER BY code LIMIT 1",
    )[0]
    x, y = tile_of(lon, lat, 14)
    feats = decode(client.get(f"/ogc/collections/admin_areas/tiles/WebMercatorQuad/14/{x}/{y}"))
    found = {f["properties"]["code"]: f for f in feats["admin_areas"]["features"]}
    assert found[code]["properties"]["name"] == name
    # the id is the division code: a number in a tile when the layer asks for MVT ids
    if all_layers()["admin_areas"].tile_id:
        assert found[code]["id"] == int(code)
    world = client.get("/ogc/collections/admin_areas/tiles/WebMercatorQuad/1/1/0")
    assert {f["properties"]["level"] for f in decode(world)["admin_areas"]["features"]} >= {
        "county"
    }


def test_low_zoom_tiles_carry_only_what_the_map_draws_with(client, busy_point):
    layer = all_layers()["branches"]
    for z in (10, 14):
        x, y = tile_of(*busy_point, z)
        feats = decode(client.get(f"/ogc/collections/branches/tiles/WebMercatorQuad/{z}/{x}/{y}"))
        keys = {k for f in feats["branches"]["features"] for k in f["properties"]}
        assert keys == {p.name for p in layer.tile_properties_at(z)}
    assert {p.name for p in layer.tile_properties_at(10)} == {"level", "category", "member_count"}
    assert "secretary" in {p.name for p in layer.tile_properties_at(14)}


def test_every_table_a_layer_reads_has_a_change_count(conn):
    counted = {r[0] for r in rows(conn, "SELECT table_name FROM layer_versions")}
    needed = {t for layer in all_layers().values() for t in layer.tables}
    assert needed <= counted, needed - counted
    triggers = {
        r[0]
        for r in rows(
            conn,
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'bump_layer_version'",
        )
    }
    assert needed <= triggers, needed - triggers
