"""The file formats on their own (mapsvc.exchange): dispatch, writing and reading back, refusals.

No database: records are given as the records API presents them.
"""

from __future__ import annotations

import decimal
import json
import zipfile

import numpy as np
import pyogrio
import pytest
import shapely
from flask import Flask, request

from mapsvc.exchange import formats
from mapsvc.http import errors as http_errors
from mapsvc.records.catalog import BY_KIND

MEMBERS = BY_KIND["members"]
POINTS = BY_KIND["service_points"]
GRIDS = BY_KIND["grids"]


def members() -> list[dict]:
    return [
        {
            "id": 7,
            "org_code": "B1",
            "name": "张三",
            "gender": "M",
            "birth_year": 1980,
            "joined_on": "2005-07-01",
            "status": "full",
            "phone": "139****5678",
            "geometry": {"type": "Point", "coordinates": [109.7345123, 38.2852]},
            "is_mobile": True,
            "version": 2,
        },
        {
            "id": 8,
            "org_code": "B1",
            "name": "=李四",
            "gender": "F",
            "birth_year": None,
            "joined_on": None,
            "status": "full",
            "phone": None,
            "geometry": None,
            "is_mobile": False,
            "version": 1,
        },
    ]


def points() -> list[dict]:
    return [
        {
            "id": 1,
            "code": "SP1",
            "name": "服务站",
            "geometry": shapely.Point(109.7, 38.3),
            "services": ["党员活动", "便民服务"],
            "floor_area_m2": decimal.Decimal("120.5"),
            "version": 3,
        },
        {"id": 2, "code": "SP2", "name": "二", "geometry": None, "services": None, "version": 1},
    ]


def huge_grid() -> dict:
    ring = [(109.0 + i * 1e-7, 38.0 + (i % 2) * 1e-7) for i in range(3000)]
    poly = shapely.Polygon(ring + [(109.0, 38.1)])
    return {"id": 1, "code": "G1", "name": "大网格", "geometry": shapely.MultiPolygon([poly])}


# ------------------------------------------------------------------ dispatch
def test_unknown_export_format_is_refused_as_before(tmp_path):
    with pytest.raises(formats.ExportError) as caught:
        formats.write_file(MEMBERS, members(), "pdf", tmp_path / "m.pdf")
    assert caught.value.as_dict() == {
        "code": "unknown_format",
        "message": "不支持的导出格式：pdf",
        "message_en": "unknown export format: pdf",
    }
    assert http_errors.status_of(caught.value) == 422
    with pytest.raises(formats.ExportError):
        formats.export_bytes(MEMBERS, members(), "shapefile")
    assert not list(tmp_path.iterdir())


def test_every_format_has_its_reader_and_the_exports_their_writer():
    assert set(formats.FORMATS) == {"geojson", "gpkg", "shapefile", "csv", "xlsx"}
    assert set(formats.WRITERS) == set(formats.EXPORT_FORMATS)
    for name, module in formats.READERS.items():
        assert module.UNIT in ("row", "feature") and callable(module.read), name


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("a.bin", b"SQLite format 3\0", "gpkg"),
        ("a.bin", b'\xef\xbb\xbf  {"type": "FeatureCollection"}', "geojson"),
        ("a.bin", b"code,name\n", "csv"),
        ("a.GPKG", b"", "gpkg"),
    ],
)
def test_format_from_name_or_first_bytes(tmp_path, name, head, fmt):
    path = tmp_path / name
    path.write_bytes(head)
    assert formats.detect_format(path) == fmt


def test_old_excel_is_refused_by_name_and_by_bytes(tmp_path):
    by_name = tmp_path / "a.et"
    by_name.write_bytes(b"")
    by_bytes = tmp_path / "a.bin"
    by_bytes.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 10)
    for path, what in ((by_name, ".xls/.et"), (by_bytes, ".xls")):
        with pytest.raises(formats.FileRefused) as caught:
            formats.detect_format(path)
        (p,) = caught.value.problems
        assert p.code == "old_excel_format" and what in p.message and what in p.message_en


# ------------------------------------------------------------------ GeoPackage
def test_gpkg_written_then_read_round_trips(tmp_path):
    path = tmp_path / "members.gpkg"
    assert formats.write_file(MEMBERS, members(), "gpkg", path) == 2
    info = pyogrio.read_info(path, layer="members")
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point"
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["birth_year"] == "int64" and types["is_mobile"] == "bool"
    table = formats.read_table(path, MEMBERS)
    assert (table.format, table.unit, table.crs_source, table.warnings) == (
        "gpkg",
        "feature",
        "file",
        [],
    )
    first, second = (r.values for r in table.rows)
    assert [r.number for r in table.rows] == [1, 2]
    assert first["name"] == "张三" and first["birth_year"] == 1980 and first["is_mobile"] is True
    assert first["joined_on"] == "2005-07-01" and first["phone"] == "139****5678"
    assert first["geometry"].equals(shapely.Point(109.7345123, 38.2852))
    assert second["name"] == "=李四" and second["birth_year"] is None
    assert second["geometry"] is None and second["is_mobile"] is False


