"""Locate and nearest, checked against independent computations (pyproj.Geod, shapely)."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlparse

import pytest
import shapely
from pyproj import Geod

from geodata import crs

GEOD = Geod(ellps="WGS84")
SOURCES = {
    "branch": "SELECT id, ST_X(geom), ST_Y(geom) FROM party_orgs WHERE is_branch_level "
    "AND status = 'active' AND category <> 'migrant' AND geom IS NOT NULL",
    "service_point": "SELECT id, ST_X(geom), ST_Y(geom) FROM service_points",
    "migrant_group": "SELECT id, ST_X(geom), ST_Y(geom) FROM party_orgs "
    "WHERE category = 'migrant' AND status = 'active'",
}


def rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


@pytest.fixture(scope="module")
def district_points(db_url):
    """Seeded random points inside the district."""
    import psycopg2

    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT ST_AsBinary(geom) FROM admin_areas WHERE level = 'county'")
        district = shapely.from_wkb(bytes(cur.fetchone()[0]))
    rng = random.Random(5)
    minx, miny, maxx, maxy = district.bounds
    pts = []
    while len(pts) < 25:
        # half near the urban core, where sites are dense and ties are likely
        if len(pts) % 2:
            x, y = 109.7345 + rng.uniform(-0.03, 0.03), 38.2852 + rng.uniform(-0.025, 0.025)
        else:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if district.contains(shapely.Point(x, y)):
            pts.append((x, y))
    return pts


def brute_force_nearest(conn, kind, lon, lat, k):
    sites = rows(conn, SOURCES[kind])
    ids = [s[0] for s in sites]
    _, _, dist = GEOD.inv(
        [lon] * len(sites), [lat] * len(sites), [s[1] for s in sites], [s[2] for s in sites]
    )
    ranked = sorted(zip(dist, ids, strict=True))[:k]
    return [(i, d) for d, i in ranked]


@pytest.mark.parametrize("kind", ["branch", "service_point", "migrant_group"])
def test_nearest_are_exactly_the_k_geodesic_nearest(client, conn, district_points, kind):
    for lon, lat in district_points:
        k = 7
        res = client.get(f"/api/v1/nearest?lon={lon}&lat={lat}&kind={kind}&k={k}")
        assert res.status_code == 200
        body = res.get_json()
        got = [(f["id"], f["properties"]["distance_m"]) for f in body["features"]]
        expected = brute_force_nearest(conn, kind, lon, lat, k)
        assert [i for i, _ in got] == [i for i, _ in expected]
        for (_, d_got), (_, d_exp) in zip(got, expected, strict=True):
            assert abs(d_got - d_exp) <= 0.5


def test_nearest_features_carry_their_collection_id_and_bearing(client, conn):
    lon, lat = 109.7345, 38.2852
    body = client.get(f"/api/v1/nearest?lon={lon}&lat={lat}&kind=service_point&k=5").get_json()
    assert body["type"] == "FeatureCollection"
    for f in body["features"]:
        p = f["properties"]
        assert f["id"] == p["id"]
        assert (
            rows(conn, "SELECT name FROM service_points WHERE id = %s", (f["id"],))[0][0]
            == p["name"]
        )
        fwd, _, _ = GEOD.inv(lon, lat, *f["geometry"]["coordinates"])
        assert abs(((p["bearing_deg"] - fwd) + 180) % 360 - 180) < 0.5
        assert p["level"] in ("district_centre", "street_centre", "community_centre", "station")
        assert p["walk_minutes"] > 0


def test_walking_uses_the_road_network_and_the_stated_speed(client):
    body = client.get("/api/v1/nearest?lon=109.7345&lat=38.2852&kind=branch&k=10").get_json()
    speed = body["walking_speed_m_per_min"]
    routed = [f["properties"] for f in body["features"] if f["properties"]["network_distance_m"]]
    assert routed, "the urban core has roads: distances on foot are expected"
    for p in routed:
        # a walk is never shorter than the straight line (1 m for rounding)
        assert p["network_distance_m"] >= p["distance_m"] - 1
        assert p["network_distance_m"] < 4 * p["distance_m"] + 600
        assert p["walk_basis"] == "network"
        assert p["walk_minutes"] == pytest.approx(p["network_distance_m"] / speed, abs=0.06)


def test_network_distance_matches_a_pgrouting_route_between_vertices(client, conn):
    # put the query point and the target exactly on two road vertices: the walk must equal
    # pgr_dijkstra's shortest path between them
    a, b = rows(
        conn,
        """
        SELECT v.id, ST_X(v.geom), ST_Y(v.geom) FROM road_vertices v
        WHERE v.geom && ST_Expand(ST_SetSRID(ST_MakePoint(109.7345, 38.2852), 4326), 0.01)
        ORDER BY v.id LIMIT 2 OFFSET 3""",
    )[0:2]
    from mapsvc.infra.db import cursor
    from mapsvc.lookup import service as lookup

    expected = rows(
        conn,
        """SELECT max(agg_cost) FROM pgr_dijkstra(
        'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads',
        %s, %s, false)""",
        (a[0], b[0]),
    )[0][0]
    with cursor(conn.dsn) as cur:
        got = lookup.network_distances(cur, a[1], a[2], [{"id": 1, "lon": b[1], "lat": b[2]}])
    assert got[1] == pytest.approx(expected, abs=0.5)


def test_inputs_in_gcj02_and_bd09_find_the_same_place(client):
    lon, lat = 109.7401, 38.2902
    base = client.get(f"/api/v1/nearest?lon={lon}&lat={lat}&kind=branch&k=3").get_json()
    for name in ("gcj02", "bd09"):
        x, y = crs.from_wgs84(lon, lat, name)
        other = client.get(f"/api/v1/nearest?lon={x}&lat={y}&crs={name}&kind=branch&k=3").get_json()
        assert [f["id"] for f in other["features"]] == [f["id"] for f in base["features"]]
        for f, g in zip(other["features"], base["features"], strict=True):
            assert f["properties"]["distance_m"] == pytest.approx(
                g["properties"]["distance_m"], abs=0.05
            )


def test_out_crs_gives_coordinates_for_gaode(client):
    body = client.get(
        "/api/v1/nearest?lon=109.7345&lat=38.2852&kind=service_point&k=2&out_crs=gcj02"
    ).get_json()
    wgs = client.get("/api/v1/nearest?lon=109.7345&lat=38.2852&kind=service_point&k=2").get_json()
    assert body["crs"] == "gcj02"
    for f, g in zip(body["features"], wgs["features"], strict=True):
        x, y = crs.from_wgs84(*g["geometry"]["coordinates"], "gcj02")
        assert f["geometry"]["coordinates"] == pytest.approx([x, y], abs=1e-6)


def test_navigation_links_point_to_the_place_in_each_apps_coordinates(client):
    body = client.get("/api/v1/nearest?lon=109.7345&lat=38.2852&kind=branch&k=1").get_json()
    f = body["features"][0]
    lon, lat = f["geometry"]["coordinates"]
    nav = f["properties"]["navigation"]
    gaode = parse_qs(urlparse(nav["gaode"]).query)
    to_lon, to_lat, to_name = gaode["to"][0].split(",")
    glon, glat = crs.from_wgs84(lon, lat, "gcj02")
    assert (float(to_lon), float(to_lat)) == pytest.approx((glon, glat), abs=2e-6)
    assert to_name == f["properties"]["name"]
    assert nav["gaode"].startswith("https://uri.amap.com/navigation?")
    baidu = parse_qs(urlparse(nav["baidu"]).query)
    latlng = baidu["destination"][0].split("|")[0].removeprefix("latlng:")
    blat, blon = (float(v) for v in latlng.split(","))
    expected = crs.from_wgs84(lon, lat, "bd09")
    assert (blon, blat) == pytest.approx(expected, abs=2e-6)
    assert baidu["coord_type"] == ["bd09ll"]
    assert nav["gaode_app"].startswith("amapuri://") and nav["baidu_app"].startswith("baidumap://")


def test_max_distance_and_category_filter(client):
    near = client.get(
        "/api/v1/nearest?lon=109.7345&lat=38.2852&kind=branch&k=50&max_distance_m=600"
    ).get_json()["features"]
    assert near and all(f["properties"]["distance_m"] <= 600 for f in near)
    schools = client.get(
        "/api/v1/nearest?lon=109.7345&lat=38.2852&kind=branch&k=5&category=school"
    ).get_json()["features"]
    assert schools and all(f["properties"]["category"] == "school" for f in schools)
    centres = client.get(
        "/api/v1/nearest?lon=109.7345&lat=38.2852&kind=service_point&k=3&category=street_centre"
    ).get_json()["features"]
    assert centres and all(f["properties"]["level"] == "street_centre" for f in centres)


@pytest.mark.parametrize(
    "query, code",
    [
        ("lat=38.28", "missing_parameter"),
        ("lon=&lat=38.28", "missing_parameter"),
        ("lon=abc&lat=38.28", "not_a_number"),
        ("lon=inf&lat=38.28", "not_a_number"),
        ("lon=109.73&lat=95", "out_of_range"),
        ("lon=2.35&lat=48.85", "outside_china"),
        ("lon=38.28&lat=109.73", "swapped_lonlat"),
        ("lon=109.73&lat=38.28&crs=mercator", "unknown_crs"),
        ("lon=109.73&lat=38.28&crs=EPSG:99999", "unknown_epsg"),
        ("lon=109.73&lat=38.28&k=0", "out_of_range"),
        ("lon=109.73&lat=38.28&k=51", "out_of_range"),
        ("lon=109.73&lat=38.28&k=two", "not_an_integer"),
        ("lon=109.73&lat=38.28&kind=hospital", "unknown_kind"),
        ("lon=109.73&lat=38.28&max_distance_m=-5", "out_of_range"),
        ("lon=109.73&lat=38.28&category=bank", "unknown_category"),
        ("lon=109.73&lat=38.28&out_crs=nonsense", "unknown_crs"),
    ],
)
def test_bad_input_gets_400_in_both_languages(client, query, code):
    for path in ("/api/v1/nearest", "/api/v1/locate"):
        if path.endswith("locate") and any(
            p in query for p in ("k=", "kind=", "max_", "category", "out_crs")
        ):
            continue
        res = client.get(f"{path}?{query}")
        assert res.status_code == 400, (path, query, res.get_json())
        body = res.get_json()
        assert body["code"] == code
        assert body["message"] and body["message_en"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_swapped_coordinates_are_named_as_swapped(client):
    body = client.get("/api/v1/nearest?lon=38.28&lat=109.73").get_json()
    assert "颠倒" in body["message"] and "swapped" in body["message_en"]


def test_locate_names_every_level_and_the_grid(client, conn):
    grid_code, community, lon, lat = rows(
        conn,
        """
        SELECT code, community_code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
        FROM grids ORDER BY code OFFSET 7 LIMIT 1""",
    )[0]
    res = client.get(f"/api/v1/locate?lon={lon}&lat={lat}")
    assert res.status_code == 200
    body = res.get_json()
    assert body["grid"]["code"] == grid_code
    assert body["community"]["code"] == community
    assert body["street"]["code"] == community[:9] + "000"
    assert body["county"]["code"] == community[:6] + "000000"
    assert body["district"] == body["county"]  # the name clients read before issue 18
    assert body["grid"]["grid_worker"]
    assert "****" in body["grid"]["grid_worker_phone"]
    # the branch that answers for the grid belongs to the grid's community
    assert (
        rows(conn, "SELECT admin_area_code FROM party_orgs WHERE id = %s", (body["branch"]["id"],))[
            0
        ][0]
        == community
    )
    nearest = client.get(f"/api/v1/nearest?lon={lon}&lat={lat}&kind=service_point&k=1").get_json()
    assert body["nearest_service_point"]["id"] == nearest["features"][0]["id"]
    assert "geometry" not in body["grid"]


def test_locate_with_geometry_returns_the_grid_polygon_around_the_point(client, conn):
    lon, lat = rows(
        conn,
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM grids ORDER BY code DESC LIMIT 1",
    )[0]
    body = client.get(f"/api/v1/locate?lon={lon}&lat={lat}&with_geometry=true").get_json()
    grid = shapely.geometry.shape(body["grid"]["geometry"])
    community = shapely.geometry.shape(body["community"]["geometry"])
    assert grid.buffer(1e-9).contains(shapely.Point(lon, lat))
    assert community.buffer(1e-7).contains(grid)


def test_locate_outside_every_area_is_404_with_a_message(client):
    res = client.get("/api/v1/locate?lon=116.397&lat=39.909")  # Beijing: in China, not here
    assert res.status_code == 404
    body = res.get_json()
    assert body["code"] == "outside_area"
    assert "不在" in body["message"] and "outside" in body["message_en"]


def test_locate_accepts_baidu_coordinates(client, conn):
    lon, lat = rows(
        conn,
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM grids ORDER BY code LIMIT 1 OFFSET 3",
    )[0]
    x, y = crs.from_wgs84(lon, lat, "bd09")
    a = client.get(f"/api/v1/locate?lon={lon}&lat={lat}").get_json()
    b = client.get(f"/api/v1/locate?lon={x}&lat={y}&crs=bd09").get_json()
    assert a["grid"]["code"] == b["grid"]["code"]
    assert b["point"]["lon"] == pytest.approx(lon, abs=1e-7)


def test_search_by_pinyin_initials_name_and_code(client, conn):
    street = rows(conn, "SELECT code, name FROM admin_areas WHERE name = '鼓楼街道'")[0]
    for q in ("gljd", "gldj", "鼓楼", "gulou", street[0]):
        items = client.get(f"/api/v1/search?q={q}").get_json()["items"]
        assert street[0] in [i["code"] for i in items[:3]], q
    assert client.get("/api/v1/search?q=").status_code == 400
    assert client.get("/api/v1/search?q=" + "x" * 51).status_code == 400


def test_admin_areas_lists_streets_with_geometry(client, conn):
    body = client.get("/api/v1/admin-areas?level=street,town&geometry=simplified").get_json()
    expected = rows(conn, "SELECT count(*) FROM admin_areas WHERE level IN ('street', 'town')")[0][
        0
    ]
    assert body["total"] == expected == len(body["items"])
    assert all(i["geometry"]["type"] == "MultiPolygon" for i in body["items"])
    assert client.get("/api/v1/admin-areas?level=planet").status_code == 400


def test_unknown_api_path_is_json_404(client):
    res = client.get("/api/v1/nowhere")
    assert res.status_code == 404
    assert res.get_json()["code"] == "not_found"


@pytest.mark.parametrize("reach_m", [2000, 300])
def test_precomputed_walks_agree_with_routing_on_the_fly(conn, reach_m):
    # the lookup reads short walks from road_walks and routes longer ones with pgRouting; with
    # any reach, each answer must equal a pgRouting search over the whole network
    from psycopg2.extras import RealDictCursor

    from mapsvc.lookup import service as lookup
    from mapsvc.lookup.service import query

    cur = conn.cursor(cursor_factory=RealDictCursor)
    cur.execute("SELECT refresh_road_walks(%s)", (reach_m,))  # rolled back after the test
    rng = random.Random(reach_m)
    whole = "SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads"
    for _ in range(12):
        lon, lat = 109.7345 + rng.uniform(-0.02, 0.02), 38.2852 + rng.uniform(-0.015, 0.015)
        targets = [
            {
                "id": i,
                "lon": lon + rng.uniform(-0.012, 0.012),
                "lat": lat + rng.uniform(-0.009, 0.009),
            }
            for i in range(1, 4)
        ]
        got = lookup.network_distances(cur, lon, lat, targets)
        cur.execute(
            query("road_route_search").replace("{snap}", query("road_snap")),
            {
                "pids": [1, 2, 3, 4],
                "lons": [lon] + [t["lon"] for t in targets],
                "lats": [lat] + [t["lat"] for t in targets],
                "edges": whole,
                "max_snap_m": lookup.MAX_SNAP_M,
            },
        )
        expected = {r["pid"] - 1: r["network_m"] for r in cur.fetchall()}
        for t in targets:
            assert got[t["id"]] == pytest.approx(expected[t["id"]], abs=0.2)
