"""Zipped Shapefile (or a .shp beside its .shx/.dbf/.prj) in, through geopandas.

Headers may be cut to the ten characters a DBF allows. A shapefile without .prj is refused
unless --crs says what it is; one without .cpg has its text read as GBK or UTF-8, whichever
the bytes are, with a warning.
"""

from __future__ import annotations

import os
import zipfile

from mapsvc.exchange import frames
from mapsvc.exchange.table import Contents, listed, map_headers, refuse, warn
from mapsvc.records.catalog import Resource

LABEL = "Shapefile"
UNIT = "feature"
GEOMETRY = True
NO_CRS = "no_prj"  # refused unless --crs says what it is: GCJ-02 cannot be told from WGS84


def _in_zip(path: str) -> tuple[str, bool, bool]:
    """The shapefile inside a zip: its inner path, whether it has .prj, whether .cpg."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    shps = [n for n in names if n.lower().endswith(".shp")]
    if not shps:
        raise refuse("no_shapefile")
    if len(shps) > 1:
        zh, en = listed(shps)
        raise refuse("several_shapefiles", names_zh=zh, names=en)
    stem = shps[0][:-4].lower()
    present = {n.lower() for n in names}
    for ext in (".shx", ".dbf"):
        if stem + ext not in present:
            raise refuse("incomplete_shapefile", ext=ext)
    return shps[0], stem + ".prj" in present, stem + ".cpg" in present


def _source(path: str) -> tuple[str, bool, bool]:
    """What GDAL opens, whether a .prj is there, whether a .cpg is."""
    if path.lower().endswith(".shp"):
        base = path[:-4]
        has_prj = os.path.exists(base + ".prj") or os.path.exists(base + ".PRJ")
        has_cpg = os.path.exists(base + ".cpg") or os.path.exists(base + ".CPG")
        return path, has_prj, has_cpg
    inner, has_prj, has_cpg = _in_zip(path)
    return f"/vsizip/{path}/{inner}", has_prj, has_cpg


def _fix_text(values: list, codec: str) -> list:
    return [
        v.encode("latin-1").decode(codec, errors="replace") if isinstance(v, str) else v
        for v in values
    ]


def _guess_codec(strings: list[str]) -> str:
    try:
        for s in strings:
            s.encode("latin-1").decode("utf-8")
        return "utf-8"
    except (UnicodeEncodeError, UnicodeDecodeError):
        return "gb18030"


def _recode(header: list[str], data: list[list], warnings: list) -> tuple[list, list]:
    """Text GDAL read as Latin-1 (no .cpg) decoded as what it is: GBK or UTF-8."""
    strings = [s for s in header if not s.isascii()]
    for col in data:
        strings += [v for v in col if isinstance(v, str) and not v.isascii()]
    if not strings:
        return header, data
    codec = _guess_codec(strings)
    warnings.append(warn("encoding_no_cpg", codec=codec.upper()))
    return _fix_text(header, codec), [_fix_text(col, codec) for col in data]


def _latin1(source: str) -> bool:
    """Whether GDAL reads the DBF as Latin-1 (no .cpg and no code page in the header)."""
    import pyogrio

    return pyogrio.read_info(source).get("encoding") == "ISO-8859-1"


def read(path: str, resource: Resource) -> Contents:
    """The features of the shapefile, numbered from 1 (FID + 1)."""
    warnings: list = []
    source, has_prj, has_cpg = _source(path)
    frame = frames.read_frame(source)
    header, data, shapes = frames.split_frame(frame)
    if not has_cpg and _latin1(source):
        # no .cpg: GDAL read bytes as Latin-1; Chinese DBFs are GBK or UTF-8 underneath
        header, data = _recode(header, data, warnings)
    columns, more = map_headers(resource, header, where=header, truncated=True)
    rows = frames.feature_rows(columns.targets, data, shapes)
    crs = frames.frame_crs(frame) if has_prj else None
    return Contents(rows, columns.mapped, crs, "file", warnings + more)