def test_gpkg_lists_are_joined_and_decimals_are_numbers(tmp_path):
    path = tmp_path / "sp.gpkg"
    formats.write_file(POINTS, points(), "gpkg", path, headers="zh")
    table = formats.read_table(path, POINTS)
    first = table.rows[0].values
    assert first["services"] == "党员活动、便民服务" and first["floor_area_m2"] == 120.5
    assert table.columns["服务项目"] == "services"


def test_gpkg_without_srs_is_refused_until_crs_is_given(tmp_path):
    path = tmp_path / "m.gpkg"
    with pytest.warns(UserWarning, match="crs"):  # a layer without SRS, on purpose
        pyogrio.raw.write(
            str(path),
            np.array([shapely.to_wkb(shapely.Point(109.7, 38.3))], dtype=object),
            [np.array(["测试"], dtype=object)],
            ["name"],
            layer="members",
            driver="GPKG",
            geometry_type="Point",
            crs=None,
        )
    with pytest.raises(formats.FileRefused) as caught:
        formats.read_table(path, MEMBERS)
    assert caught.value.problems[0].code == "no_crs"
    table = formats.read_table(path, MEMBERS, crs="cgcs2000")
    assert (str(table.crs), table.crs_source) == ("cgcs2000", "option")


# ------------------------------------------------------------------ GeoJSON
def test_geojson_export_says_crs84_keeps_ids_and_lists(tmp_path):
    path = tmp_path / "sp.geojson"
    formats.write_file(POINTS, points(), "geojson", path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["name"] == "service_points"
    assert doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    one, two = doc["features"]
    assert (one["id"], two["id"]) == (1, 2)
    assert one["properties"]["services"] == ["党员活动", "便民服务"]
    assert one["properties"]["floor_area_m2"] == 120.5 and one["properties"]["version"] == 3
    assert one["geometry"] == {"type": "Point", "coordinates": [109.7, 38.3]}
    assert two["geometry"] is None and two["properties"]["services"] is None
    assert all(not k.startswith("__") for k in one["properties"])
    table = formats.read_table(path, POINTS)
    assert table.crs_source == "file" and [r.number for r in table.rows] == [1, 2]
    assert table.rows[0].values["services"] == ["党员活动", "便民服务"]


def test_geojson_of_no_records_is_an_empty_collection(tmp_path):
    path = tmp_path / "grids.geojson"
    assert formats.write_file(GRIDS, [], "geojson", path) == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["features"] == []


# ------------------------------------------------------------------ Shapefile
def test_a_shp_beside_its_files_and_a_zip_read_alike(tmp_path):
    shp = tmp_path / "grids.shp"
    square = shapely.box(109.7, 38.2, 109.71, 38.21)
    pyogrio.raw.write(
        str(shp),
        np.array([shapely.to_wkb(square)], dtype=object),
        [np.array(["G1"], dtype=object), np.array(["网格一"], dtype=object)],
        ["code", "name"],
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    zipped = tmp_path / "grids.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            z.write(tmp_path / f"grids.{ext}", f"grids.{ext}")
    for path in (shp, zipped):
        table = formats.read_table(path, GRIDS)
        assert (table.format, str(table.crs)) == ("shapefile", "wgs84")
        (row,) = table.rows
        assert row.values["name"] == "网格一" and row.values["geometry"].equals(square)


# ------------------------------------------------------------------ refusals over HTTP
def test_a_geometry_too_large_for_excel_answers_422_in_both_languages(tmp_path):
    app = Flask(__name__)
    http_errors.register(app)

    @app.get("/api/v1/grids")
    def grids():
        return formats.download(GRIDS, [huge_grid()], request.args["f"], request.args, total=1)

    res = app.test_client().get("/api/v1/grids?f=xlsx")
    assert res.status_code == 422
    body = res.get_json()
    wkt = shapely.to_wkt(huge_grid()["geometry"], rounding_precision=-1)
    assert len(wkt) > formats.XLSX_CELL_MAX
    assert body == {
        "code": "geometry_too_large",
        "message": f"{GRIDS.zh} G1 的几何有 {len(wkt)} 个字符，超过 Excel 单元格上限 32767："
        "请导出为 GeoPackage 或 GeoJSON",
        "message_en": f"the geometry of {GRIDS.name} G1 takes {len(wkt)} characters, over "
        "Excel's 32767 per cell: export as GeoPackage or GeoJSON",
    }
    res = app.test_client().get("/api/v1/grids?f=gpkg")  # GeoPackage has no such limit
    assert res.status_code == 200 and res.headers["X-Total-Count"] == "1"
