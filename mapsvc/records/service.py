"""Reading and writing records of any kind in the catalog: the SQL is built here, once,
from the declarations in mapsvc.records.catalog (never from request text).

Writes take values already coerced by mapsvc.records.validation; each runs in the caller's
transaction, so a refused write leaves nothing behind.
"""

from __future__ import annotations

from decimal import Decimal

import shapely
from psycopg2 import sql

from mapsvc.domain import vocabulary as labels
from mapsvc.records.catalog import Field, Resource

ORG_ID_BY_CODE = sql.SQL("(SELECT id FROM party_orgs WHERE code = {})")


class NotFound(Exception):
    """No record with that key."""


class VersionConflict(Exception):
    """The record changed since the client read it (optimistic concurrency)."""

    def __init__(self, current_version: int):
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


GEOMETRY_MODES = {"full": "完整", "simplified": "简化", "none": "不含"}


def _read_expr(f: Field, geometry: str = "full") -> sql.Composable:
    col = sql.SQL("t.") + sql.Identifier(f.col)
    if f.type == "ref":
        return sql.SQL("(SELECT r.code FROM party_orgs r WHERE r.id = {})").format(col)
    if f.is_geometry and geometry == "simplified":
        # about 50 m: enough for overview maps, a fraction of the bytes
        return (
            sql.SQL(
                "ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology({}, 0.0005)), 5)::jsonb"
            ).format(col)
            if f.type == "multipolygon"
            else sql.SQL("ST_AsGeoJSON({}, 6)::jsonb").format(col)
        )
    if f.is_geometry:
        return sql.SQL("ST_AsGeoJSON({}, 7)::jsonb").format(col)
    if f.type == "date":
        return sql.SQL("to_char({}, 'YYYY-MM-DD')").format(col)
    if f.name == "updated_at":
        iso = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
        iso = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
        return sql.SQL("to_char({} AT TIME ZONE 'UTC', {})").format(col, sql.Literal(iso))
    return col


def _select(resource: Resource, geometry: str = "full") -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(_read_expr(f, geometry), sql.Identifier(f.name))
        for f in resource.fields
        if not (f.is_geometry and geometry == "none")
    )


def _key_column(resource: Resource) -> sql.Identifier:
    return sql.Identifier(resource.field(resource.key).col)


def _filter(f: Field, value) -> sql.Composable:
    col = sql.SQL("t.") + sql.Identifier(f.col)
    if isinstance(value, list):  # any of several values
        return sql.SQL("({})").format(sql.SQL(" OR ").join(_filter(f, v) for v in value))
    if f.type == "ref":
        return sql.SQL("{} = {}").format(col, ORG_ID_BY_CODE.format(sql.Literal(value)))
    return sql.SQL("{} = {}").format(col, sql.Literal(value))


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
    where = [_filter(resource.field(name), value) for name, value in filters.items()]
    if q:
        like = sql.Literal(f"%{q}%")
        where.append(
            sql.SQL("({})").format(
                sql.SQL(" OR ").join(
                    sql.SQL("t.{} ILIKE {}").format(sql.Identifier(c), like)
                    for c in resource.search
                )
            )
        )
    if scope_sql is not None:
        where.append(scope_sql)
    statement = sql.SQL(
        "SELECT {fields}, count(*) OVER () AS total__ FROM {table} t {where} "
        "ORDER BY t.{order} LIMIT {limit} OFFSET {offset}"
    ).format(
        fields=_select(resource, geometry),
        table=sql.Identifier(resource.table),
        where=sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
        order=sql.Identifier(resource.order),
        limit=sql.Literal(limit),
        offset=sql.Literal(offset),
    )
    cur.execute(statement)
    rows = cur.fetchall()
    total = rows[0]["total__"] if rows else _count(cur, resource, where)
    return [present(resource, r, show_phones) for r in rows], total


def _count(cur, resource: Resource, where: list) -> int:
    cur.execute(
        sql.SQL("SELECT count(*) AS n FROM {} t {}").format(
            sql.Identifier(resource.table),
            sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
        )
    )
    return cur.fetchone()["n"]


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
    cur.execute(
        sql.SQL("SELECT {} FROM {} t WHERE t.{} = %s AND {} {}").format(
            _select(resource),
            sql.Identifier(resource.table),
            _key_column(resource),
            scope_sql if scope_sql is not None else sql.SQL("TRUE"),
            sql.SQL("FOR UPDATE") if for_update else sql.SQL(""),
        ),
        (key,),
    )
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


def _write_value(f: Field, value) -> sql.Composable:
    if value is None:
        return sql.SQL("NULL")
    if f.type == "ref":
        return ORG_ID_BY_CODE.format(sql.Literal(value))
    if f.is_geometry:
        return sql.SQL("ST_GeomFromWKB({}, 4326)").format(sql.Literal(shapely.to_wkb(value)))
    return sql.Literal(value)


def create_record(cur, resource: Resource, values: dict):
    """Insert a record; returns its key."""
    fields = [resource.field(n) for n in values]
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {} AS key").format(
            sql.Identifier(resource.table),
            sql.SQL(", ").join(sql.Identifier(f.col) for f in fields),
            sql.SQL(", ").join(_write_value(f, values[f.name]) for f in fields),
            _key_column(resource),
        )
    )
    return cur.fetchone()["key"]


def update_record(cur, resource: Resource, key, values: dict, expected_version: int):
    """Change fields of a record if it is still at expected_version; returns its key."""
    sets = [
        sql.SQL("{} = {}").format(
            sql.Identifier(resource.field(n).col), _write_value(resource.field(n), v)
        )
        for n, v in values.items()
    ]
    sets += [sql.SQL("version = version + 1"), sql.SQL("updated_at = now()")]
    cur.execute(
        sql.SQL("UPDATE {} SET {} WHERE {} = %s AND version = %s RETURNING {} AS key").format(
            sql.Identifier(resource.table),
            sql.SQL(", ").join(sets),
            _key_column(resource),
            _key_column(resource),
        ),
        (key, expected_version),
    )
    row = cur.fetchone()
    if row is None:
        cur.execute(
            sql.SQL("SELECT version FROM {} WHERE {} = %s").format(
                sql.Identifier(resource.table), _key_column(resource)
            ),
            (key,),
        )
        found = cur.fetchone()
        if found is None:
            raise NotFound(key)
        raise VersionConflict(found["version"])
    return row["key"]


def delete_record(cur, resource: Resource, key, expected_version: int | None) -> None:
    """Delete a record (orgs are dissolved instead, keeping their history)."""
    if resource.dissolve:
        statement = sql.SQL(
            "UPDATE {} SET status = 'dissolved', dissolved_on = current_date, "
            "version = version + 1, updated_at = now() "
            "WHERE {} = %s AND status = 'active' AND (%s::int IS NULL OR version = %s) "
            "RETURNING 1"
        )
    else:
        statement = sql.SQL(
            "DELETE FROM {} WHERE {} = %s AND (%s::int IS NULL OR version = %s) RETURNING 1"
        )
    cur.execute(
        statement.format(sql.Identifier(resource.table), _key_column(resource)),
        (key, expected_version, expected_version),
    )
    if cur.fetchone() is None:
        current = get_record(cur, resource, key)  # NotFound when gone
        if expected_version is not None and current["version"] != expected_version:
            raise VersionConflict(current["version"])
