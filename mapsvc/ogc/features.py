"""The one code path from a layer definition (layers/) to features, tiles and descriptions.

Functions take a database cursor and a Layer, and know nothing of HTTP; the routes in
mapsvc/ogc/routes.py parse requests and shape responses. Personal layers get the caller's
access.member_filter predicate, which is written into their SQL (rows are filtered in the
database, never after fetching).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from psycopg2 import sql as pgsql

from layers import Layer
from mapsvc.infra.sql import Queries, execute

query = Queries(__file__)

TILE_EXTENT = 4096
MAX_ZOOM = 24  # the deepest WebMercatorQuad tile matrix served
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@dataclass(frozen=True)
class ItemQuery:
    """What a request for items asks: a box (CRS84), property filters, a page."""

    bbox: tuple[float, float, float, float] | None = None
    filters: tuple[tuple[str, str], ...] = ()
    limit: int = 10
    offset: int = 0


@cache
def _template(name: str) -> str:
    """mapsvc/ogc/sql/<name>.sql without its comment lines (they may name {placeholders})."""
    lines = query(name).splitlines()
    return "\n".join(ln for ln in lines if not ln.lstrip().startswith("--"))


def _source(layer: Layer, member_filter: pgsql.Composable | None) -> pgsql.Composable:
    """The layer's SELECT, with the caller's member filter for a personal layer."""
    if layer.personal:
        return pgsql.SQL(layer.source).format(
            member_filter=member_filter if member_filter is not None else pgsql.SQL("false")
        )
    return pgsql.SQL(layer.source)


def _where(layer: Layer, q: ItemQuery) -> tuple[pgsql.Composable, dict]:
    """The predicate of an item query and its parameters."""
    parts: list[pgsql.Composable] = [pgsql.SQL("true")]
    params: dict = {}
    if q.bbox is not None:
        params.update(dict(zip(("bx0", "by0", "bx1", "by1"), q.bbox, strict=True)))
        parts.append(
            pgsql.SQL(
                "ST_Intersects(s.geom, ST_MakeEnvelope(%(bx0)s::float8, %(by0)s::float8, "
                "%(bx1)s::float8, %(by1)s::float8, 4326))"
            )
        )
    for i, (name, value) in enumerate(q.filters):
        assert layer.prop(name) is not None, name  # checked by the caller against the layer
        params[f"p{i}"] = value
        parts.append(
            pgsql.SQL("s.{}::text = %({})s").format(pgsql.Identifier(name), pgsql.SQL(f"p{i}"))
        )
    return pgsql.SQL(" AND ").join(parts), params


def _run(cur, statement: pgsql.Composable, params: dict) -> None:
    execute(cur, statement.as_string(cur.connection), params)


def items(
    cur, layer: Layer, q: ItemQuery, member_filter: pgsql.Composable | None = None
) -> tuple[str, int, int]:
    """(GeoJSON array of the page's features as text, numberReturned, numberMatched)."""
    where, params = _where(layer, q)
    source = _source(layer, member_filter)
    props = pgsql.SQL(", ").join(
        pgsql.SQL("{}, s.{}").format(pgsql.Literal(p.name), pgsql.Identifier(p.name))
        for p in layer.properties
    )
    params = {**layer.params, **params, "limit": q.limit, "offset": q.offset}
    _run(
        cur,
        pgsql.SQL(_template("layer_items")).format(source=source, properties=props, where=where),
        params,
    )
    page = cur.fetchone()
    _run(cur, pgsql.SQL(_template("layer_count")).format(source=source, where=where), params)
    return page["features"], page["returned"], cur.fetchone()["matched"]


def item(cur, layer: Layer, fid: str, member_filter: pgsql.Composable | None = None) -> str | None:
    """One feature as GeoJSON text, or None when no row has that id (or the caller may not see it)."""
    if layer.id_type == "integer":
        try:
            key: int | str = int(fid)
        except ValueError:
            return None
        if not -(2**63) <= key < 2**63:
            return None
        where = pgsql.SQL("s.id = %(fid)s::bigint")
    else:
        key, where = fid, pgsql.SQL("s.id = %(fid)s::text")
    props = pgsql.SQL(", ").join(
        pgsql.SQL("{}, s.{}").format(pgsql.Literal(p.name), pgsql.Identifier(p.name))
        for p in layer.properties
    )
    statement = pgsql.SQL(_template("layer_items")).format(
        source=_source(layer, member_filter), properties=props, where=where
    )
    _run(cur, statement, {**layer.params, "fid": key, "limit": 1, "offset": 0})
    text = cur.fetchone()["features"]
    return None if text == "[]" else text[1:-1]


def extent(cur, layer: Layer, member_filter: pgsql.Composable | None = None) -> list[float] | None:
    """[minx, miny, maxx, maxy] of the layer's features, None when it has none."""
    statement = pgsql.SQL(_template("layer_extent")).format(source=_source(layer, member_filter))
    _run(cur, statement, dict(layer.params))
    row = cur.fetchone()
    if row["x0"] is None:
        return None
    return [round(row[k], 6) for k in ("x0", "y0", "x1", "y1")]


_TILE_STATEMENTS: dict[tuple, str] = {}


def _tile_statement(cur, layer: Layer, z: int) -> str:
    """The tile query's text for a non-personal layer at zoom z: composed once for each set
    of properties, prepared once a connection (mapsvc.infra.sql.execute)."""
    key = (layer.id, tuple(p.name for p in layer.tile_properties_at(z)))
    if key not in _TILE_STATEMENTS:
        _TILE_STATEMENTS[key] = _tile_sql(layer, None, z).as_string(cur.connection)
    return _TILE_STATEMENTS[key]


def _tile_sql(layer: Layer, member_filter: pgsql.Composable | None, z: int) -> pgsql.Composable:
    cols = []
    for p in layer.tile_properties_at(z):
        col = pgsql.SQL("s.{}").format(pgsql.Identifier(p.name))
        if p.type == "list":
            col = pgsql.SQL("array_to_string({}, '、')").format(col)
        cols.append(pgsql.SQL("{} AS {}, ").format(col, pgsql.Identifier(p.name)))
    return pgsql.SQL(_template("layer_tile")).format(
        layer=pgsql.Literal(layer.id),
        fid=pgsql.SQL(", 'id'") if layer.tile_id else pgsql.SQL(""),
        # MVT ids are integers: a string id (a division code) is written as its number
        tile_id=pgsql.SQL(
            ""
            if not layer.tile_id
            else "s.id, "
            if layer.id_type == "integer"
            else "s.id::bigint AS id, "
        ),
        properties=pgsql.SQL("").join(cols),
        source=_source(layer, member_filter),
    )


def tile(
    cur, layer: Layer, z: int, x: int, y: int, member_filter: pgsql.Composable | None = None
) -> bytes:
    """The layer's features in WebMercatorQuad tile z/x/y as a Mapbox vector tile (b'' if none)."""
    if layer.personal:
        text = _tile_sql(layer, member_filter, z).as_string(cur.connection)
    else:
        text = _tile_statement(cur, layer, z)
    execute(
        cur,
        text,
        {**layer.params, "z": z, "x": x, "y": y} if layer.params else {"z": z, "x": x, "y": y},
    )
    return bytes(cur.fetchone()["tile"] or b"")


def table_versions(cur) -> dict[str, int]:
    """The change count of each table behind the layers (layer_versions)."""
    execute(cur, query("layer_versions"), {})
    return {r["table_name"]: r["version"] for r in cur.fetchall()}
