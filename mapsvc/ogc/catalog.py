"""The one layer list: what /ogc/collections and the map page (/map) both say of a layer.

Who may read a layer and how it is described (titles, style, zooms, access, tiles and items
addresses) is decided here once; /ogc adds the OGC collection's own fields (links, crs,
extent), the page adds how it draws the layer (render mode, clustering, aggregates).
"""

from __future__ import annotations

from layers import ACCESS_LEVELS, Layer, all_layers

TMS = "WebMercatorQuad"  # the one tile matrix set served


def may_read(layer: Layer, principal) -> bool:
    """Aggregate layers for everyone; the others for people who may see personal records."""
    return layer.access == "aggregate" or principal.sees_personal


def readable_layers(principal) -> list[Layer]:
    """The layers principal may read, in drawing order."""
    return [layer for layer in all_layers().values() if may_read(layer, principal)]


def describe_layer(layer: Layer, base: str) -> dict:
    """The layer's shared description; base is the /ogc address the links start with."""
    collection = f"{base}/collections/{layer.id}"
    tiles = f"{collection}/tiles/{TMS}"
    return {
        "id": layer.id,
        "title_en": layer.title_en,
        "geometryType": layer.geometry_type,
        "access": layer.access,
        "access_zh": ACCESS_LEVELS[layer.access],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "order": layer.order,
        "visible": layer.visible,
        "style": layer.style.describe(),
        "properties": [p.describe() for p in layer.properties],
        "tiles": tiles + "/{z}/{x}/{y}",
        "tilejson": f"{tiles}?f=tilejson",
        "items": f"{collection}/items",
    }
