"""The one cache of layer extents, kept under the versions of the tables behind each layer.

layer_versions (migration 0008) counts changes per table; an extent is stored with the
versions read before it was computed, so an edit is seen by the next request: never stale,
and the hexagons of a million members are not summed again while nothing changes. Personal
layers are computed afresh with the caller's member filter. Used by /ogc and by /map.
"""

from __future__ import annotations

from flask import current_app, g
from psycopg2 import sql as pgsql

from layers import Layer
from mapsvc.ogc import features


class Extents:
    """Layer id → (versions of its tables, [minx, miny, maxx, maxy] or None)."""

    def __init__(self):
        self._known: dict[str, tuple[tuple, list[float] | None]] = {}

    def get(self, cur, layer: Layer, versions: dict[str, int]) -> list[float] | None:
        """The extent of a layer readable by all, computed again only when its tables changed."""
        if not layer.tables or not all(t in versions for t in layer.tables):
            return features.extent(cur, layer)  # a table no trigger counts: no cache
        key = tuple(versions[t] for t in layer.tables)
        hit = self._known.get(layer.id)
        if hit is None or hit[0] != key:
            hit = (key, features.extent(cur, layer))
            self._known[layer.id] = hit
        return hit[1]


def layer_extent(
    cur, layer: Layer, member_filter: pgsql.Composable | None = None
) -> list[float] | None:
    """The layer's extent for this request: this app's cache, the versions read once a request
    (/collections asks for every layer); personal layers with member_filter, uncached."""
    if layer.personal:
        return features.extent(cur, layer, member_filter)
    if "layer_versions" not in g:
        g.layer_versions = features.table_versions(cur)
    cache = current_app.extensions.setdefault("layer_extents", Extents())
    return cache.get(cur, layer, g.layer_versions)
