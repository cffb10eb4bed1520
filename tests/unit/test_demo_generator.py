"""The demo territory generator is deterministic per seed, sized by scale and built on the
committed real boundaries and township list (no database)."""

from __future__ import annotations

import hashlib
import re

import pytest
import shapely

from geodata.demo import places
from geodata.demo.generator import generate

# 12-digit statistical codes per level (domain.md; the territory contract of issue 18)
CODE = {
    "province": r"^[1-9][0-9]0{10}$",
    "city": r"^[1-9][0-9]{3}0{8}$",
    "county": r"^[1-9][0-9]{5}0{6}$",
    "street": r"^[1-9][0-9]{5}0(0[1-9]|[1-9][0-9])000$",
    "town": r"^[1-9][0-9]{5}([1-3][0-9]{2})000$",
    "community": r"^[1-9][0-9]{5}[0-3][0-9]{2}(0[0-9][1-9]|0[1-9]0|1[0-9]{2})$",
    "village": r"^[1-9][0-9]{5}[0-3][0-9]{2}[23][0-9]{2}$",
}


def _fingerprint(city) -> str:
    h = hashlib.sha256()
    for o in city.orgs:
        h.update(f"{o['code']}{o['name']}{o['parent_id']}{o['lonlat']}".encode())
    for g in city.grids:
        h.update(g["code"].encode() + g["geom"].wkb)
    h.update("".join(city.members["name"]).encode())
    h.update(city.members["home_lon"].tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def small():
    return generate("small", 3)


def test_generator_is_deterministic_per_seed():
    assert _fingerprint(generate("small", 11)) == _fingerprint(generate("small", 11))
    assert _fingerprint(generate("small", 11)) != _fingerprint(generate("small", 12))


def test_small_scale_size(small):
    assert 3_000 <= len(small.members["id"]) <= 5_000


def test_codes_are_valid_at_every_level(small):
    levels = {a["level"] for a in small.admin_areas}
    assert levels == {"city", "county", "street", "town", "community", "village"}
    for a in small.admin_areas:
        assert re.match(CODE[a["level"]], a["code"]), (a["level"], a["code"])
    codes = [a["code"] for a in small.admin_areas]
    assert len(codes) == len(set(codes))


def test_streets_and_towns_are_real_by_code_and_name(small):
    real = {code: name for units in places.townships().values() for code, name in units}
    units = [a for a in small.admin_areas if a["level"] in ("street", "town")]
    assert units and all(real[a["code"]] == a["name"] for a in units)
    assert {"鼓楼街道", "上郡路街道"} <= {a["name"] for a in units}
    names = {a["name"] for a in small.admin_areas}
    assert {"普惠泉社区", "夏洲路社区"} <= names


def test_counties_keep_their_real_boundary_and_are_tiled_by_their_units(small):
    real = places.boundaries()
    by_parent: dict[str, list] = {}
    for a in small.admin_areas:
        if a["level"] in ("street", "town"):
            by_parent.setdefault(a["code"][:6] + "000000", []).append(a["geom"])
    counties = {a["code"]: a for a in small.admin_areas if a["level"] == "county"}
    assert set(counties) == {"610802000000", "610803000000", "610828000000"}
    for code, a in counties.items():
        assert a["geom"].equals_exact(real[code]["geom"], 0), code
        children = by_parent.get(code, [])
        if code == "610828000000":  # 佳县: boundary only, the partial data the tests need
            assert children == []
            continue
        union = shapely.union_all(children)
        assert abs(union.area - a["geom"].area) < 1e-6 * a["geom"].area
        assert union.symmetric_difference(a["geom"]).area < 1e-6 * a["geom"].area


def test_members_are_about_seven_percent_of_residents(small):
    people = sum(a["population"] for a in small.admin_areas if a["level"] == "county")
    assert 0.065 < len(small.members["id"]) / people < 0.075


def test_the_committed_data_is_small_and_complete():
    b = places.boundaries()
    levels = [v["level"] for v in b.values()]
    assert levels.count("province") == 1
    assert levels.count("city") == 10
    assert levels.count("county") == 107
    assert sum(1 for c in b if c.startswith("6108") and b[c]["level"] == "county") == 12
    # every county has its township list, on today's codes
    counties = {c[:6] for c, v in b.items() if v["level"] == "county"}
    assert counties == set(places.townships())
    assert ("610802001000", "鼓楼街道") in places.townships()["610802"]
    assert (places.DATA / "shaanxi_areas.geojson").stat().st_size < 4_000_000


@pytest.mark.slow
def test_city_scale_is_the_whole_of_yulin():
    city = generate("city", 2026)
    counties = [a for a in city.admin_areas if a["level"] == "county"]
    assert len(counties) == 12
    people = sum(a["population"] for a in counties)
    assert 3_400_000 < people < 3_800_000
    assert 0.068 < len(city.members["id"]) / people < 0.072
    units = {a["code"] for a in city.admin_areas if a["level"] in ("street", "town")}
    listed = {c for k, v in places.townships().items() if k.startswith("6108") for c, _ in v}
    assert units == listed
