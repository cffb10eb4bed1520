"""Imports and exports (mapsvc.exchange.imports, mapsvc.exchange.formats, POST /api/v1/imports, f= downloads),
each rule tried with the bad input people really make.

The tests run on a database of their own (the small demo city, seed 7), made here and dropped
at the end, because imports commit and the roads import replaces the whole network; the
session's shared database is never touched. Fixture files are generated in each test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import psycopg2
import pyogrio.raw
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Polygon, mapping

from geodata import crs as crsmod
from mapsvc.exchange import formats as exchange
from mapsvc.exchange import imports
from mapsvc.infra.db import libpq_dsn
from tests.api.import_jobs import post_import
from tests.conftest import client_of, own_database

GEOD = Geod(ellps="WGS84")


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def url(server_url):
    """A database of this module's own with the small demo city."""
    with own_database(server_url, "imports") as u:
        yield u


@pytest.fixture()
def db(url):
    c = psycopg2.connect(libpq_dsn(url))
    c.autocommit = True
    try:
        yield c
    finally:
        c.close()


@pytest.fixture()
def client(url):
    return client_of(url)


def q(db, sql, params=()):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def q1(db, sql, params=()):
    return q(db, sql, params)[0][0]


def code(prefix="T") -> str:
    return prefix + uuid.uuid4().hex[:10].upper()


def a_committee(db) -> str:
    return q1(
        db,
        "SELECT code FROM party_orgs WHERE level = 'committee' AND status = 'active' "
        "AND parent_id IS NOT NULL ORDER BY code LIMIT 1",
    )


def a_branch(db) -> str:
    return q1(
        db,
        "SELECT code FROM party_orgs WHERE level = 'branch' AND status = 'active' "
        "AND category = 'community' ORDER BY code LIMIT 1",
    )


def a_community(db) -> tuple[str, float, float]:
    """A community with a point well inside it (a 100 m box around it fits)."""
    return q(
        db,
        """
        SELECT code, ST_X(p), ST_Y(p) FROM (
            SELECT code, geom, ST_PointOnSurface(geom) AS p FROM admin_areas
            WHERE level = 'community') s
        WHERE ST_CoveredBy(ST_Expand(p, 0.001), geom) ORDER BY code LIMIT 1""",
    )[0]


def run(url, path, kind, **kw) -> dict:
    return imports.import_file(url, path, kind, **kw)


