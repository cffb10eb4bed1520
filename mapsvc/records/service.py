"""Reading and writing records of any kind in the catalog: statements are built here with
SQLAlchemy Core from the tables in mapsvc.records.tables and the declarations in
mapsvc.records.catalog (never from request text).

Each statement is compiled once per shape (resource, fields given, filters, geometry mode)
for psycopg2 and run on the caller's cursor with the request's values as parameters; writes
take values already coerced by mapsvc.records.validation and run in the caller's
transaction, so a refused write leaves nothing behind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal

import shapely
from psycopg2 import sql
from sqlalchemy import (
    Boolean,
    LargeBinary,
    Table,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from mapsvc.domain import vocabulary as labels
from mapsvc.records.catalog import TABLE_OF, Field, Resource
from mapsvc.records.tables import SRID, TABLES

DIALECT = postgresql.psycopg2.dialect()
# where the caller's scope predicate goes; replaced by its text when the statement runs
SCOPE_SLOT = "__records_scope__"
ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
SIMPLIFY_DEG = 0.0005  # about 50 m: enough for overview maps, a fraction of the bytes


class NotFound(Exception):
    """No record with that key."""


class VersionConflict(Exception):
    """The record changed since the client read it (optimistic concurrency)."""

    def __init__(self, current_version: int):
        """current_version: the record's version now."""
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


GEOMETRY_MODES = {"full": "完整", "simplified": "简化", "none": "不含"}


# ------------------------------------------------------------------------- compiling
class _Compiled:
    """A statement compiled for psycopg2: pyformat text and its constant parameters."""

    __slots__ = ("text", "params")

    def __init__(self, statement):
        compiled = statement.compile(dialect=DIALECT)
        self.text: str = compiled.string
        self.params: dict = dict(compiled.params)


_compiled: dict[tuple, tuple[Resource, _Compiled]] = {}


def _statement(build: Callable, resource: Resource, *shape) -> _Compiled:
    """build(resource, *shape) compiled, once per shape; the entry holds the resource so
    its id stays its own while cached."""
    key = (build, id(resource), shape)
    hit = _compiled.get(key)
    if hit is None or hit[0] is not resource:
        if len(_compiled) > 2048:  # shapes are few; this only bounds a pathological caller
            _compiled.clear()
        hit = _compiled[key] = (resource, _Compiled(build(resource, *shape)))
    return hit[1]


def _run(cur, compiled: _Compiled, values: dict, scope_sql: sql.Composable | None = None):
    text = compiled.text
    if scope_sql is not None:
        # psycopg2 renders the predicate with its literals quoted; % is doubled because the
        # statement is formatted with parameters
        scope = scope_sql.as_string(cur.connection).replace("%", "%%")
        text = text.replace(SCOPE_SLOT, f"({scope})")
    cur.execute(text, {**compiled.params, **values})


# ------------------------------------------------------------------------- reading
def _table(resource: Resource) -> Table:
    return TABLES[resource.table]


def _alias(resource: Resource):
    """The resource's table as `t`, the alias scope predicates name."""
    return _table(resource).alias("t")


def _key_column(resource: Resource, t):
    return t.c[resource.field(resource.key).col]


def _ref_target(f: Field):
    """(referenced table, its primary key column name, its code column name) of a ref."""
    table_name, code = TABLE_OF[f.ref]
    (pk,) = TABLES[table_name].primary_key.columns
    return TABLES[table_name], pk.name, code


def _geojson(f: Field, col, geometry: str):
    if geometry == "simplified" and f.type == "multipolygon":
        simple = func.ST_Multi(func.ST_SimplifyPreserveTopology(col, SIMPLIFY_DEG))
        return cast(func.ST_AsGeoJSON(simple, 5), JSONB)
    return cast(func.ST_AsGeoJSON(col, 6 if geometry == "simplified" else 7), JSONB)


def _read_expr(f: Field, col, geometry: str):
    if f.is_geometry:
        return _geojson(f, col, geometry)
    if f.type == "date":
        return func.to_char(col, "YYYY-MM-DD")
    if f.name == "updated_at":
        return func.to_char(func.timezone("UTC", col), ISO_UTC)
    return col


def _columns(resource: Resource, t, geometry: str = "full") -> list:
    """The fields as clients see them; refs as codes.

    A ref is a correlated subquery, not a join: it runs for the rows of the page only, where
    a join would look up every matching row before the window count and the limit.
    """
    columns = []
    for f in resource.fields:
        if f.is_geometry and geometry == "none":
            continue
        if f.type == "ref":
            table, pk, code = _ref_target(f)
            r = table.alias(f"r_{f.name}")
            ref = select(r.c[code]).where(r.c[pk] == t.c[f.col]).scalar_subquery()
            columns.append(ref.label(f.name))
        else:
            columns.append(_read_expr(f, t.c[f.col], geometry).label(f.name))
    return columns


