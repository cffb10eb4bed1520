"""Record files in and out: one entry point over one module per format.

`read_table(path, resource, crs=, filename=)` reads GeoJSON (exchange.geojson), GeoPackage
(exchange.geopackage), zipped Shapefile (exchange.shapefile), CSV (exchange.csvfile) or XLSX
(exchange.xlsx) into a `Table` (exchange.table) and settles its coordinate system;
`write_file`, `export_bytes` and `download` write records back as GeoJSON, GeoPackage, XLSX
or CSV, in WGS84, with headers that read back unchanged.

The coordinate system of a file: the `crs` argument (the --crs option) wins; otherwise the
file's own (.prj, the GeoPackage SRS, the GeoJSON "crs" member, bracketed headers). A
shapefile without .prj, or a GeoPackage layer without SRS, is refused. A CSV, XLSX or GeoJSON
that says nothing is taken as WGS84 with a warning: GCJ-02 (Gaode, Tencent, WeChat) and
BD-09 (Baidu) coordinates are offset by a few hundred metres and CANNOT be told apart from
WGS84 by looking at them, so points copied from those maps must be imported with
--crs gcj02 / bd09.

Each format module has LABEL, UNIT ("row" or "feature"), GEOMETRY (whether its rows always
carry geometry), NO_CRS (the refusal when the file names no coordinate system, or None) and
`read(path, resource) -> Contents`; the writable ones `write(resource, items, columns, path)`.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from geodata import crs as crsmod
from mapsvc.domain import vocabulary
from mapsvc.exchange import csvfile, geojson, geopackage, shapefile, xlsx
from mapsvc.exchange.table import (  # noqa: F401 - the names callers use, from one place
    IGNORED_SILENTLY,
    Contents,
    ExportError,
    FileRefused,
    Problem,
    Row,
    Table,
    export_columns,
    listed,
    refuse,
    warn,
)
from mapsvc.records.catalog import Resource

READERS: dict[str, ModuleType] = {
    "geojson": geojson,
    "gpkg": geopackage,
    "shapefile": shapefile,
    "csv": csvfile,
    "xlsx": xlsx,
}
WRITERS: dict[str, ModuleType] = {
    "geojson": geojson,
    "gpkg": geopackage,
    "xlsx": xlsx,
    "csv": csvfile,
}
FORMATS = {name: module.LABEL for name, module in READERS.items()}
EXPORT_FORMATS = {
    # name: (label, media type, file extension)
    "geojson": ("GeoJSON", "application/geo+json", "geojson"),
    "gpkg": ("GeoPackage", "application/geopackage+sqlite3", "gpkg"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("CSV", "text/csv; charset=utf-8", "csv"),
}
FILE_FORMATS = {k: v[0] for k, v in EXPORT_FORMATS.items() if k != "geojson"}  # downloads
EXPORT_MAX_ROWS = 200_000  # one download from a list endpoint
HEADER_LANGUAGES = vocabulary.HEADER_LANGUAGES  # a download's column names
XLSX_CELL_MAX = xlsx.CELL_MAX

_BY_EXTENSION = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".shp": "shapefile",
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


def _old_excel(what: str) -> FileRefused:
    # named .xls/.et/.wps: it may come from WPS too
    return refuse("old_excel_or_wps" if "/" in what else "old_excel_format", what=what)


def _zip_format(path: str | os.PathLike) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except zipfile.BadZipFile:
        names = []
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(n.lower().endswith(".shp") for n in names):
        return "shapefile"
    return None


def detect_format(path: str | os.PathLike, filename: str | None = None) -> str:
    """The file's format from its name, else from its first bytes."""
    name = (filename or str(path)).lower()
    for ext, fmt in _BY_EXTENSION.items():
        if name.endswith(ext):
            return fmt
    if name.endswith((".xls", ".et", ".wps")):
        raise _old_excel(".xls/.et")
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PK") and (fmt := _zip_format(path)):
        return fmt
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{"):
        return "geojson"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _old_excel(".xls")
    return "csv"


def _crs_option(crs: str | None) -> crsmod.Crs | None:
    if not crs:
        return None
    try:
        return crsmod.parse_crs(crs)
    except crsmod.CrsError as exc:
        # geodata.crs says why in both languages itself
        raise FileRefused([Problem(None, exc.code, exc.message, exc.message_en)]) from None


def _contents(module: ModuleType, path: str, resource: Resource) -> Contents:
    try:
        return module.read(path, resource)
    except FileRefused:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile, UnicodeError) as exc:
        raise refuse("unreadable_file", label=module.LABEL, error=exc) from None


def _settle_crs(
    module: ModuleType, got: Contents, option: crsmod.Crs | None
) -> tuple[crsmod.Crs, str]:
    """The coordinate system to read the file in, and where it came from."""
    if option is not None:
        if got.crs is not None and got.crs != option:
            got.warnings.append(warn("crs_overridden", file_crs=got.crs, option=option))
        return option, "option"
    if got.crs is not None:
        return got.crs, got.crs_source
    if module.NO_CRS is not None:
        raise refuse(module.NO_CRS)
    has_geometry = module.GEOMETRY or any(
        t in ("geometry", "lon", "lat") for t in got.columns.values()
    )
    if has_geometry and got.rows:
        got.warnings.append(warn("crs_assumed"))
    return crsmod.WGS84, "default"


def read_table(
    path: str | os.PathLike,
    resource: Resource,
    *,
    crs: str | None = None,
    filename: str | None = None,
) -> Table:
    """Read a file of records of one kind; FileRefused when it cannot be read as such."""
    path = str(path)
    fmt = detect_format(path, filename)
    option = _crs_option(crs)
    module = READERS[fmt]
    got = _contents(module, path, resource)
    chosen, source = _settle_crs(module, got, option)
    return Table(path, fmt, module.UNIT, chosen, source, got.columns, got.rows, got.warnings)


def write_file(
    resource: Resource,
    items: Sequence[dict],
    fmt: str,
    path: str | os.PathLike,
    *,
    headers: str = "en",
) -> int:
    """Write records (as the records API presents them) to path; returns how many."""
    module = WRITERS.get(fmt)
    if module is None:
        raise ExportError("export_unknown_format", fmt=fmt)
    module.write(resource, items, export_columns(resource, fmt, headers), str(path))
    return len(items)


def export_bytes(
    resource: Resource, items: Sequence[dict], fmt: str, *, headers: str = "en"
) -> bytes:
    """The export file's bytes."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError("export_unknown_format", fmt=fmt)
    with tempfile.TemporaryDirectory(prefix="mapsvc-export-") as tmp:
        target = Path(tmp) / f"{resource.kind}.{EXPORT_FORMATS[fmt][2]}"
        write_file(resource, items, fmt, target, headers=headers)
        return target.read_bytes()


def download(resource: Resource, items: Sequence[dict], fmt: str, args, *, total: int):
    """A Flask download response of the records (used by the list endpoints' f=).

    An ExportError (a geometry too large for an Excel cell …) answers 422 through
    mapsvc.http.errors.
    """
    from flask import Response

    from mapsvc.http import params

    headers = params.choice(args, "headers", HEADER_LANGUAGES, default="en")
    body = export_bytes(resource, items, fmt, headers=headers)
    label, media, ext = EXPORT_FORMATS[fmt]
    res = Response(body, mimetype=media.split(";")[0])
    if media.startswith("text/"):
        res.headers["Content-Type"] = media
    res.headers["Content-Disposition"] = f'attachment; filename="{resource.kind}.{ext}"'
    res.headers["X-Total-Count"] = str(total)
    return res
