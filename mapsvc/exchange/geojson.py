"""GeoJSON in (read by hand) and out (written through geopandas).

Reading stays with the json module rather than GDAL: it keeps every feature, numbered from 1
in file order, including those whose geometry GDAL would drop or refuse, so validation can
say which feature is wrong and where; and a syntax error is reported with its line.
Properties may differ from feature to feature. A "crs" member (GeoJSON 2008) names the
coordinate system; without one, bracketed headers may, else WGS84 is assumed (a warning).

Writing gives a FeatureCollection in WGS84 that says so (a CRS84 "crs" member), each
feature's "id" the record's id (or code), lists as JSON arrays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import shapely
from shapely.geometry import shape

from geodata import crs as crsmod
from mapsvc.exchange import frames
from mapsvc.exchange.table import Column, Contents, Row, decode, map_headers, refuse, values_of
from mapsvc.records.catalog import Resource

LABEL = "GeoJSON"
UNIT = "feature"
GEOMETRY = True
NO_CRS = None  # GeoJSON without a "crs" member is WGS84 by RFC 7946 (a warning says so)


def _crs_from_name(name: str) -> crsmod.Crs | None:
    if not isinstance(name, str):
        return None
    if "crs84" in name.lower():
        return crsmod.WGS84
    m = re.search(r"EPSG:+(?:[\d.]*:)?(\d+)$", name, re.IGNORECASE)
    try:
        return crsmod.parse_crs(f"EPSG:{m.group(1)}" if m else name)
    except crsmod.CrsError:
        return None


def _geometry_value(g):
    """A GeoJSON geometry as shapely (2-D), or as given when it cannot be read."""
    if g is None:
        return None
    try:
        return shapely.force_2d(shape(g))
    except Exception:  # noqa: BLE001 - unreadable geometry: validation says so per feature
        return g


def _document(path: str) -> dict:
    with open(path, "rb") as fh:
        text, _ = decode(fh.read())
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse("bad_geojson_json", line=exc.lineno, error=exc.msg) from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise refuse("bad_geojson")
    return doc


def _crs_member(doc: dict) -> crsmod.Crs | None:
    """The coordinate system the "crs" member names; refused when it names an unknown one."""
    member = doc.get("crs")
    if not isinstance(member, dict):
        return None
    name = (member.get("properties") or {}).get("name")
    file_crs = _crs_from_name(name)
    if file_crs is None:
        raise refuse("unknown_geojson_crs", name=name)
    return file_crs


def _row(n: int, feat, header: list[str], targets: list[str | None]) -> Row:
    if not isinstance(feat, dict):
        feat = {}
    props = feat.get("properties") or {}
    values, _ = values_of(targets, [props.get(h) for h in header])
    geom = feat.get("geometry")
    if geom is not None:
        values["geometry"] = _geometry_value(geom)
    elif "lon" not in values:
        values.setdefault("geometry", None)
    return Row(n, values)


def read(path: str, resource: Resource) -> Contents:
    """The features of a FeatureCollection (or one Feature), numbered from 1."""
    doc = _document(path)
    features = (doc.get("features") or []) if doc["type"] == "FeatureCollection" else [doc]
    file_crs = _crs_member(doc)
    keys: dict[str, None] = {}  # every property of every feature, in order of appearance
    for feat in features:
        for k in (feat.get("properties") or {}) if isinstance(feat, dict) else ():
            keys.setdefault(k, None)
    header = list(keys)
    columns, warnings = map_headers(resource, header, where=header)
    rows = [_row(n, f, header, columns.targets) for n, f in enumerate(features, start=1)]
    if file_crs is None and columns.crs is not None:
        return Contents(rows, columns.mapped, columns.crs, "header", warnings)
    return Contents(rows, columns.mapped, file_crs, "file", warnings)


def write(resource: Resource, items: Sequence[dict], columns: list[Column], path: str) -> None:
    """Records as a FeatureCollection in WGS84 named after the kind."""
    frame = frames.frame_of(resource, items, columns, lists=True)
    frame[frames.FEATURE_ID] = frames.feature_ids(items)
    frames.write_frame(frame, resource, path, "GeoJSON", ID_FIELD=frames.FEATURE_ID)
