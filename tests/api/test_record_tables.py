"""The record tables declared in mapsvc.records.tables against the migrated schema and the
catalog, and the statements mapsvc.records.service builds from them.

The schema comes from the migrations (plain SQL); the declarations must say the same thing,
column by column: type (geometry type and SRID included), nullability, generated, identity,
defaults, keys. A column declared but not migrated (or migrated but not declared) fails.
"""

from __future__ import annotations

import psycopg2
import pytest
import sqlalchemy as sa
from geoalchemy2 import Geography, Geometry
from psycopg2 import sql
from psycopg2.extras import RealDictCursor
from sqlalchemy.dialects import postgresql

from mapsvc.infra.db import engine_for
from mapsvc.records import service, tables
from mapsvc.records.catalog import RESOURCES, TABLE_OF

PG = postgresql.dialect()


# ------------------------------------------------------------------------- comparing
def _type(t) -> str:
    return " ".join(t.compile(dialect=PG).lower().split())


def _identity(col: sa.Column):
    return None if col.identity is None else bool(col.identity.always)


def _declared(col: sa.Column) -> dict:
    return {
        "type": _type(col.type),
        "nullable": col.nullable,
        "generated": col.computed is not None,
        "identity": _identity(col),
        "default": isinstance(col.server_default, sa.DefaultClause),
    }


def _reflected(info: dict) -> dict:
    identity = info.get("identity")
    return {
        "type": _type(info["type"]),
        "nullable": info["nullable"],
        "generated": bool(info.get("computed")),
        "identity": None if not identity else bool(identity["always"]),
        "default": info.get("default") is not None,
    }


def _column_differences(table: sa.Table, reflected: list[dict]) -> list[str]:
    found = {info["name"]: info for info in reflected}
    problems = [f"{table.name}.{c}: in the schema, not declared" for c in found if c not in table.c]
    for col in table.c:
        if col.name not in found:
            problems.append(f"{table.name}.{col.name}: declared, not in the schema")
            continue
        want, got = _declared(col), _reflected(found[col.name])
        problems += [
            f"{table.name}.{col.name}: {what} declared {want[what]!r}, schema has {got[what]!r}"
            for what in want
            if want[what] != got[what]
        ]
        if isinstance(col.type, (Geometry, Geography)):
            kind, srid = col.type.geometry_type, col.type.srid
            other = found[col.name]["type"]
            if (kind, srid) != (
                getattr(other, "geometry_type", None),
                getattr(other, "srid", None),
            ):
                problems.append(f"{table.name}.{col.name}: geometry {kind}/{srid} differs")
    return problems


def _fk_set(pairs) -> set:
    return {(tuple(cols), table, tuple(refs)) for cols, table, refs in pairs}