def write_xlsx(path: Path, rows: list[list], merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding="utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def member_row(org: str, name: str, **kw) -> dict:
    row = {
        "org_code": org,
        "name": name,
        "gender": "F",
        "birth_year": 1990,
        "joined_on": "2015-07-01",
        "status": "full",
        "phone": "13912345678",
        "lon": 109.7345,
        "lat": 38.2852,
    }
    row.update(kw)
    return row


def members_csv(path: Path, rows: list[dict]) -> Path:
    header = list(rows[0])
    return write_csv(path, [header] + [[r[h] for h in header] for r in rows])


def names_in_db(db, names) -> int:
    return q1(db, "SELECT count(*) FROM members WHERE name = ANY(%s)", (list(names),))


# ------------------------------------------------------------------ spreadsheets
def test_orgs_with_chinese_headers_and_a_parent_later_in_the_file(tmp_path, url, db):
    parent, child, committee = code(), code(), a_committee(db)
    path = write_xlsx(
        tmp_path / "组织.xlsx",
        [
            [
                "组织编码",
                "组织名称",
                "组织层级",
                "组织类别",
                "上级组织编码",
                "经度",
                "纬度",
                "成立日期",
            ],
            [child, "测试第一党支部", "党支部", "社区", parent, 109.7351, 38.2861, "2020/3/1"],
            [parent, "测试党总支", "党总支", "社区", committee, 109.7352, 38.2862, "2019年7月1日"],
        ],
    )
    report = run(url, path, "orgs")
    assert report["status"] == "written", report
    assert (report["inserted"], report["updated"], report["problems"]) == (2, 0, [])
    assert report["format"] == "xlsx" and report["crs"] == "wgs84"
    row = q(
        db,
        "SELECT c.level, p.code, c.path <@ p.path, c.founded_on::text FROM party_orgs c "
        "JOIN party_orgs p ON p.id = c.parent_id WHERE c.code = %s",
        (child,),
    )[0]
    assert row == ("branch", parent, True, "2020-03-01")
    # a file without a CRS is read as WGS84, with a warning that says GCJ-02 cannot be detected
    assert any(w["code"] == "crs_assumed" and "GCJ-02" in w["message"] for w in report["warnings"])


def test_members_with_english_headers(tmp_path, url, db):
    branch = a_branch(db)
    names = [f"英{uuid.uuid4().hex[:6]}" for _ in range(3)]
    path = members_csv(tmp_path / "members.csv", [member_row(branch, n) for n in names])
    report = run(url, path, "members")
    assert report["status"] == "written" and report["inserted"] == 3, report
    assert names_in_db(db, names) == 3
    home = q(
        db, "SELECT ST_X(home_geom), ST_Y(home_geom) FROM members WHERE name = %s", (names[0],)
    )[0]
    assert home == pytest.approx((109.7345, 38.2852))


def test_gbk_csv_from_chinese_excel_is_read(tmp_path, url, db):
    branch = a_branch(db)
    name = f"国{uuid.uuid4().hex[:6]}"
    path = write_csv(
        tmp_path / "党员.csv",
        [
            ["所在支部编码", "姓名", "性别", "出生年份", "入党日期", "党员状态"],
            [branch, name, "男", "1985", "2010-06-30", "预备党员"],
        ],
        encoding="gbk",
    )
    report = run(url, path, "members")
    assert report["status"] == "written", report
    assert any(w["code"] == "encoding" for w in report["warnings"])
    assert q(db, "SELECT gender, status FROM members WHERE name = %s", (name,)) == [
        ("M", "probationary")
    ]


def test_a_merged_header_cell_is_refused_naming_the_cells(tmp_path, url, db):
    branch = a_branch(db)
    before = q1(db, "SELECT count(*) FROM members")
    # the usual sheet: a merged title row above the real header
    path = write_xlsx(
        tmp_path / "花名册.xlsx",
        [
            ["榆阳区党员花名册", None, None, None, None, None],
            ["所在支部编码", "姓名", "性别", "出生年份", "入党日期", "党员状态"],
            [branch, "张三", "男", 1980, "2005-05-01", "正式党员"],
        ],
        merge="A1:F1",
    )
    report = run(url, path, "members")
    assert report["status"] == "rejected"
    (p,) = report["problems"]
    assert p["code"] == "merged_header"
    assert "A1:F1" in p["message"] and "A1:F1" in p["message_en"]
    assert q1(db, "SELECT count(*) FROM members") == before


def test_merged_cells_below_the_header_apply_to_each_row(tmp_path, url, db):
    branch = a_branch(db)
    names = [f"并{uuid.uuid4().hex[:6]}" for _ in range(3)]
    rows = [["所在支部编码", "姓名", "性别", "出生年份", "入党日期", "党员状态"]]
    rows += [
        [branch if i == 0 else None, n, "女", 1990, "2015-01-01", "正式党员"]
        for i, n in enumerate(names)
    ]
    report = run(url, write_xlsx(tmp_path / "m.xlsx", rows, merge="A2:A4"), "members")
    assert report["status"] == "written" and report["inserted"] == 3, report
    assert any(
        w["code"] == "merged_cells_filled" and "A2:A4" in w["message"] for w in report["warnings"]
    )


def test_duplicate_code_in_the_file_rejects_both_rows(tmp_path, url, db):
    dup, committee = code(), a_committee(db)
    path = write_csv(
        tmp_path / "orgs.csv",
        [
            ["code", "name", "level", "category", "parent_code"],
            [dup, "甲支部", "branch", "community", committee],
            [code(), "乙支部", "branch", "community", committee],
            [dup, "丙支部", "branch", "community", committee],
        ],
    )
    report = run(url, path, "orgs")
    assert report["status"] == "rejected" and report["inserted"] == 0
    dups = [p for p in report["problems"] if p["code"] == "duplicate_in_file"]
    assert [p["row"] for p in dups] == [2, 4]
    assert "2、4" in dups[0]["message"] and "rows 2, 4" in dups[0]["message_en"]
    assert q1(db, "SELECT count(*) FROM party_orgs WHERE code = %s", (dup,)) == 0


def test_parent_links_that_loop_in_the_file_are_refused(tmp_path, url, db):
    a, b = code(), code()
    path = write_csv(
        tmp_path / "orgs.csv",
        [
            ["code", "name", "level", "category", "parent_code"],
            [a, "甲党委", "committee", "community", b],
            [b, "乙党委", "committee", "community", a],
        ],
    )
    report = run(url, path, "orgs")
    assert report["status"] == "rejected"
    assert sorted((p["row"], p["code"]) for p in report["problems"]) == [
        (2, "org_cycle_in_file"),
        (3, "org_cycle_in_file"),
    ]
    assert f"{a} → {b} → {a}" in report["problems"][0]["message"]


def test_swapped_lon_lat_is_reported_with_its_row(tmp_path, url, db):
    path = write_csv(
        tmp_path / "sp.csv",
        [
            ["服务点编码", "名称", "级别", "经度", "纬度"],
            [code("SP"), "测试服务站", "党群服务站", 109.735, 38.286],
            [code("SP"), "颠倒服务站", "党群服务站", 38.286, 109.735],
        ],
    )
    report = run(url, path, "service_points")
    assert report["status"] == "rejected" and report["rejected"] == 1
    (p,) = report["problems"]
    assert (p["row"], p["field"], p["code"]) == (3, "geometry", "swapped_lonlat")
    assert "经纬度可能颠倒" in p["message"] and "swapped" in p["message_en"]


def test_member_in_a_committee_is_refused(tmp_path, url, db):
    committee = a_committee(db)
    name = f"委{uuid.uuid4().hex[:6]}"
    path = write_xlsx(
        tmp_path / "m.xlsx",
        [
            ["组织编码", "姓名", "性别", "出生年份", "入党日期", "党员状态"],
            [a_branch(db), name + "甲", "女", 1990, "2015-01-01", "正式党员"],
            [None] * 6,  # a blank row: skipped, and row numbers stay the ones Excel shows
            [committee, name, "女", 1990, "2015-01-01", "正式党员"],
        ],
    )
    report = run(url, path, "members")
    assert report["status"] == "rejected" and report["rows"] == 2
    (p,) = report["problems"]
    assert (p["row"], p["field"], p["code"]) == (4, "org_code", "member_org_not_branch")
    assert "党支部" in p["message"] and "branch-level" in p["message_en"]
    assert names_in_db(db, [name]) == 0


# ------------------------------------------------------------------ all or nothing
def _three_good_one_bad(db, tmp_path):
    branch = a_branch(db)
    names = [f"全{uuid.uuid4().hex[:6]}" for _ in range(4)]
    rows = [member_row(branch, n) for n in names]
    rows[2]["birth_year"] = 2010  # joined at 5: the database's own rule refuses it
    return names, members_csv(tmp_path / "m.csv", rows)


def test_all_or_nothing_writes_zero_rows_when_one_is_bad(tmp_path, url, db):
    names, path = _three_good_one_bad(db, tmp_path)
    before = q1(db, "SELECT count(*) FROM members")
    report = run(url, path, "members")
    assert report["status"] == "rejected"
    assert (report["inserted"], report["updated"], report["rejected"]) == (0, 0, 1)
    (p,) = report["problems"]
    assert (p["row"], p["code"]) == (4, "member_joined_adult")
    assert p["message"] and p["message_en"]
    assert q1(db, "SELECT count(*) FROM members") == before


def test_partial_writes_only_the_good_rows(tmp_path, url, db):
    names, path = _three_good_one_bad(db, tmp_path)
    report = run(url, path, "members", partial=True)
    assert report["status"] == "written"
    assert (report["inserted"], report["rejected"]) == (3, 1)
    assert [p["row"] for p in report["problems"]] == [4]
    assert names_in_db(db, names) == 3
    assert names_in_db(db, [names[2]]) == 0


def test_partial_refuses_the_children_of_a_refused_parent(tmp_path, url, db):
    parent, child, other, committee = code(), code(), code(), a_committee(db)
    path = write_csv(
        tmp_path / "orgs.csv",
        [
            ["code", "name", "level", "category", "parent_code"],
            [child, "子支部", "branch", "community", parent],
            [parent, "坏党总支", "general_branch", "no-such-category", committee],
            [other, "好支部", "branch", "community", committee],
        ],
    )
    report = run(url, path, "orgs", partial=True)
    assert report["status"] == "written" and report["inserted"] == 1
    codes = {(p["row"], p["code"]) for p in report["problems"]}
    assert codes == {(3, "unknown_value"), (2, "parent_refused")}
    assert (
        q1(db, "SELECT count(*) FROM party_orgs WHERE code = ANY(%s)", ([parent, child, other],))
        == 1
    )


def test_dry_run_writes_nothing(tmp_path, url, db):
    branch = a_branch(db)
    names = [f"试{uuid.uuid4().hex[:6]}" for _ in range(3)]
    path = members_csv(tmp_path / "m.csv", [member_row(branch, n) for n in names])
    report = run(url, path, "members", dry_run=True)
    assert report["status"] == "dry_run" and report["inserted"] == 3, report
    assert names_in_db(db, names) == 0
    names2, bad = _three_good_one_bad(db, tmp_path)
    report = run(url, bad, "members", dry_run=True)
    assert report["status"] == "rejected" and report["dry_run"] is True
    assert names_in_db(db, names2) == 0


# ------------------------------------------------------------------ coordinates
def test_gcj02_points_imported_as_wgs84_land_500_m_off(tmp_path, url, db):
    """GCJ-02 cannot be recognised from the numbers: only --crs gcj02 puts them right."""
    truth = (109.7345, 38.2852)
    gx, gy = crsmod.from_wgs84(*truth, "gcj02")
    codes = {"as_wgs84": code("SP"), "as_gcj02": code("SP")}
    for how, c in codes.items():
        path = write_csv(
            tmp_path / f"{how}.csv",
            [
                ["code", "name", "level", "lon", "lat"],
                [c, "高德取点服务站", "station", gx, gy],
            ],
        )
        report = run(url, path, "service_points", crs="gcj02" if how == "as_gcj02" else None)
        assert report["status"] == "written", report
        assert report["crs"] == ("gcj02" if how == "as_gcj02" else "wgs84")
    stored = {
        how: q(db, "SELECT ST_X(geom), ST_Y(geom) FROM service_points WHERE code = %s", (c,))[0]
        for how, c in codes.items()
    }
    off = GEOD.inv(*truth, *stored["as_wgs84"])[2]
    right = GEOD.inv(*truth, *stored["as_gcj02"])[2]
    assert 400 < off < 700, off  # the GCJ-02 offset near 榆林
    assert right < 0.01


def test_a_crs_in_the_header_is_used(tmp_path, url, db):
    truth = (109.7345, 38.2852)
    bx, by = crsmod.from_wgs84(*truth, "bd09")
    c = code("SP")
    path = write_csv(
        tmp_path / "sp.csv",
        [
            ["code", "name", "level", "经度(BD09)", "纬度(BD09)"],
            [c, "百度取点服务站", "station", bx, by],
        ],
    )
    report = run(url, path, "service_points")
    assert report["status"] == "written" and report["crs"] == "bd09", report
    assert not any(w["code"] == "crs_assumed" for w in report["warnings"])
    x, y = q(db, "SELECT ST_X(geom), ST_Y(geom) FROM service_points WHERE code = %s", (c,))[0]
    assert GEOD.inv(*truth, x, y)[2] < 0.01


def _grid_square(db, half=0.0003):
    community, x, y = a_community(db)
    return community, Polygon(
        [(x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half)]
    )


def _grid_code(db, community: str) -> str:
    used = {r[0] for r in q(db, "SELECT code FROM grids WHERE community_code = %s", (community,))}
    return next(
        f"{community}{n:03d}" for n in range(999, 0, -1) if f"{community}{n:03d}" not in used
    )


def _shapefile_zip(
    tmp_path: Path,
    geoms,
    fields: dict,
    *,
    prj: bool,
    crs="EPSG:4326",
    cpg: bool = True,
    encoding: str | None = None,
) -> Path:
    shp = tmp_path / "grids.shp"
    pyogrio.raw.write(
        str(shp),
        np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
        [np.array(v, dtype=object) for v in fields.values()],
        list(fields),
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        crs=crs,
        encoding=encoding,
    )
    out = tmp_path / "grids.zip"
    with zipfile.ZipFile(out, "w") as z:
        for ext in ("shp", "shx", "dbf") + (("prj",) if prj else ()) + (("cpg",) if cpg else ()):
            f = tmp_path / f"grids.{ext}"
            if f.exists():
                z.write(f, f"网格/grids.{ext}")
    return out


def test_shapefile_without_prj_is_refused_until_crs_is_given(tmp_path, url, db):
    community, square = _grid_square(db)
    gcode = _grid_code(db, community)
    fields = {"code": [gcode], "name": ["测试网格"], "community_": [community]}
    path = _shapefile_zip(tmp_path, [square], fields, prj=False)
    report = run(url, path, "grids")
    assert report["status"] == "rejected"
    (p,) = report["problems"]
    assert p["code"] == "no_prj"
    assert "--crs" in p["message"] and "--crs" in p["message_en"]
    assert "GCJ-02" in p["message"] and "GCJ-02" in p["message_en"]
    report = run(url, path, "grids", crs="wgs84")
    assert report["status"] == "written" and report["inserted"] == 1, report
    # "community_" is community_code cut to the ten characters a DBF allows
    assert q1(db, "SELECT community_code FROM grids WHERE code = %s", (gcode,)) == community


def test_shapefile_in_cgcs2000_zone_with_gbk_text_and_no_cpg(tmp_path, url, db):
    community, square = _grid_square(db)
    gcode = _grid_code(db, community)
    zone = crsmod.gauss_kruger_crs(109.73)  # EPSG:4546
    projected = crsmod.transform_geometry(square, "wgs84", zone)
    fields = {"网格编码": [gcode], "网格名称": ["普惠泉第九网格"], "社区代码": [community]}
    path = _shapefile_zip(
        tmp_path, [projected], fields, prj=True, crs=zone.name, cpg=False, encoding="GBK"
    )
    report = run(url, path, "grids")
    assert report["status"] == "written", report
    assert report["crs"] == "EPSG:4546"
    assert q1(db, "SELECT name FROM grids WHERE code = %s", (gcode,)) == "普惠泉第九网格"
    area = q1(
        db,
        "SELECT ST_Area(ST_SymDifference(geom, ST_GeomFromText(%s, 4326))) "
        "FROM grids WHERE code = %s",
        (square.wkt, gcode),
    )
    assert area < 1e-12


def test_self_intersecting_grid_is_reported_with_feature_and_place(tmp_path, url, db):
    community, square = _grid_square(db)
    x0, y0, x1, y1 = square.bounds
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]],
    }
    good = _grid_code(db, community)
    features = [
        {
            "type": "Feature",
            "geometry": mapping(square),
            "properties": {"code": good, "name": "好网格", "community_code": community},
        },
        {
            "type": "Feature",
            "geometry": bowtie,
            "properties": {
                "code": good[:-3] + "998" if not good.endswith("998") else good[:-3] + "997",
                "name": "蝴蝶结网格",
                "community_code": community,
            },
        },
    ]
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = run(url, path, "grids")
    assert report["status"] == "rejected" and report["inserted"] == 0
    (p,) = report["problems"]
    assert (p["feature"], p["field"], p["code"]) == (2, "geometry", "invalid_geometry")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    assert "自相交" in p["message"] and f"经度 {cx:.6f}、纬度 {cy:.6f}" in p["message"]
    assert "Self-intersection" in p["message_en"] and f"lon {cx:.6f}" in p["message_en"]
    assert q1(db, "SELECT count(*) FROM grids WHERE code = %s", (good,)) == 0


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "xlsx", "csv"])
@pytest.mark.parametrize("kind", ["orgs", "grids"])
def test_export_then_import_unchanged(tmp_path, url, db, kind, fmt):
    path = tmp_path / f"{kind}.{exchange.EXPORT_FORMATS[fmt][2]}"
    n = imports.export_kind(url, kind, fmt, path)
    table = {"orgs": "party_orgs", "grids": "grids"}[kind]
    assert n == q1(db, f"SELECT count(*) FROM {table}") > 0
    versions = q(db, f"SELECT code, version FROM {table} ORDER BY code")
    report = run(url, path, kind)
    assert report["status"] == "written", report["problems"][:3]
    assert (report["inserted"], report["updated"], report["problems"]) == (0, n, [])
    assert report["unchanged"] == n
    assert q(db, f"SELECT code, version FROM {table} ORDER BY code") == versions


