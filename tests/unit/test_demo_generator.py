"""The demo city generator is deterministic per seed and sized by scale (no database)."""

from __future__ import annotations

import hashlib

import pytest

from geodata.demo.generator import generate


def _fingerprint(city) -> str:
    h = hashlib.sha256()
    for o in city.orgs:
        h.update(f"{o['code']}{o['name']}{o['parent_id']}{o['lonlat']}".encode())
    for g in city.grids:
        h.update(g["code"].encode() + g["geom"].wkb)
    h.update("".join(city.members["name"]).encode())
    h.update(city.members["home_lon"].tobytes())
    return h.hexdigest()


def test_generator_is_deterministic_per_seed():
    assert _fingerprint(generate("small", 11)) == _fingerprint(generate("small", 11))
    assert _fingerprint(generate("small", 11)) != _fingerprint(generate("small", 12))


@pytest.mark.parametrize("scale, low, high", [("small", 1_500, 3_000)])
def test_scale_sizes(scale, low, high):
    city = generate(scale, 3)
    assert low <= len(city.members["id"]) <= high