def _ref_id(f: Field, code):
    """The id of the record a ref field names by code (NULL when there is none)."""
    table, pk, code_col = _ref_target(f)
    table = table.alias("ref")  # its own alias: never correlated with the table written
    return select(table.c[pk]).where(table.c[code_col] == code).scalar_subquery()


def _filter(f: Field, t, many: bool):
    """t's field f equals the parameter f_<name> (any of a list of them when many)."""
    col = t.c[f.col]
    if f.type == "ref":
        table, pk, code = _ref_target(f)
        table = table.alias("ref")
        if many:
            codes = bindparam(f"f_{f.name}", type_=ARRAY(table.c[code].type))
            return col.in_(select(table.c[pk]).where(table.c[code] == any_(codes)))
        return col == _ref_id(f, bindparam(f"f_{f.name}"))
    if many:
        return col == any_(bindparam(f"f_{f.name}", type_=ARRAY(col.type)))
    return col == bindparam(f"f_{f.name}")


def _where(resource: Resource, t, filters: tuple, searched: bool, scoped: bool) -> list:
    """Predicates of a list: filters as (name, many) pairs, the search, the scope slot."""
    where = [_filter(resource.field(name), t, many) for name, many in filters]
    if searched:
        q = bindparam("q")
        where.append(or_(*(t.c[c].ilike(q) for c in resource.search)))
    if scoped:
        where.append(literal_column(SCOPE_SLOT, Boolean))
    return where


