"""Tests are marked by the folder they are in, so a new file gets its markers by itself."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import KINDS, TESTS, kind_of, markers_for

ROOT = TESTS.parent


@pytest.mark.parametrize(
    "path, fixtures, expected",
    [
        ("unit/test_new.py", (), []),
        ("unit/test_new.py", ("server_url",), ["db"]),
        ("api/test_record_tables.py", ("client",), ["db"]),
        ("api/sub/test_deeper.py", (), ["db"]),
        ("pages/test_new.py", (), ["db", "browser"]),
        ("fuzz/test_new.py", (), ["db", "fuzz", "slow"]),
        ("durability/test_new.py", ("server_url",), ["db", "durability", "slow"]),
        ("test_loose.py", ("server_url",), ["db"]),
        ("test_loose.py", (), []),
    ],
)
def test_markers_follow_the_folder_and_the_fixtures(path, fixtures, expected):
    """A file's folder gives its kind's markers; asking for the database adds db."""
    assert markers_for(TESTS / path, fixtures) == expected


def test_paths_outside_the_kind_folders_have_no_kind():
    """Only tests/<kind>/ folders give a kind."""
    assert kind_of(TESTS / "conftest.py") is None
    assert kind_of(TESTS / "other" / "test_x.py") is None
    assert kind_of(ROOT / "bench" / "test_x.py") is None
    assert kind_of(TESTS / "pages" / "test_map.py") == "pages"


def test_every_marker_used_is_registered():
    """Strict markers are on, and every marker the hook sets is registered."""
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    registered = {m.split(":")[0] for m in ini["markers"]}
    used = {m for names in KINDS.values() for m in names}
    assert used <= registered
    assert "--strict-markers" in ini["addopts"]


def test_every_kind_folder_is_a_package():
    """Each kind folder has __init__.py, so equal file names in two folders are safe."""
    # duplicate basenames (tests/api/test_ogc.py, tests/fuzz/test_ogc.py) need packages
    for kind in KINDS:
        assert (TESTS / kind / "__init__.py").is_file(), kind


def test_this_test_got_no_database_marker(request):
    """The hook left this database-free unit test unmarked."""
    assert request.node.get_closest_marker("db") is None
    assert request.node.get_closest_marker("slow") is None


def test_a_database_test_is_marked(request, server_url):
    """The hook marked this test db because it asks for the database server."""
    assert request.node.get_closest_marker("db") is not None