def _key_differences(table: sa.Table, inspector) -> list[str]:
    problems = []
    declared_pk = [c.name for c in table.primary_key.columns]
    schema_pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
    if declared_pk != schema_pk:
        problems.append(f"{table.name}: primary key {declared_pk} but schema {schema_pk}")
    declared_fks = _fk_set(
        (fk.column_keys, fk.referred_table.name, [e.column.name for e in fk.elements])
        for fk in table.foreign_key_constraints
    )
    schema_fks = _fk_set(
        (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
        for fk in inspector.get_foreign_keys(table.name)
    )
    if declared_fks != schema_fks:
        problems.append(f"{table.name}: foreign keys {declared_fks ^ schema_fks} differ")
    declared_unique = {
        tuple(c.name for c in u.columns)
        for u in table.constraints
        if isinstance(u, sa.UniqueConstraint)
    } | {(c.name,) for c in table.c if c.unique}
    schema_unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
    if declared_unique != schema_unique:
        problems.append(f"{table.name}: unique {declared_unique ^ schema_unique} differ")
    return problems


def schema_differences(metadata: sa.MetaData, inspector) -> list[str]:
    """Everything in which the declared tables and the database's disagree."""
    problems = []
    for table in metadata.tables.values():
        if not inspector.has_table(table.name):
            problems.append(f"{table.name}: declared, not in the schema")
            continue
        problems += _column_differences(table, inspector.get_columns(table.name))
        problems += _key_differences(table, inspector)
    return problems


@pytest.fixture(scope="module")
def inspector(empty_db_url):
    """An inspector of the migrated (empty) database."""
    with engine_for(empty_db_url).connect() as connection:
        yield sa.inspect(connection)


def _copy() -> sa.MetaData:
    copy = sa.MetaData()
    for table in tables.metadata.tables.values():
        table.to_metadata(copy)
    return copy


# ------------------------------------------------------------------------- the schema
def test_declared_tables_match_the_migrated_schema(inspector):
    """Every declared table and column is migrated alike, and nothing migrated is undeclared."""
    assert schema_differences(tables.metadata, inspector) == []


def test_the_record_tables_are_declared():
    """The catalog's tables and the ones imports and member history write are declared."""
    declared = set(tables.TABLES)
    assert {r.table for r in RESOURCES.values()} <= declared
    assert {"roads", "road_vertices", "member_events", "member_positions"} <= declared


def test_a_column_missing_from_the_schema_is_found(inspector):
    """A column declared but never migrated is reported."""
    copy = _copy()
    copy.tables["grids"].append_column(sa.Column("colour", sa.Text))
    assert schema_differences(copy, inspector) == ["grids.colour: declared, not in the schema"]


class _MigratedMore:
    """The inspector as if a migration had added a column the declarations lack."""

    def __init__(self, inspector, table: str, column: dict):
        self.inspector, self.table, self.column = inspector, table, column

    def __getattr__(self, name):
        return getattr(self.inspector, name)

    def get_columns(self, table: str) -> list[dict]:
        columns = self.inspector.get_columns(table)
        return [*columns, self.column] if table == self.table else columns


def test_a_column_missing_from_the_declarations_is_found(inspector):
    """A column migrated but not declared is reported."""
    colour = {"name": "colour", "type": sa.Text(), "nullable": True, "default": None}
    more = _MigratedMore(inspector, "roads", colour)
    assert schema_differences(tables.metadata, more) == [
        "roads.colour: in the schema, not declared"
    ]


@pytest.mark.parametrize(
    ("table", "column", "change", "found"),
    [
        ("members", "home_geom", {"type": Geometry("POINT", srid=3857)}, "type"),
        ("grids", "geom", {"type": Geometry("POLYGON", srid=4326)}, "type"),
        ("members", "birth_year", {"type": sa.Integer()}, "type"),
        ("service_points", "phone", {"nullable": False}, "nullable"),
        ("party_orgs", "path", {"type": sa.Text()}, "type"),
    ],
)
def test_a_different_column_is_found(inspector, table, column, change, found):
    """A wrong type, geometry type, SRID or nullability is reported on its column."""
    copy = _copy()
    col = copy.tables[table].c[column]
    for attr, value in change.items():
        setattr(col, attr, value)
    problems = schema_differences(copy, inspector)
    assert problems and all(p.startswith(f"{table}.{column}: ") for p in problems)
    assert any(found in p for p in problems)


def test_a_missing_foreign_key_is_found(inspector):
    """Foreign keys are compared too."""
    copy = sa.MetaData()
    for table in tables.metadata.tables.values():
        if table.name != "grids":
            table.to_metadata(copy)
    cols = []
    for c in tables.grids.c:
        cols.append(sa.Column(c.name, c.type, nullable=c.nullable, primary_key=c.primary_key))
    sa.Table("grids", copy, *cols)
    problems = schema_differences(copy, inspector)
    assert any(p.startswith("grids: foreign keys") for p in problems)


# ------------------------------------------------------------------------- the catalog
GEOMETRY_TYPES = {"point": "POINT", "multipolygon": "MULTIPOLYGON"}


@pytest.mark.parametrize("resource", RESOURCES.values(), ids=lambda r: r.name)
def test_every_catalog_field_is_a_declared_column(resource):
    """Catalog fields name declared columns of the right kind; writable ones are writable."""
    table = tables.TABLES[resource.table]
    for f in resource.fields:
        assert f.col in table.c, f"{resource.name}.{f.name}: no column {f.col}"
        col = table.c[f.col]
        if f.is_geometry:
            assert isinstance(col.type, Geometry)
            assert (col.type.geometry_type, col.type.srid) == (GEOMETRY_TYPES[f.type], 4326)
        if f.type == "ref":
            ref_table, code = TABLE_OF[f.ref]
            assert code in tables.TABLES[ref_table].c
            assert any(fk.column.table.name == ref_table for fk in col.foreign_keys) or (
                f.col == "org_id"  # members' org: the composite key to a branch-level org
            ), f"{resource.name}.{f.name}: {f.col} does not refer to {ref_table}"
        if f.writable:  # the database fills these; a client cannot
            assert col.computed is None and col.identity is None, f.name
            assert not isinstance(col.server_default, sa.FetchedValue) or isinstance(
                col.server_default, sa.DefaultClause
            ), f.name
    for name in (*resource.search, resource.order):
        assert name in table.c


# ------------------------------------------------------------------------- the statements
@pytest.fixture()
def cur(conn):
    """A dict cursor on the demo database, rolled back after the test."""
    with conn.cursor(cursor_factory=RealDictCursor) as c:
        yield c


def test_statements_are_compiled_once_per_shape():
    """The same shape reuses its compiled statement; another shape gets its own."""
    orgs = RESOURCES["orgs"]
    first = service._statement(service._list_statement, orgs, "none", (), True, False)
    again = service._statement(service._list_statement, orgs, "none", (), True, False)
    other = service._statement(service._list_statement, orgs, "full", (), True, False)
    assert first is again and first is not other
    assert "%(q)s" in first.text and "ILIKE" in first.text


def test_values_are_parameters_not_text(cur):
    """Quotes, percent signs and colons in a search or a scope are data, never SQL."""
    members = RESOURCES["members"]
    odd = "x'%:y\\"
    items, total = service.list_records(
        cur, members, filters={}, q=odd, limit=5, offset=0, geometry="none"
    )
    assert (items, total) == ([], 0)
    scope = sql.SQL("t.name <> {}").format(sql.Literal(odd))
    items, total = service.list_records(
        cur, members, filters={}, q=None, limit=5, offset=0, scope_sql=scope
    )
    cur.execute("SELECT count(*) AS n FROM members")
    assert total == cur.fetchone()["n"] and len(items) == 5
    text = service._statement(service._list_statement, members, "full", (), True, True).text
    assert odd not in text


def test_lists_read_refs_as_codes_and_filter_by_them(cur):
    """Refs come back as codes; a ref filter and a many-valued enum filter select alike."""
    members = RESOURCES["members"]
    cur.execute(
        "SELECT o.code, count(*) AS n FROM members m JOIN party_orgs o ON o.id = m.org_id "
        "GROUP BY o.code ORDER BY n DESC, o.code LIMIT 1"
    )
    org = cur.fetchone()
    items, total = service.list_records(
        cur,
        members,
        filters={"org_code": org["code"], "status": ["full", "probationary"]},
        q=None,
        limit=1000,
        offset=0,
        geometry="none",
    )
    assert total == org["n"] == len(items)
    assert {i["org_code"] for i in items} == {org["code"]}
    assert all("geometry" not in i for i in items)
    _, none = service.list_records(
        cur, members, filters={"org_code": "NO0SUCH"}, q=None, limit=5, offset=0
    )
    assert none == 0


def test_a_page_past_the_end_still_counts(cur):
    """An empty page reports the total all the same."""
    grids = RESOURCES["grids"]
    items, total = service.list_records(
        cur, grids, filters={}, q=None, limit=10, offset=10**6, geometry="simplified"
    )
    cur.execute("SELECT count(*) AS n FROM grids")
    assert items == [] and total == cur.fetchone()["n"] > 0


def test_write_statements_round_trip(cur):
    """Create, update with the version, a stale update, delete: through the service only."""
    points = RESOURCES["service-points"]
    import shapely

    cur.execute("SELECT code FROM party_orgs ORDER BY id LIMIT 1")
    org = cur.fetchone()["code"]
    values = {
        "code": "TEST-TABLES-1",
        "name": "测试服务点",
        "level": "station",
        "geometry": shapely.Point(109.7, 38.3),
        "services": ["咨询", "100%:'"],
        "operating_org_code": org,
        "floor_area_m2": 12.5,
    }
    key = service.create_record(cur, points, values)
    record = service.get_record(cur, points, key, for_update=True)
    assert record["operating_org_code"] == org and record["services"] == values["services"]
    assert record["geometry"]["coordinates"] == [109.7, 38.3]
    assert record["floor_area_m2"] == 12.5 and record["version"] == 1
    service.update_record(cur, points, key, {"name": "改名", "operating_org_code": None}, 1)
    record = service.get_record(cur, points, key)
    assert (record["name"], record["operating_org_code"], record["version"]) == ("改名", None, 2)
    with pytest.raises(service.VersionConflict) as stale:
        service.update_record(cur, points, key, {"name": "再改"}, 1)
    assert stale.value.current_version == 2
    with pytest.raises(service.VersionConflict):
        service.delete_record(cur, points, key, 1)
    service.delete_record(cur, points, key, 2)
    with pytest.raises(service.NotFound):
        service.get_record(cur, points, key)
    with pytest.raises(service.NotFound):
        service.update_record(cur, points, key, {"name": "x"}, 2)


def test_an_org_is_dissolved_not_deleted(cur):
    """DELETE of an org dissolves it; the record stays with a new version."""
    orgs = RESOURCES["orgs"]
    cur.execute("SELECT code FROM party_orgs WHERE parent_id IS NULL")
    root = cur.fetchone()["code"]
    values = {"code": "TESTTABLES1", "name": "测试支部", "level": "branch"}
    key = service.create_record(cur, orgs, {**values, "category": "community", "parent_code": root})
    assert service.get_record(cur, orgs, key)["parent_code"] == root
    service.delete_record(cur, orgs, key, None)
    record = service.get_record(cur, orgs, key)
    assert record["status"] == "dissolved" and record["dissolved_on"] is not None
    assert record["version"] == 2
    with pytest.raises(service.NotFound):
        service.delete_record(cur, RESOURCES["members"], -1, None)


def test_refused_writes_leave_the_transaction_usable(cur):
    """A constraint error comes from the database, as before (the caller maps it)."""
    members = RESOURCES["members"]
    cur.execute("SAVEPOINT s")
    with pytest.raises(psycopg2.IntegrityError):
        service.create_record(
            cur,
            members,
            {
                "org_code": "NO0SUCH",
                "name": "某",
                "gender": "M",
                "birth_year": 1990,
                "joined_on": "2015-01-01",
                "status": "full",
            },
        )
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("SELECT 1 AS one")
    assert cur.fetchone()["one"] == 1