def test_export_with_chinese_headers_imports_back_with_an_edit(tmp_path, url, db):
    path = tmp_path / "orgs.xlsx"
    imports.export_kind(url, "orgs", "xlsx", path, headers="zh")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert "组织编码" in header and "经度(WGS84)" in header
    col = header.index("地址") + 1
    target = ws.cell(row=5, column=header.index("组织编码") + 1).value
    ws.cell(row=5, column=col).value = "榆阳区新建路 1 号"
    wb.save(path)
    version = q1(db, "SELECT version FROM party_orgs WHERE code = %s", (target,))
    report = run(url, path, "orgs")
    assert report["status"] == "written", report["problems"][:3]
    assert report["updated"] == report["rows"] and report["unchanged"] == report["rows"] - 1
    assert q(db, "SELECT address, version FROM party_orgs WHERE code = %s", (target,)) == [
        ("榆阳区新建路 1 号", version + 1)
    ]


def test_a_stale_export_does_not_overwrite_a_later_edit(tmp_path, url, db):
    """An accepted write is never lost: the file's version must still be the record's."""
    path = tmp_path / "orgs.csv"
    imports.export_kind(url, "orgs", "csv", path)
    text = path.read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([text[0]]))
    first = next(csv.reader([text[1]]))
    org = first[header.index("code")]
    with db.cursor() as cur:  # someone edits the org after the export
        cur.execute(
            "UPDATE party_orgs SET secretary = '李四', version = version + 1 WHERE code = %s",
            (org,),
        )
    rows = list(csv.reader(text))
    rows[1][header.index("secretary")] = "王五"  # the file's author edits it too
    write_csv(path, rows)
    report = run(url, path, "orgs")
    assert report["status"] == "rejected"
    (p,) = report["problems"]
    assert (p["row"], p["field"], p["code"]) == (2, "version", "version_conflict")
    assert q1(db, "SELECT secretary FROM party_orgs WHERE code = %s", (org,)) == "李四"


