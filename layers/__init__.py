"""The map's layers, declared once (layers/catalog.py, SQL in layers/sql/<id>.sql).

One code path (mapsvc/ogc/features.py) turns any definition into OGC API Features items, Mapbox
vector tiles, TileJSON and the page's layer list; adding a layer means adding a definition.

A layer's source SQL is one SELECT yielding `id` (the feature id: the database id), `geom`
(EPSG:4326) and one column per exposed property. A personal layer's SQL holds
`{member_filter}`, replaced by access.member_filter(principal, alias="m") so rows are
filtered in the database.
"""

from __future__ import annotations

from functools import cache

from layers.model import ACCESS_LEVELS, GEOMETRY_TYPES, PROPERTY_TYPES, SQL_DIR, Layer, Prop, Style

__all__ = [
    "ACCESS_LEVELS",
    "GEOMETRY_TYPES",
    "PROPERTY_TYPES",
    "SQL_DIR",
    "Layer",
    "Prop",
    "Style",
    "all_layers",
]


@cache
def all_layers() -> dict[str, Layer]:
    """Every layer by id, in drawing order."""
    from layers.catalog import LAYERS

    return {layer.id: layer for layer in sorted(LAYERS, key=lambda x: x.order)}
