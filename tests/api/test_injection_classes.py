"""Classes of hostile input (issue 13): formulas in CSV/XLSX exports, coordinates that are not
numbers or come alone, keys beyond bigint, codes that only look ASCII.

Each finding of the audit is reproduced here first. The module has a database of its own
(the small demo city): names are stored raw with SQL, which the records API would refuse.
"""

from __future__ import annotations

import csv
import io
import uuid

import openpyxl
import psycopg2
import pytest

from mapsvc.exchange import imports
from mapsvc.exchange.table import neutralise
from mapsvc.infra.db import libpq_dsn
from tests.conftest import client_of, own_database

FORMULAS = ["-2+3+cmd|' /C calc'!A0", "\t=1", "\r=1", "@SUM(1)", "=HYPERLINK(1)", "+1+1"]


@pytest.fixture(scope="module")
def url(server_url):
    """A database of this module's own with the small demo city."""
    with own_database(server_url, "inject") as u:
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


def q1(db, sql, params=()):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def unique_code() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def org_body(**change) -> dict:
    return {
        "code": unique_code(),
        "name": "测试党支部",
        "level": "branch",
        "category": "non_public",
        "parent_code": "610802",
        **change,
    }


# ------------------------------------------------------------------ one neutraliser
@pytest.mark.parametrize("text", FORMULAS)
def test_the_neutraliser_quotes_every_formula_start(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -2.5, 0, 3, None, "普惠泉社区", "a-b", "'x"])
def test_the_neutraliser_leaves_numbers_and_plain_text(value):
    assert neutralise(value) == value


def test_a_quote_the_user_typed_before_a_formula_survives_the_round_trip():
    # stored "'=1" is written "''=1"; the import takes one quote off, giving "'=1" back
    assert neutralise("'=1") == "''=1"


@pytest.fixture()
def formula_orgs(db):
    """Branches whose names (and secretaries) start like formulas, written straight in SQL."""
    made = []
    with db.cursor() as cur:
        cur.execute("SELECT id FROM party_orgs WHERE code = '610802'")
        parent = cur.fetchone()[0]
        for text in FORMULAS:
            code = unique_code()
            cur.execute(
                "INSERT INTO party_orgs (code, name, level, category, parent_id, secretary) "
                "VALUES (%s, %s, 'branch', 'non_public', %s, %s)",
                (code, text, parent, text),
            )
            made.append(code)
    yield made
    with db.cursor() as cur:
        cur.execute("DELETE FROM party_orgs WHERE code = ANY(%s)", (made,))


def _csv_rows(client, query: str) -> list[dict]:
    res = client.get(f"/api/v1/orgs?f=csv&{query}")
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(res.get_data().decode("utf-8-sig"), newline="")))


def test_csv_export_neutralises_every_formula_start(client, formula_orgs):
    rows = [r for r in _csv_rows(client, "limit=10000") if r["code"] in formula_orgs]
    assert sorted(r["name"] for r in rows) == sorted("'" + t for t in FORMULAS)
    assert sorted(r["secretary"] for r in rows) == sorted("'" + t for t in FORMULAS)


def test_xlsx_export_neutralises_formulas_and_keeps_numbers(client, formula_orgs, db):
    res = client.get("/api/v1/orgs?f=xlsx&limit=10000")
    assert res.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(res.get_data())).active
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    rows = [r for r in ws.iter_rows(min_row=2) if r[col["code"]].value in formula_orgs]
    assert sorted(r[col["name"]].value for r in rows) == sorted("'" + t for t in FORMULAS)
    assert all(r[col["name"]].data_type == "s" for r in rows)
    assert all(r[col["version"]].data_type == "n" for r in rows)


def test_a_negative_number_stays_a_number_in_xlsx(tmp_path):
    from mapsvc.exchange import formats
    from mapsvc.records.catalog import RESOURCES

    areas = RESOURCES["admin-areas"]
    path = tmp_path / "a.xlsx"
    item = {"code": "610802001001", "name": "-5", "level": "community", "population": -5}
    formats.write_file(areas, [item], "xlsx", path)
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    row = ws[2]
    population = row[header.index("population")]
    assert (population.value, population.data_type) == (-5, "n")
    name = row[header.index("name")]  # the text "-5" is text: quoted
    assert (name.value, name.data_type) == ("'-5", "s")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_neutralised_export_imports_back_unchanged(tmp_path, url, db, formula_orgs, fmt):
    with db.cursor() as cur:
        # as the records API stores them (trimmed), and one quote a user typed before a formula
        cur.execute(
            "UPDATE party_orgs SET name = btrim(name, E' \\t\\r'), "
            "secretary = btrim(secretary, E' \\t\\r') WHERE code = ANY(%s)",
            (formula_orgs,),
        )
        cur.execute("UPDATE party_orgs SET address = %s WHERE code = %s", ("'=1", formula_orgs[0]))
    before = _names(db, formula_orgs)
    path = tmp_path / f"orgs.{fmt}"
    n = imports.export_kind(url, "orgs", fmt, path)
    report = imports.import_file(url, path, "orgs")
    assert report["status"] == "written", report["problems"][:3]
    assert report["unchanged"] == n
    assert _names(db, formula_orgs) == before


