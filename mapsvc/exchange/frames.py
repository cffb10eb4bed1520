"""GIS files through geopandas (pyogrio engine): a layer into rows, records into a layer.

Shared by the GeoPackage and Shapefile readers and the GeoPackage and GeoJSON writers.
Columns are typed from the values (integers stay integers beside nulls, booleans stay
booleans); anything else is written as text, dates as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import re
from collections.abc import Sequence

import pandas as pd

from geodata import crs as crsmod
from mapsvc.exchange.table import (
    Column,
    Row,
    as_shape,
    cell,
    geometry_field,
    refuse,
    values_of,
)
from mapsvc.records.catalog import Field, Resource

GEOMETRY_TYPES = {"point": "Point", "multipolygon": "MultiPolygon", "line": "LineString"}
FEATURE_ID = "__feature_id__"  # a column GeoJSON writes as each feature's "id" member


# ------------------------------------------------------------------------- reading
def read_frame(source: str, *, layer: str | None = None, encoding: str | None = None):
    """A layer as a (Geo)DataFrame, 2-D; FileRefused when GDAL cannot open it."""
    import geopandas as gpd
    import pyogrio

    try:
        return gpd.read_file(
            source, layer=layer, engine="pyogrio", force_2d=True, encoding=encoding
        )
    except pyogrio.errors.DataSourceError as exc:
        raise refuse("unreadable_layer", error=exc) from None


def frame_crs(frame) -> crsmod.Crs | None:
    """The layer's coordinate system, when it has one the service knows."""
    crs = getattr(frame, "crs", None)
    if crs is None:
        return None
    text = crs.to_string()
    m = re.fullmatch(r"EPSG:(\d+)", text.strip())
    code = int(m.group(1)) if m else crs.to_epsg(min_confidence=70)
    if code is None:
        return None
    try:
        return crsmod.parse_crs(f"EPSG:{code}")
    except crsmod.CrsError:
        return None


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def plain(series: pd.Series) -> list:
    """A column as plain Python values (missing → None, timestamps → datetime)."""
    if series.dtype.kind == "M":
        return [None if _missing(x) else x.to_pydatetime() for x in series]
    return [None if _missing(v) else v for v in series.tolist()]


def split_frame(frame) -> tuple[list[str], list[list], list]:
    """Headers, each column's values and the geometries (None each when there is none)."""
    geometry = frame.geometry.name if hasattr(frame, "geometry") else None
    header = [str(c) for c in frame.columns if c != geometry]
    data = [plain(frame[c]) for c in frame.columns if c != geometry]
    shapes = list(frame.geometry.values) if geometry else [None] * len(frame)
    return header, data, shapes


def feature_rows(targets: list[str | None], data: list[list], shapes: list) -> list[Row]:
    """One Row per feature, numbered from 1 in file order (a shapefile's FID + 1)."""
    rows = []
    for n, geom in enumerate(shapes):
        values, _ = values_of(targets, [col[n] for col in data])
        if geom is not None or "lon" not in values:
            values["geometry"] = geom
        rows.append(Row(n + 1, values))
    return rows


# ------------------------------------------------------------------------- writing
def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):  # and datetimes
        return v.isoformat()
    return str(v)


def _series(f: Field | None, values: list, *, lists: bool):
    """A typed column: booleans, nullable integers, floats, lists (GeoJSON) or text."""
    kinds = {type(v) for v in values if v is not None}
    ftype = f.type if f is not None and not kinds else None  # a column of nulls: its field's
    if kinds == {bool} or ftype == "bool":
        return pd.array(values, dtype="boolean")
    if kinds == {int} or ftype == "int":
        return pd.array(values, dtype="Int64")
    if kinds and kinds <= {int, float} or ftype == "float":
        return pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
    if lists and kinds == {list} or kinds == {str}:
        return pd.Series(values, dtype=object)
    return pd.Series([_text(v) for v in values], dtype=object)


_AS_IS = (str, int, float, bool, type(None))  # most values: nothing to convert


def _value(f: Field | None, v, *, lists: bool):
    if type(v) in _AS_IS:
        return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if lists and isinstance(v, list):
        return [str(x) for x in v]
    return cell(f, v)


def frame_of(resource: Resource, items: Sequence[dict], columns: list[Column], *, lists: bool):
    """Records as a GeoDataFrame in WGS84; lists kept as lists when the format has them."""
    import geopandas as gpd

    geo = geometry_field(resource)
    data = {
        c.header: _series(
            c.field, [_value(c.field, i.get(c.name), lists=lists) for i in items], lists=lists
        )
        for c in columns
    }
    geoms = [as_shape(i.get(geo.name)) if geo is not None else None for i in items]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))


def write_frame(frame, resource: Resource, path: str, driver: str, **options) -> None:
    """Write the frame as the kind's one layer, replacing any file at path."""
    geo = geometry_field(resource)
    if os.path.exists(path):
        os.remove(path)
    frame.to_file(
        path,
        driver=driver,
        engine="pyogrio",
        layer=resource.kind,
        geometry_type=GEOMETRY_TYPES.get(geo.type if geo else "", "Unknown"),
        **options,
    )


def feature_ids(items: Sequence[dict]):
    """Each record's id (or code, for kinds without one) as a column."""
    return _series(None, [i.get("id", i.get("code")) for i in items], lists=False)
