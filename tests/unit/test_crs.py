"""Tests for geodata.crs: parsing, GCJ-02/BD-09 and pyproj conversions, lon/lat checks."""

import time

import numpy as np
import prcoords  # test-only dependency: independent implementation of GCJ-02/BD-09
import pyproj
import pytest
import shapely

from geodata.crs import (
    BD09,
    CGCS2000,
    GCJ02,
    WGS84,
    CoordinateError,
    Crs,
    CrsError,
    check_lonlat_in_china,
    from_wgs84,
    gauss_kruger_crs,
    parse_crs,
    to_wgs84,
    transform_geometry,
    transform_xy,
)

GEOD = pyproj.Geod(ellps="WGS84")
ROUND_TRIP_M = 0.01  # the required accuracy: one centimetre
YULIN = (109.73, 38.28)  # 榆阳区, the demo city (lon, lat)
BEIJING = (116.3975, 39.9087)  # Tiananmen (lon, lat)


def metres(lon1, lat1, lon2, lat2):
    """Geodesic distance in metres between two (arrays of) WGS84 points."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.fixture(scope="module")
def china_points():
    """A regular grid over China's box plus seeded random points (about 12,000)."""
    glon, glat = np.meshgrid(np.linspace(73, 135, 63), np.linspace(18, 54, 37))
    rng = np.random.default_rng(20240601)
    rlon = rng.uniform(73, 135, 10_000)
    rlat = rng.uniform(18, 54, 10_000)
    # Points right at 105 E, where the formula's sqrt(|lon - 105|) term is not smooth.
    slon = 105.0 + np.array([0.0, 1e-12, -1e-12, 1e-6, -1e-6])
    slat = np.full(slon.shape, 35.0)
    return (
        np.concatenate([glon.ravel(), rlon, slon]),
        np.concatenate([glat.ravel(), rlat, slat]),
    )


# --------------------------------------------------------------------------- parse_crs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wgs84", WGS84),
        ("WGS84", WGS84),
        ("WGS-84", WGS84),
        (" wgs_84 ", WGS84),
        ("EPSG:4326", WGS84),
        ("epsg:4326", WGS84),
        ("cgcs2000", CGCS2000),
        ("CGCS2000", CGCS2000),
        ("EPSG:4490", CGCS2000),
        ("gcj02", GCJ02),
        ("GCJ-02", GCJ02),
        ("gcj02ll", GCJ02),
        ("bd09", BD09),
        ("BD-09", BD09),
        ("bd09ll", BD09),
    ],
)
def test_parse_named(text, expected):
    assert parse_crs(text) == expected


def test_parse_epsg_projected():
    crs = parse_crs("EPSG:4546")
    assert crs == Crs("EPSG:4546", 4546)
    assert crs.name == str(crs) == "EPSG:4546"
    assert not crs.is_geographic
    assert not crs.is_obfuscated
    assert "Gauss-Kruger" in crs.label
    assert crs.to_pyproj().to_epsg() == 4546
    assert parse_crs(crs) is crs


def test_obfuscated_systems_have_no_pyproj_crs():
    assert GCJ02.is_obfuscated and BD09.is_obfuscated
    with pytest.raises(CrsError):
        GCJ02.to_pyproj()


def test_parse_unknown_gives_bilingual_error():
    with pytest.raises(CrsError) as info:
        parse_crs("xyz")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.code == "unknown_crs"
    assert err.message.startswith("未知的坐标系：xyz")
    assert err.message_en == (
        "unknown coordinate system: xyz; use wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN"
    )
    assert str(err) == f"{err.message} / {err.message_en}"
    assert err.as_dict() == {
        "code": "unknown_crs",
        "message": err.message,
        "message_en": err.message_en,
    }


@pytest.mark.parametrize(
    ("text", "code", "hint"),
    [
        ("4490", "unknown_crs", "did you mean EPSG:4490?"),
        ("gaode", "unknown_crs", "gcj02"),
        ("Baidu", "unknown_crs", "bd09"),
        ("bd09mc", "unknown_crs", "Baidu Mercator is not supported"),
        ("", "unknown_crs", "empty coordinate system"),
        ("EPSG:", "unknown_crs", "use wgs84"),
        ("EPSG:999999", "unknown_epsg", "unknown EPSG code"),
        ("EPSG:4978", "unsupported_crs", "only 2-D geographic or projected"),  # geocentric
        ("EPSG:5773", "unsupported_crs", "only 2-D geographic or projected"),  # vertical
    ],
)
def test_parse_errors(text, code, hint):
    with pytest.raises(CrsError) as info:
        parse_crs(text)
    assert info.value.code == code
    assert hint in info.value.message_en
    assert info.value.message  # Chinese text is always there too