def _names(db, codes):
    with db.cursor() as cur:
        cur.execute(
            "SELECT code, name, secretary, address, version FROM party_orgs "
            "WHERE code = ANY(%s) ORDER BY code",
            (codes,),
        )
        return cur.fetchall()


# ------------------------------------------------------------------ coordinates
@pytest.mark.parametrize(
    "change, missing",
    [({"lat": 38.29}, "lon"), ({"lon": 109.74}, "lat"), ({"lon": 109.74, "lat": None}, "lat")],
)
def test_one_coordinate_alone_is_refused_naming_the_other(client, db, change, missing):
    before = q1(db, "SELECT count(*) FROM party_orgs")
    res = client.post("/api/v1/orgs", json=org_body(**change))
    assert res.status_code == 400, res.get_json()
    body = res.get_json()
    assert [e["code"] for e in body["errors"]] == ["coordinate_missing"]
    assert body["errors"][0]["field"] == missing
    assert (
        missing in body["message_en"]
        and ("经度" if missing == "lon" else "纬度") in body["message"]
    )
    assert q1(db, "SELECT count(*) FROM party_orgs") == before


@pytest.mark.parametrize(
    "change",
    [
        {"lon": "109.74", "lat": "38.29"},
        {"lon": 109.74, "lat": "38.29"},
        {"geometry": {"lon": "109.74", "lat": 38.29}},
        {"geometry": {"type": "Point", "coordinates": ["109.74", "38.29"]}},
        {"lon": True, "lat": 38.29},
    ],
)
def test_coordinates_as_strings_are_refused_in_json(client, db, change):
    before = q1(db, "SELECT count(*) FROM party_orgs")
    res = client.post("/api/v1/orgs", json=org_body(**change))
    assert res.status_code == 400, res.get_json()
    body = res.get_json()
    assert "coordinate_not_a_number" in [e["code"] for e in body["errors"]]
    assert "must be a number" in body["message_en"] and "必须是数字" in body["message"]
    assert q1(db, "SELECT count(*) FROM party_orgs") == before


def test_numbers_as_strings_are_refused_in_json_but_not_in_files(client, db, tmp_path, url):
    code = "610802001001"
    res = client.patch(
        f"/api/v1/admin-areas/{code}", json={"population": "12000"}, headers={"If-Match": '"1"'}
    )
    assert res.status_code == 400, res.get_json()
    assert res.get_json()["errors"][0]["code"] == "not_a_number"
    assert "must be a number" in res.get_json()["message_en"]
    # a CSV carries every number as text: it still imports
    sp = unique_code()
    path = tmp_path / "sp.csv"
    path.write_text(
        "code,name,level,lon,lat\n" + f"{sp},测试服务站,station,109.7345,38.2852\n",
        encoding="utf-8",
    )
    report = imports.import_file(url, path, "service_points")
    assert report["status"] == "written", report["problems"]
    assert q1(db, "SELECT count(*) FROM service_points WHERE code = %s", (sp,)) == 1
    with db.cursor() as cur:
        cur.execute("DELETE FROM service_points WHERE code = %s", (sp,))


# ------------------------------------------------------------------ keys and codes
@pytest.mark.parametrize(
    "key", ["9223372036854775808", "99999999999999999999999", "-9223372036854775809"]
)
def test_an_id_beyond_bigint_is_404_not_500(client, key):
    for res in (
        client.get(f"/api/v1/orgs/{key}"),
        client.patch(f"/api/v1/orgs/{key}", json={"name": "x"}, headers={"If-Match": '"1"'}),
        client.delete(f"/api/v1/orgs/{key}", headers={"If-Match": '"1"'}),
        client.get(f"/api/v1/members/{key}"),
        client.get(f"/api/v1/orgs/{key}/summary"),
        client.get(f"/api/v1/members/{key}/history"),
        client.post(
            f"/api/v1/members/{key}/return", json={"note": "x"}, headers={"If-Match": '"1"'}
        ),
        client.get(f"/api/v1/orgs/{key.replace('9', '９')}"),  # full-width: not an id either
        client.get(f"/api/v1/orgs/{'9' * 5000}"),
    ):
        assert res.status_code == 404, (res.request.method, res.get_data(as_text=True)[:300])
        assert res.get_json()["message_en"]