def test_members_update_by_id_and_masked_phones_stay(tmp_path, url, db):
    branch = a_branch(db)
    mid, phone = q(
        db,
        "SELECT id, phone FROM members WHERE phone IS NOT NULL "
        "AND org_id = (SELECT id FROM party_orgs WHERE code = %s) "
        "ORDER BY id LIMIT 1",
        (branch,),
    )[0]
    path = tmp_path / "members.csv"
    imports.export_kind(url, "members", "csv", path)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    header = rows[0]
    mine = next(r for r in rows[1:] if r[header.index("id")] == str(mid))
    assert "****" in mine[header.index("phone")]
    mine[header.index("name")] = "改名测试"
    new = ["" for _ in header]
    for k, v in member_row(branch, "新成员").items():
        if k in header:
            new[header.index(k)] = str(v)
    new[header.index("lon (WGS84)")], new[header.index("lat (WGS84)")] = "109.7345", "38.2852"
    write_csv(path, [header, mine, new])
    report = run(url, path, "members")
    assert report["status"] == "written", report["problems"]
    assert (report["inserted"], report["updated"]) == (1, 1)
    assert q(db, "SELECT name, phone FROM members WHERE id = %s", (mid,)) == [("改名测试", phone)]
    # a sheet's own serial numbers headed 编号 never overwrite members 1, 2, 3
    serial = members_csv(tmp_path / "serial.csv", [{"编号": 1, **member_row(branch, "序号测试")}])
    report = run(url, serial, "members")
    assert report["status"] == "rejected"
    assert report["problems"][0]["code"] == "id_without_version"
    assert q1(db, "SELECT name FROM members WHERE id = 1") != "序号测试"
    # an id that does not exist is an error, not a silent insert
    mine[header.index("id")] = "999999999"
    write_csv(path, [header, mine])
    report = run(url, path, "members")
    assert report["status"] == "rejected"
    assert [p["code"] for p in report["problems"]][0] == "unknown_id"


