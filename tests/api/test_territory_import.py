"""Bring your own territory: a department starting from an empty database imports its own
boundaries (延安市 and its counties, real shapes different from the demo's) as a GeoPackage in
CGCS2000 through `mapsvc import` and as a zipped Shapefile in a Gauss–Krüger zone through the
API, then its org tree and members; the README walkthrough in a test."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import geopandas as gpd
import psycopg2
import pytest
import shapely

from geodata import crs
from geodata.demo import places
from mapsvc.infra.db import engine_for, libpq_dsn
from tests.api.import_jobs import post_import
from tests.conftest import _drop_database, _migrated_database, client_of

CITY = "610600000000"  # 延安市
ZONE = crs.gauss_kruger_crs(109.5)  # CGCS2000 3-degree Gauss–Krüger, central meridian 108° E
CM = 0.01 / 111_000  # a centimetre in degrees (at most, for longitude and latitude alike)


@pytest.fixture(scope="module")
def url(server_url):
    """An empty database of this module's own: nothing but the schema."""
    name, u = _migrated_database(server_url, "territory")
    try:
        yield u
    finally:
        engine_for(u).dispose()
        _drop_database(server_url, name)


@pytest.fixture(scope="module")
def source():
    """延安市 and its counties as the committed source has them (WGS84)."""
    rows = [
        v
        for code, v in sorted(places.boundaries().items())
        if code[:4] == CITY[:4] and v["level"] in ("city", "county")
    ]
    return gpd.GeoDataFrame(
        {
            "code": [r["code"] for r in rows],
            "name": [r["name"] for r in rows],
            "level": [r["level"] for r in rows],
        },
        geometry=[r["geom"] for r in rows],
        crs="EPSG:4326",
    )


def _stored(url) -> dict[str, tuple]:
    with psycopg2.connect(libpq_dsn(url)) as c, c.cursor() as cur:
        cur.execute("SELECT code, name, level, parent_code, ST_AsBinary(geom) FROM admin_areas")
        return {r[0]: (r[1], r[2], r[3], shapely.from_wkb(bytes(r[4]))) for r in cur.fetchall()}


def _max_vertex_shift(a, b) -> float:
    """Largest distance in degrees between corresponding vertices (same rings, same order)."""
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    assert ca.shape == cb.shape
    return float(abs(ca - cb).max())


def test_bring_your_own_territory(url, source, tmp_path):
    assert len(source) == 14 and set(source.level) == {"city", "county"}
    # the city and the first half of its counties: a GeoPackage in CGCS2000, on the command line
    first, second = source.iloc[:7], source.iloc[7:]
    gpkg = tmp_path / "延安市区县.gpkg"
    first.to_crs("EPSG:4490").to_file(gpkg, layer="areas", driver="GPKG")
    env = {**os.environ, "DATABASE_URL": url}
    res = subprocess.run(
        [sys.executable, "-m", "mapsvc.cli", "import", str(gpkg), "--kind", "admin_areas"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr

    # the rest: a zipped Shapefile in the Gauss–Krüger zone (metres), through the API, the .prj
    # naming the zone
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    second.to_crs(f"EPSG:{ZONE.epsg}").to_file(shp_dir / "counties.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, f.name)
    client = client_of(url)
    # an import is a job: upload (202), then follow it to its end
    job = post_import(
        client, {"kind": "admin_areas", "file": (io.BytesIO(buf.getvalue()), "counties.zip")}
    )
    assert job["status"] == "succeeded", job
    assert job["report"]["inserted"] == 7

    stored = _stored(url)
    assert set(stored) == set(source.code)
    for _, row in source.iterrows():
        name, level, parent, geom = stored[row.code]
        assert (name, level) == (row["name"], row.level)
        # the city is the top of what this department holds: its province is not held
        assert parent == ("610000000000" if level == "city" else CITY)
        # two conversions there and back (CGCS2000 or the GK zone, then WGS84): centimetres
        assert _max_vertex_shift(geom, row.geometry) < CM, row.code

    # then the org tree and the members, and the area's figures follow
    orgs = (
        "code,name,level,category,parent_code,admin_area_code\n"
        "610600,中共延安市委,committee,government,,610600000000\n"
        "610602,中共宝塔区委,committee,government,610600,610602000000\n"
        "6106020001,宝塔区机关党支部,branch,government,610602,610602000000\n"
    )
    members = (
        "org_code,name,gender,birth_year,joined_on,status\n"
        "6106020001,张三,M,1980,2005-07-01,full\n"
        "6106020001,李四,F,1990,2015-07-01,probationary\n"
    )
    for kind, text in (("orgs", orgs), ("members", members)):
        job = post_import(
            client, {"kind": kind, "file": (io.BytesIO(text.encode()), f"{kind}.csv")}
        )
        assert job["status"] == "succeeded" and job["report"]["status"] == "written", job
    body = client.get(f"/api/v1/stats/overview?area={CITY}").get_json()
    assert body["area"]["name"] == "延安市" and body["area"]["level"] == "city"
    county = client.get("/api/v1/stats/overview?area=610602000000").get_json()
    assert county["area"]["path"][0]["code"] == CITY
