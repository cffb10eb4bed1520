"""GeoPackage in and out, through geopandas: the layer named like the kind, else the first."""

from __future__ import annotations

from collections.abc import Sequence

from mapsvc.exchange import frames
from mapsvc.exchange.table import Column, Contents, map_headers, refuse, sheet_or_layer, warn
from mapsvc.records.catalog import Resource

LABEL = "GeoPackage"
UNIT = "feature"
GEOMETRY = True
NO_CRS = "no_crs"  # a layer without SRS is refused unless --crs says what it is


def _layer(path: str, resource: Resource, warnings: list) -> str:
    import pyogrio

    layers = [str(x[0]) for x in pyogrio.list_layers(path)]
    if not layers:
        raise refuse("no_layer")
    layer = sheet_or_layer(layers, resource)
    if len(layers) > 1:
        warnings.append(warn("layer_chosen", count=len(layers), name=layer))
    return layer


def read(path: str, resource: Resource) -> Contents:
    """The features of one layer, numbered from 1 in file order."""
    warnings: list = []
    frame = frames.read_frame(path, layer=_layer(path, resource, warnings))
    header, data, shapes = frames.split_frame(frame)
    columns, more = map_headers(resource, header, where=header)
    rows = frames.feature_rows(columns.targets, data, shapes)
    return Contents(rows, columns.mapped, frames.frame_crs(frame), "file", warnings + more)


def write(resource: Resource, items: Sequence[dict], columns: list[Column], path: str) -> None:
    """Records as one layer named after the kind, in WGS84 (EPSG:4326)."""
    frame = frames.frame_of(resource, items, columns, lists=False)
    frames.write_frame(frame, resource, path, "GPKG")