# ------------------------------------------------------------------ roads
def test_roads_replace_the_network_with_shared_vertices(tmp_path, url, db):
    x, y = 109.7345, 38.2852
    d = 0.002
    near = 0.5 / 111_320 / np.cos(np.radians(y))  # half a metre east
    lines = [
        ("新建路", "secondary", [(x, y), (x + d, y)]),
        ("新建路", "secondary", [(x + d + near, y), (x + 2 * d, y)]),  # ends 0.5 m apart
        ("便道", "步行道", [(x + d, y), (x + d, y + d)]),
        ("环路", "local", [(x, y + d), (x + d / 2, y + 2 * d), (x - d / 2, y + 2 * d), (x, y + d)]),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"name": n, "kind": k},
            "geometry": {"type": "LineString", "coordinates": c},
        }
        for n, k, c in lines
    ]
    path = tmp_path / "roads.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    )
    report = run(url, path, "roads")
    assert report["status"] == "written", report
    # the loop becomes two edges; 3 + 2 vertices on the lines, 2 on the loop
    assert report["inserted"] == 5 and report["vertices"] == 6
    assert q1(db, "SELECT count(*) FROM roads") == 5
    assert q1(db, "SELECT count(*) FROM roads WHERE kind = 'path'") == 1
    joined = q1(
        db,
        "SELECT count(DISTINCT v) FROM (SELECT source v FROM roads WHERE name = '新建路' "
        "UNION ALL SELECT target FROM roads WHERE name = '新建路') s",
    )
    assert joined == 3  # the two halves of 新建路 share the vertex where they meet
    assert q1(db, "SELECT count(*) FROM road_walks") > 0
    assert any(w["code"] == "network_disconnected" for w in report["warnings"])
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [x, y]},
                    }
                ],
            }
        )
    )
    report = run(url, bad, "roads")
    assert report["status"] == "rejected" and report["problems"][0]["feature"] == 1
    assert q1(db, "SELECT count(*) FROM roads") == 5  # the network is left as it was