def test_an_all_digit_code_beyond_bigint_is_an_ordinary_code(client, db):
    """A code of 19+ digits is a code like any other; it is never read as an id."""
    big = "9223372036854775808"
    res = client.post("/api/v1/orgs", json=org_body(code=big))
    try:
        assert res.status_code == 201, res.get_json()
        org_id = res.get_json()["id"]
        assert client.get(f"/api/v1/orgs?code={big}").get_json()["items"][0]["id"] == org_id
        assert client.get(f"/api/v1/orgs/{big}").status_code == 404  # ids, not codes
    finally:
        with db.cursor() as cur:
            cur.execute("DELETE FROM party_orgs WHERE code = %s", (big,))


@pytest.mark.parametrize(
    "kind, field, value",
    [
        ("orgs", "code", "６１０８０２００１"),  # full-width digits
        ("orgs", "code", "Т6108ОРГ"),  # Cyrillic Т, О, Р, Г
        ("orgs", "parent_code", "６１０８０２"),
        ("orgs", "admin_area_code", "６１０８０２００１００１"),
        ("service-points", "code", "SP-６１"),
    ],
)
def test_codes_that_only_look_ascii_are_refused_clearly(client, db, kind, field, value):
    table = {"orgs": "party_orgs", "service-points": "service_points"}[kind]
    body = (
        org_body(**{field: value})
        if kind == "orgs"
        else {"code": value, "name": "测试", "level": "station", "lon": 109.74, "lat": 38.29}
    )
    before = q1(db, f"SELECT count(*) FROM {table}")
    res = client.post(f"/api/v1/{kind}", json=body)
    assert res.status_code == 400, res.get_json()
    err = res.get_json()["errors"][0]
    assert (err["field"], err["code"]) == (field, "code_not_ascii")
    assert "ASCII" in err["message_en"] and "半角" in err["message"]
    assert q1(db, f"SELECT count(*) FROM {table}") == before


def test_an_id_is_ascii_digits_only(client, db):
    """int() would read "１", "0_1" or " 1" as 1: one record must not answer to many URLs."""
    org_id = q1(db, "SELECT min(id) FROM party_orgs")
    assert client.get(f"/api/v1/orgs/{org_id}").status_code == 200
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in str(org_id))
    for key in (fullwidth, f"0_{org_id}", f"%20{org_id}", f"+{org_id}"):
        res = client.get(f"/api/v1/orgs/{key}")
        assert res.status_code == 404, key


@pytest.mark.parametrize("kind", ["orgs", "members", "service-points"])
def test_coordinates_past_every_float_are_400_not_500(client, db, kind):
    """10**400 is a valid JSON integer; float() of it overflows (found by tests/fuzz)."""
    res = client.post(f"/api/v1/{kind}", json={"lon": 10**400, "lat": 10**400})
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    assert any("not finite" in e["message_en"] for e in res.get_json()["errors"])
    # the validation layer itself, as imports call it: no OverflowError escapes
    from mapsvc.records import validation
    from mapsvc.records.catalog import RESOURCES

    _values, problems = validation.coerce(RESOURCES[kind], {"lon": 10**400, "lat": 10**400})
    assert any("not finite" in p.message_en for p in problems)


def test_lon_lat_for_a_record_without_a_point_are_refused_not_dropped(client, db):
    """An area's geometry is a polygon: lon/lat there were silently ignored (200, no change)."""
    code = "610802000000"
    version = q1(db, "SELECT version FROM admin_areas WHERE code = %s", (code,))
    res = client.patch(
        f"/api/v1/admin-areas/{code}",
        json={"lon": 109.7, "lat": 38.2},
        headers={"If-Match": f'"{version}"'},
    )
    assert res.status_code == 400, res.get_json()
    assert {e["code"] for e in res.get_json()["errors"]} == {"unknown_field"}
    assert q1(db, "SELECT version FROM admin_areas WHERE code = %s", (code,)) == version