def _list_statement(resource, geometry, filters, searched, scoped):
    t = _alias(resource)
    return (
        select(*_columns(resource, t, geometry), func.count().over().label("total__"))
        .select_from(t)
        .where(*_where(resource, t, filters, searched, scoped))
        .order_by(t.c[resource.order])
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _count_statement(resource, filters, searched, scoped):
    t = _alias(resource)
    where = _where(resource, t, filters, searched, scoped)
    return select(func.count().label("n")).select_from(t).where(*where)


def _filter_values(filters: dict) -> tuple[tuple, dict]:
    """The shape of the filters ((name, many) pairs) and their parameter values."""
    shape = tuple((name, isinstance(value, list)) for name, value in filters.items())
    return shape, {f"f_{name}": value for name, value in filters.items()}


def list_records(
    cur,
    resource: Resource,
    *,
    filters: dict,
    q: str | None,
    limit: int,
    offset: int,
    geometry: str = "full",
    scope_sql: sql.Composable | None = None,
    show_phones: bool = False,
) -> tuple[list[dict], int]:
    """A page of records matching exact-value filters and a name search, and the total."""
    shape, values = _filter_values(filters)
    if q:
        values["q"] = f"%{q}%"
    where_shape = (shape, bool(q), scope_sql is not None)
    statement = _statement(_list_statement, resource, geometry, *where_shape)
    _run(cur, statement, {**values, "limit": limit, "offset": offset}, scope_sql)
    rows = cur.fetchall()
    if rows:
        total = rows[0]["total__"]
    else:  # past the last page: count on its own
        _run(cur, _statement(_count_statement, resource, *where_shape), values, scope_sql)
        total = cur.fetchone()["n"]
    return [present(resource, r, show_phones) for r in rows], total


def _get_statement(resource, for_update, scoped):
    t = _alias(resource)
    where = [_key_column(resource, t) == bindparam("key")]
    if scoped:
        where.append(literal_column(SCOPE_SLOT, Boolean))
    statement = select(*_columns(resource, t)).select_from(t).where(*where)
    return statement.with_for_update(of=t) if for_update else statement  # the record only


def get_record(
    cur,
    resource: Resource,
    key,
    *,
    for_update: bool = False,
    scope_sql: sql.Composable | None = None,
    show_phones: bool = False,
) -> dict:
    """One record by its key; NotFound when there is none (or it is outside scope_sql)."""
    statement = _statement(_get_statement, resource, for_update, scope_sql is not None)
    _run(cur, statement, {"key": key}, scope_sql)
    row = cur.fetchone()
    if row is None:
        raise NotFound(key)
    return present(resource, row, show_phones)


def present(resource: Resource, row: dict, show_phones: bool = False) -> dict:
    """A record as clients see it: phones masked (138****1234) unless show_phones.

    numeric columns come as Decimal, which JSON would show as a string ("2605.5"): a float
    field is a number.
    """
    out = {k: v for k, v in row.items() if k != "total__"}
    for f in resource.fields:
        if f.type == "float" and isinstance(out.get(f.name), Decimal):
            out[f.name] = float(out[f.name])
        if not show_phones and f.pattern == r"^1[3-9][0-9]{9}$" and out.get(f.name):
            out[f.name] = labels.mask_phone(out[f.name])
    return out


# ------------------------------------------------------------------------- writing
def _write_expr(f: Field):
    """The value written for field f, from the parameter v_<name> (None writes NULL)."""
    if f.type == "ref":
        return _ref_id(f, bindparam(f"v_{f.name}"))
    if f.is_geometry:
        return func.ST_GeomFromWKB(bindparam(f"v_{f.name}", type_=LargeBinary), SRID)
    return bindparam(f"v_{f.name}")


def _write_values(resource: Resource, values: dict) -> dict:
    """Parameters for the values of a write: geometry as WKB."""
    out = {}
    for name, value in values.items():
        if resource.field(name).is_geometry and value is not None:
            value = shapely.to_wkb(value)
        out[f"v_{name}"] = value
    return out


def _sets(resource: Resource, names: tuple) -> dict:
    return {resource.field(n).col: _write_expr(resource.field(n)) for n in names}


def _create_statement(resource, names):
    table = _table(resource)
    return (
        insert(table)
        .values(_sets(resource, names))
        .returning(_key_column(resource, table).label("key"))
    )


def create_record(cur, resource: Resource, values: dict):
    """Insert a record; returns its key."""
    statement = _statement(_create_statement, resource, tuple(values))
    _run(cur, statement, _write_values(resource, values))
    return cur.fetchone()["key"]


def _update_statement(resource, names):
    table = _table(resource)
    key = _key_column(resource, table)
    return (
        update(table)
        .where(key == bindparam("where_key"), table.c.version == bindparam("where_version"))
        .values(
            {**_sets(resource, names), "version": table.c.version + 1, "updated_at": func.now()}
        )
        .returning(key.label("key"))
    )


def _version_statement(resource):
    table = _table(resource)
    return select(table.c.version).where(_key_column(resource, table) == bindparam("where_key"))


def update_record(cur, resource: Resource, key, values: dict, expected_version: int):
    """Change fields of a record if it is still at expected_version; returns its key."""
    statement = _statement(_update_statement, resource, tuple(values))
    params = {**_write_values(resource, values), "where_key": key}
    _run(cur, statement, {**params, "where_version": expected_version})
    row = cur.fetchone()
    if row is None:
        _run(cur, _statement(_version_statement, resource), {"where_key": key})
        found = cur.fetchone()
        if found is None:
            raise NotFound(key)
        raise VersionConflict(found["version"])
    return row["key"]


def _delete_statement(resource, versioned):
    table = _table(resource)
    where = [_key_column(resource, table) == bindparam("where_key")]
    if versioned:
        where.append(table.c.version == bindparam("where_version"))
    if resource.dissolve:  # orgs keep their history: dissolved, not deleted
        statement = (
            update(table)
            .where(*where, table.c.status == "active")
            .values(
                status="dissolved",
                dissolved_on=func.current_date(),
                version=table.c.version + 1,
                updated_at=func.now(),
            )
        )
    else:
        statement = delete(table).where(*where)
    return statement.returning(literal_column("1"))


def delete_record(cur, resource: Resource, key, expected_version: int | None) -> None:
    """Delete a record (orgs are dissolved instead, keeping their history)."""
    statement = _statement(_delete_statement, resource, expected_version is not None)
    _run(cur, statement, {"where_key": key, "where_version": expected_version})
    if cur.fetchone() is None:
        current = get_record(cur, resource, key)  # NotFound when gone
        if expected_version is not None and current["version"] != expected_version:
            raise VersionConflict(current["version"])


@functools.cache
def _blockers_statement() -> _Compiled:
    members, orgs = TABLES["members"], TABLES["party_orgs"]
    return _Compiled(
        select(
            select(func.count())
            .select_from(members)
            .where(members.c.org_id == bindparam("id"))
            .scalar_subquery()
            .label("members"),
            select(func.count())
            .select_from(orgs)
            .where(orgs.c.parent_id == bindparam("id"), orgs.c.status == "active")
            .scalar_subquery()
            .label("children"),
        )
    )


def dissolve_blockers(cur, org_id: int) -> tuple[int, int]:
    """What keeps an org from being dissolved: its members and its active child orgs."""
    _run(cur, _blockers_statement(), {"id": org_id})
    row = cur.fetchone()
    return row["members"], row["children"]


@functools.cache
def _member_org_statement() -> _Compiled:
    members = TABLES["members"]
    return _Compiled(select(members.c.org_id).where(members.c.id == bindparam("id")))


def org_of_member(cur, member_id: int) -> int | None:
    """The org holding a member's relationship."""
    _run(cur, _member_org_statement(), {"id": member_id})
    row = cur.fetchone()
    return None if row is None else row["org_id"]