# ------------------------------------------------------------------ files that are not right
def test_file_level_refusals(tmp_path, url, db):
    old = tmp_path / "orgs.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert run(url, old, "orgs")["problems"][0]["code"] == "old_excel_format"
    empty = write_csv(tmp_path / "empty.csv", [["code", "name"]])
    assert run(url, empty, "orgs")["problems"][0]["code"] == "no_rows"
    two = write_csv(tmp_path / "two.csv", [["code", "组织编码"], ["A", "B"]])
    p = run(url, two, "orgs")["problems"][0]
    assert p["code"] == "duplicate_column" and "组织编码" in p["message"]
    assert run(url, empty, "bridges")["problems"][0]["code"] == "unknown_kind"
    assert run(url, empty, "orgs", crs="gaode")["problems"][0]["code"] == "unknown_crs"
    branch = a_branch(db)
    odd = members_csv(
        tmp_path / "odd.csv", [member_row(branch, f"奇{uuid.uuid4().hex[:5]}", 备注="x")]
    )
    report = run(url, odd, "members", dry_run=True)
    assert report["status"] == "dry_run"
    assert any(w["code"] == "unknown_column" and "备注" in w["message"] for w in report["warnings"])


# ------------------------------------------------------------------ HTTP
def test_post_imports(tmp_path, client, url, db):
    branch = a_branch(db)
    names = [f"网{uuid.uuid4().hex[:6]}" for _ in range(2)]
    path = members_csv(tmp_path / "m.csv", [member_row(branch, n) for n in names])

    def post(**form):
        data = {"kind": "members", "file": (io.BytesIO(path.read_bytes()), "党员.csv"), **form}
        return post_import(client, data)

    job = post(dry_run="true")
    assert job["status"] == "succeeded" and job["report"]["status"] == "dry_run"
    assert names_in_db(db, names) == 0
    job = post()
    assert job["status"] == "succeeded"
    body = job["report"]
    assert (body["status"], body["inserted"], body["file"]) == ("written", 2, "党员.csv")
    job = post()  # the same people again: members have no code, so the API can't tell
    assert job["status"] == "succeeded" and names_in_db(db, names) == 4
    names2, bad = _three_good_one_bad(db, tmp_path)
    job = post_import(client, {"kind": "members", "file": (io.BytesIO(bad.read_bytes()), "m.csv")})
    assert job["status"] == "rejected"
    assert job["report"]["problems"][0]["row"] == 4 and names_in_db(db, names2) == 0
    res = client.post(
        "/api/v1/imports", content_type="multipart/form-data", data={"kind": "members"}
    )
    assert res.status_code == 400 and res.get_json()["code"] == "missing_file"


