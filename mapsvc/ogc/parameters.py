"""The query parameters of every /ogc endpoint, declared once.

The routes parse requests with these declarations (mapsvc.http.params.declare) and the
OpenAPI document of /ogc (mapsvc.ogc.openapi) lists them, so a limit is typed only here.
"""

from __future__ import annotations

from functools import cache

from layers import Layer
from mapsvc.domain.errors import BadInput
from mapsvc.http import params
from mapsvc.ogc.features import CRS84

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000  # a bigger limit is capped, as OGC API Features allows


def _format(options: dict[str, str]) -> params.Param:
    """f=: one of options; None when absent (the Accept header decides)."""
    return params.worded(params.Choice("f", "格式 / format", options), "unknown_format")


def _read_bbox_crs(args) -> str | None:
    raw = args.get("bbox-crs")
    if raw is not None and raw not in (CRS84, "CRS84"):
        raise BadInput("unknown_bbox_crs", raw=raw, only=CRS84)
    return raw


BBOX_CRS = params.Param(
    "bbox-crs",
    "bbox 的坐标系（只支持 CRS84） / the bbox's coordinate system (CRS84 only)",
    {"type": "string", "enum": [CRS84, "CRS84"]},
    _read_bbox_crs,
)

# what each endpoint reads from its query string
PAGE = (_format({"json": "JSON", "html": "网页"}),)
"""The landing page, conformance, the API document, collections and one collection."""
ITEMS = (  # by name: an unknown parameter's refusal lists them in this order
    params.Bbox(),
    BBOX_CRS,
    params.Text("datetime", "时间（图层无时间属性，忽略） / datetime (ignored: no layer has time)"),
    _format({"json": "GeoJSON", "geojson": "GeoJSON", "html": "网页"}),
    params.Capped(
        "limit",
        f"每页要素数（1–{MAX_LIMIT}，默认 {DEFAULT_LIMIT}） / features a page",
        default=DEFAULT_LIMIT,
        cap=MAX_LIMIT,
    ),
    params.Integer("offset", "跳过的要素数 / features skipped", default=0, lo=0, hi=params.INT_MAX),
)
"""A page of features; a layer's property filters are declared by `filters`."""
ITEM = (ITEMS[3],)
"""One feature."""
TILESET = (_format({"json": "瓦片集 JSON", "tilejson": "TileJSON"}),)
"""A tileset's metadata or its TileJSON."""


@cache
def filter_param(name: str) -> params.Param:
    """An exact filter on the property name (compared as text)."""
    return params.Single(
        name, f"按属性 {name} 精确筛选（图层有该属性时） / equal to, on layers with {name}"
    )


def filters(layer: Layer) -> tuple[params.Param, ...]:
    """The property filters a layer's items accept."""
    return tuple(filter_param(p.name) for p in layer.properties if p.filter)