def test_parse_non_string():
    with pytest.raises(CrsError):
        parse_crs(4326)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- GCJ-02 / BD-09


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_round_trip_through_obfuscated(china_points, crs):
    lon, lat = china_points
    x, y = from_wgs84(lon, lat, crs)
    back_lon, back_lat = to_wgs84(x, y, crs)
    assert metres(lon, lat, back_lon, back_lat).max() < ROUND_TRIP_M
    # And the obfuscation really moved every point (so the test above is not vacuous).
    assert metres(lon, lat, x, y).min() > 10  # the GCJ-02 offset dips to ~18 m in places


def test_gcj02_bd09_direct(china_points):
    lon, lat = china_points
    gx, gy = from_wgs84(lon, lat, "gcj02")
    bx, by = transform_xy(gx, gy, "gcj02", "bd09")
    vx, vy = from_wgs84(lon, lat, "bd09")
    assert metres(bx, by, vx, vy).max() < ROUND_TRIP_M
    rx, ry = transform_xy(bx, by, "bd09", "gcj02")
    assert metres(gx, gy, rx, ry).max() < ROUND_TRIP_M


def _sample(points, n=1500):
    lon, lat = points
    return lon[:: max(1, lon.size // n)], lat[:: max(1, lat.size // n)]


def test_forward_agrees_with_prcoords(china_points):
    lon, lat = _sample(china_points)
    gx, gy = from_wgs84(lon, lat, "gcj02")
    bx, by = from_wgs84(lon, lat, "bd09")
    # prcoords takes and returns (lat, lon).
    pg = np.array([prcoords.wgs_gcj((b, a)) for a, b in zip(lon, lat, strict=True)])
    pb = np.array([prcoords.wgs_bd((b, a)) for a, b in zip(lon, lat, strict=True)])
    assert metres(gx, gy, pg[:, 1], pg[:, 0]).max() < ROUND_TRIP_M
    assert metres(bx, by, pb[:, 1], pb[:, 0]).max() < ROUND_TRIP_M


def test_inverse_agrees_with_prcoords(china_points, monkeypatch):
    # prcoords' iterative ("bored") inverses stop at 1e-5 degrees by default, which leaves
    # up to ~2 cm for BD-09; tighten it so both sides are exact and must agree.
    monkeypatch.setattr(prcoords, "PRC_EPS", 1e-12)
    lon, lat = _sample(china_points)
    gx, gy = from_wgs84(lon, lat, "gcj02")
    bx, by = from_wgs84(lon, lat, "bd09")
    wg = np.array([prcoords.gcj_wgs_bored((b, a)) for a, b in zip(gx, gy, strict=True)])
    wb = np.array([prcoords.bd_wgs_bored((b, a)) for a, b in zip(bx, by, strict=True)])
    ours_g = to_wgs84(gx, gy, "gcj02")
    ours_b = to_wgs84(bx, by, "bd09")
    assert metres(*ours_g, wg[:, 1], wg[:, 0]).max() < ROUND_TRIP_M
    assert metres(*ours_b, wb[:, 1], wb[:, 0]).max() < ROUND_TRIP_M
    gb = np.array([prcoords.bd_gcj_bored((b, a)) for a, b in zip(bx, by, strict=True)])
    ours_gb = transform_xy(bx, by, "bd09", "gcj02")
    assert metres(*ours_gb, gb[:, 1], gb[:, 0]).max() < ROUND_TRIP_M


def test_inverse_is_exact_under_prcoords_forward(china_points):
    # Independent of any inverse: prcoords' forward of our inverse must give the input back.
    lon, lat = _sample(china_points)
    for crs, forward in (("gcj02", prcoords.wgs_gcj), ("bd09", prcoords.wgs_bd)):
        wlon, wlat = to_wgs84(lon, lat, crs)
        f = np.array([forward((b, a)) for a, b in zip(wlon, wlat, strict=True)])
        assert metres(lon, lat, f[:, 1], f[:, 0]).max() < ROUND_TRIP_M, crs


def test_crude_inverse_would_not_do(china_points):
    # Guard the reason for iterating: prcoords' one-step inverse is metres off.
    lon, lat = _sample(china_points)
    gx, gy = from_wgs84(lon, lat, "gcj02")
    crude = np.array([prcoords.gcj_wgs((b, a)) for a, b in zip(gx, gy, strict=True)])
    assert metres(lon, lat, crude[:, 1], crude[:, 0]).max() > 1.0


def test_published_offsets_at_beijing():
    # domain.md: "at Beijing about 556 m and 1380 m".
    lon, lat = BEIJING
    assert 546 < metres(lon, lat, *from_wgs84(lon, lat, "gcj02")) < 566
    assert 1365 < metres(lon, lat, *from_wgs84(lon, lat, "bd09")) < 1395


def test_offsets_at_yulin_are_plausible():
    lon, lat = YULIN
    gx, gy = from_wgs84(lon, lat, "gcj02")
    assert 300 < metres(lon, lat, gx, gy) < 800
    assert gx > lon  # GCJ-02 shifts east in this part of China
    assert 900 < metres(lon, lat, *from_wgs84(lon, lat, "bd09")) < 1600


@pytest.mark.parametrize("point", [(-0.1276, 51.5072), (139.6917, 35.6895), (151.2, -33.9)])
def test_gcj02_is_identity_outside_china_box(point):
    # London, Tokyo (east of 137.8347 E), Sydney: outside the rough box GCJ-02 == WGS84.
    lon, lat = point
    assert from_wgs84(lon, lat, "gcj02") == (lon, lat)
    assert to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_bd09_outside_china_still_applies_baidu_step():
    # Like prcoords/coordtransform, GCJ-02 -> BD-09 has no box: only the GCJ part is boxed.
    lon, lat = -0.1276, 51.5072
    bx, by = from_wgs84(lon, lat, "bd09")
    assert (bx, by) == transform_xy(lon, lat, "gcj02", "bd09")
    back = to_wgs84(bx, by, "bd09")
    assert metres(lon, lat, *back) < ROUND_TRIP_M


def test_nan_stays_nan():
    for crs in ("gcj02", "bd09", "EPSG:4546", "cgcs2000"):
        x, y = from_wgs84(np.array([np.nan, YULIN[0]]), np.array([np.nan, YULIN[1]]), crs)
        assert np.isnan(x[0]) and np.isnan(y[0]) and np.isfinite(x[1])
        x, y = to_wgs84(np.array([np.nan]), np.array([np.nan]), crs)
        assert np.isnan(x[0]) and np.isnan(y[0])


# --------------------------------------------------------------------------- pyproj systems


def test_yulin_gauss_kruger_zone():
    lon, lat = YULIN
    crs = gauss_kruger_crs(lon)
    assert crs.epsg == 4546  # CGCS2000 / 3-degree Gauss-Kruger CM 111E
    area = pyproj.CRS.from_epsg(4546).area_of_use
    assert area.west <= lon <= area.east and area.south <= lat <= area.north
    assert area.west == 109.5 and area.east == 112.5
    assert gauss_kruger_crs(lon, zone_prefix=True).epsg == 4525  # zone 37, easting 37xxxxxx
    assert gauss_kruger_crs(lon, zone_width=6).epsg == 4508  # 6-degree CM 111E
    assert gauss_kruger_crs(lon, zone_width=6, zone_prefix=True).epsg == 4497  # zone 19
    # EPSG:4526 is zone 38 (CM 114E, 112.5-115.5E): not Yulin's.
    assert pyproj.CRS.from_epsg(4526).area_of_use.west == 112.5


@pytest.mark.parametrize("lon", [73.0, 75.0, 76.4, 76.6, 104.9, 109.73, 120.0, 134.9, 135.0])
def test_gauss_kruger_zone_covers_longitude(lon):
    for width in (3, 6):
        area = gauss_kruger_crs(lon, zone_width=width).to_pyproj().area_of_use
        # Clamped end zones may not list the extreme longitudes; allow half a zone.
        assert area.west - width / 2 <= lon <= area.east + width / 2


def test_gauss_kruger_outside_china():
    with pytest.raises(CoordinateError) as info:
        gauss_kruger_crs(10.0)
    assert info.value.code == "outside_china"
    with pytest.raises(ValueError):
        gauss_kruger_crs(110.0, zone_width=5)


def test_gauss_kruger_round_trip_at_yulin():
    lon, lat = YULIN
    east, north = from_wgs84(lon, lat, "EPSG:4546")
    # x is easting (always_xy): west of CM 111E, so below the 500 km false easting.
    assert 380_000 < east < 400_000
    assert 4_200_000 < north < 4_300_000
    assert metres(lon, lat, *to_wgs84(east, north, "EPSG:4546")) < 1e-6
    east37, north37 = from_wgs84(lon, lat, "EPSG:4525")
    assert east37 - east == pytest.approx(37_000_000, abs=1e-6)
    assert north37 == pytest.approx(north, abs=1e-6)
    # Zone to zone directly.
    assert transform_xy(east, north, "EPSG:4546", "EPSG:4525") == pytest.approx(
        (east37, north37), abs=1e-6
    )


def test_gauss_kruger_round_trip_grid():
    rng = np.random.default_rng(7)
    lon = rng.uniform(109.5, 112.5, 5000)
    lat = rng.uniform(34, 40, 5000)
    east, north = from_wgs84(lon, lat, "EPSG:4546")
    assert metres(lon, lat, *to_wgs84(east, north, "EPSG:4546")).max() < 1e-6


def test_cgcs2000_is_wgs84_at_map_accuracy(china_points):
    lon, lat = china_points
    x, y = from_wgs84(lon, lat, "cgcs2000")
    assert metres(lon, lat, x, y).max() < 1e-6
    x, y = to_wgs84(lon, lat, CGCS2000)
    assert metres(lon, lat, x, y).max() < 1e-6


def test_cgcs2000_to_gcj02_goes_through_wgs84():
    lon, lat = YULIN
    assert transform_xy(lon, lat, "cgcs2000", "gcj02") == pytest.approx(
        from_wgs84(lon, lat, "gcj02"), abs=1e-12
    )


# --------------------------------------------------------------------------- array handling


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09", "EPSG:4546", "EPSG:3857"])
def test_arrays_match_scalars(crs):
    rng = np.random.default_rng(3)
    lon = rng.uniform(100, 120, 60)
    lat = rng.uniform(25, 45, 60)
    ax, ay = from_wgs84(lon, lat, crs)
    bx, by = to_wgs84(ax, ay, crs)
    for i in range(lon.size):
        sx, sy = from_wgs84(lon[i], lat[i], crs)
        assert isinstance(sx, float) and isinstance(sy, float)
        assert (sx, sy) == pytest.approx((ax[i], ay[i]), rel=0, abs=1e-9)
        assert to_wgs84(sx, sy, crs) == pytest.approx((bx[i], by[i]), rel=0, abs=1e-9)


def test_array_shapes_and_inputs():
    lon = np.full((3, 4), YULIN[0])
    lat = np.full((3, 4), YULIN[1])
    x, y = from_wgs84(lon, lat, "gcj02")
    assert x.shape == y.shape == (3, 4)
    # Lists and broadcasting of a scalar against an array.
    x2, y2 = from_wgs84([YULIN[0]] * 4, YULIN[1], "gcj02")
    assert x2.shape == (4,)
    assert np.all(x2 == x[0, 0]) and np.all(y2 == y[0, 0])
    # Empty arrays are fine; inputs are never modified in place.
    ex, ey = to_wgs84(np.array([]), np.array([]), "bd09")
    assert ex.size == ey.size == 0
    keep = lon.copy()
    to_wgs84(lon, lat, "gcj02")
    assert np.array_equal(lon, keep)


def test_vectorised_speed():
    # Catches an accidental per-point Python loop (which would take tens of seconds).
    rng = np.random.default_rng(11)
    n = 200_000
    lon = rng.uniform(73, 135, n)
    lat = rng.uniform(18, 54, n)
    for crs, limit in (("EPSG:4546", 1.0), ("gcj02", 3.0), ("bd09", 3.0)):
        start = time.perf_counter()
        to_wgs84(*from_wgs84(lon, lat, crs), crs)
        assert time.perf_counter() - start < limit, crs


# --------------------------------------------------------------------------- geometries


def test_transform_geometry_matches_points():
    ring = [(109.70, 38.25), (109.76, 38.25), (109.76, 38.31), (109.70, 38.31), (109.70, 38.25)]
    poly = shapely.Polygon(ring, holes=[[(109.72, 38.27), (109.74, 38.27), (109.73, 38.29)]])
    line = shapely.LineString(ring[:3])
    for crs in ("gcj02", "bd09", "EPSG:4546"):
        out = transform_geometry(poly, "wgs84", crs)
        coords = shapely.get_coordinates(poly)
        x, y = from_wgs84(coords[:, 0], coords[:, 1], crs)
        np.testing.assert_allclose(shapely.get_coordinates(out), np.column_stack([x, y]))
        assert len(out.interiors) == 1
        back = transform_geometry(out, crs, WGS84)
        err = metres(coords[:, 0], coords[:, 1], *shapely.get_coordinates(back).T)
        assert err.max() < ROUND_TRIP_M
        out_line = transform_geometry(line, "wgs84", crs)
        np.testing.assert_allclose(shapely.get_coordinates(out_line), np.column_stack([x, y])[:3])


def test_transform_geometry_keeps_z_none_and_empty():
    point = shapely.Point(YULIN[0], YULIN[1], 1234.5)
    out = transform_geometry(point, "wgs84", "gcj02")
    assert out.has_z and out.z == 1234.5
    assert (out.x, out.y) == pytest.approx(from_wgs84(*YULIN, "gcj02"), abs=1e-12)
    assert not transform_geometry(shapely.Point(*YULIN), "wgs84", "gcj02").has_z
    assert transform_geometry(None, "wgs84", "gcj02") is None
    assert transform_geometry(shapely.Polygon(), "wgs84", "bd09").is_empty
    arr = transform_geometry(np.array([shapely.Point(*YULIN), None]), "wgs84", "bd09")
    assert arr[1] is None and arr[0].x == pytest.approx(from_wgs84(*YULIN, "bd09")[0])


def test_transform_geometry_same_crs_is_noop():
    point = shapely.Point(*YULIN)
    assert transform_geometry(point, "wgs84", "EPSG:4326") is point


# --------------------------------------------------------------------------- validation


def test_lonlat_in_china_passes():
    assert check_lonlat_in_china(*YULIN) == YULIN
    assert check_lonlat_in_china("109.73", 38.28) == YULIN
    # Box edges are inclusive.
    assert check_lonlat_in_china(73, 18) == (73.0, 18.0)
    assert check_lonlat_in_china(135, 54) == (135.0, 54.0)


def test_swapped_lonlat():
    with pytest.raises(CoordinateError) as info:
        check_lonlat_in_china(38.28, 109.73)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.code == "swapped_lonlat"
    assert err.message.startswith("经纬度可能颠倒：经度 38.28、纬度 109.73")
    assert err.message_en.startswith("longitude and latitude look swapped: lon=38.28, lat=109.73")
    assert "lon=109.73, lat=38.28" in err.message_en
    assert (err.lon, err.lat) == (38.28, 109.73)


def test_swapped_with_latitude_below_90():
    with pytest.raises(CoordinateError) as info:
        check_lonlat_in_china(40.0, 80.0)
    assert info.value.code == "swapped_lonlat"


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (float("nan"), 38.0),
        (109.0, float("inf")),
        ("abc", 38.0),
        (None, 38.0),
        (100.0, 95.0),  # |lat| > 90 and not a swapped Chinese pair
        (200.0, 38.0),
        (-181.0, 0.0),
    ],
)
def test_out_of_range(lon, lat):
    with pytest.raises(CoordinateError) as info:
        check_lonlat_in_china(lon, lat)
    assert info.value.code == "out_of_range"
    assert info.value.message and info.value.message_en


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.1276, 51.5072), (139.69, 35.69), (110.0, 10.0), (72.9, 38.0), (109.73, 54.01)],
)
def test_outside_china(lon, lat):
    with pytest.raises(CoordinateError) as info:
        check_lonlat_in_china(lon, lat)
    err = info.value
    assert err.code == "outside_china"
    assert err.message.startswith("坐标不在中国境内")
    assert err.message_en.startswith("coordinates outside China")