def test_post_imports_over_the_size_limit_is_413(tmp_path, url):
    client = client_of(url, {"IMPORT_MAX_BYTES": 1000})
    data = {"kind": "orgs", "file": (io.BytesIO(b"code,name\n" + b"A" * 200_000), "big.csv")}
    res = client.post("/api/v1/imports", data=data, content_type="multipart/form-data")
    assert res.status_code == 413
    body = res.get_json()
    assert body["code"] == "file_too_large" and "MB" in body["message"] and body["message_en"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg"])
def test_list_endpoint_downloads_import_back(tmp_path, client, url, fmt):
    res = client.get(f"/api/v1/grids?f={fmt}&headers=zh")
    assert res.status_code == 200
    assert "attachment" in res.headers["Content-Disposition"]
    total = int(res.headers["X-Total-Count"])
    path = tmp_path / f"grids.{fmt}"
    path.write_bytes(res.data)
    report = run(url, path, "grids")
    # the API writes 7 decimals (about 1 cm); geometry that did not move is kept as stored
    assert report["status"] == "written", report["problems"][:3]
    assert (report["updated"], report["unchanged"], report["problems"]) == (total, total, [])
    assert client.get("/api/v1/grids?f=pdf").status_code == 400


# ------------------------------------------------------------------ command line
@pytest.mark.slow  # an import and an export through the CLI, one process each
def test_cli_import_and_export(tmp_path, url, db):
    env = {**os.environ, "DATABASE_URL": url}
    cli = [sys.executable, "-m", "mapsvc.cli"]
    out = tmp_path / "sp.xlsx"
    res = subprocess.run(
        [*cli, "export", "--kind", "service_points", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert out.exists() and "exported" in res.stdout
    res = subprocess.run(
        [*cli, "import", str(out), "--kind", "service_points"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "已写入" in res.stdout and "written" in res.stdout
    names, bad = _three_good_one_bad(db, tmp_path)
    res = subprocess.run(
        [*cli, "import", str(bad), "--kind", "members"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("第 4 行"))
    assert "18" in lines[i] and lines[i + 1].strip().startswith("row 4")
    res = subprocess.run(
        [*cli, "import", str(bad), "--kind", "members", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1 and json.loads(res.stdout)["status"] == "rejected"


def test_id_card_numbers_are_dropped_never_stored(client, db):
    org = q1(db, "SELECT code FROM party_orgs WHERE is_branch_level AND status = 'active' LIMIT 1")
    text = (
        "所在支部编码,姓名,性别,出生年份,入党日期,党员状态,身份证号\n"
        f"{org},身份证测试,男,1980,2005-07-01,正式党员,610802198001011234\n"
    )
    job = post_import(client, {"kind": "members", "file": (io.BytesIO(text.encode()), "m.csv")})
    body = job["report"]
    assert job["status"] == "succeeded" and body["inserted"] == 1, body
    codes = [w["code"] for w in body["warnings"]]
    assert "id_number_dropped" in codes and "values_without_header" not in codes
    assert "身份证号" in body["warnings"][codes.index("id_number_dropped")]["message"]
    dump = q(db, "SELECT to_jsonb(m)::text FROM members m WHERE name = '身份证测试'")
    assert len(dump) == 1 and "610802198001011234" not in dump[0][0]
