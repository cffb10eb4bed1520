"""Record files in and out: GeoJSON, GeoPackage, zipped Shapefile, CSV and XLSX.

Reading gives a `Table`: one `Row` per data row or feature, its values keyed by FIELD NAME
(plus "lon"/"lat" for point kinds), its number as people find it in the file (spreadsheet
rows as Excel shows them, the header being row 1; features counted from 1 in file order,
so a shapefile's feature n is FID n−1), and the coordinate system of the file's
coordinates. Nothing is validated here beyond reading: values go through
`mapsvc.records.validation.coerce` in the import service.

Column headers are matched without regard to case, spaces or full-width characters against
each field's name, its Chinese label `zh` and its `aliases` (mapsvc.records.catalog), plus
经度/lon/longitude/x, 纬度/lat/latitude/y for points and WKT/geometry/几何 for any geometry.
A header may name its coordinate system in brackets, "经度(GCJ02)", "lon (wgs84)",
"wkt(EPSG:4546)"; exports write theirs that way, so they read back without guessing.

The coordinate system of a file: the `crs` argument (the --crs option) wins; otherwise the
file's own (.prj, the GeoPackage SRS, the GeoJSON "crs" member, bracketed headers). A
shapefile without .prj is refused. A CSV, XLSX or GeoJSON that says nothing is taken as
WGS84 with a warning: GCJ-02 (Gaode, Tencent, WeChat) and BD-09 (Baidu) coordinates are
offset by a few hundred metres and CANNOT be told apart from WGS84 by looking at them, so
points copied from those maps must be imported with --crs gcj02 / bd09.

Writing (`write_file`, `export_bytes`, `download`) gives the same kinds back in GeoJSON,
GeoPackage, XLSX and CSV, in WGS84, with headers that read back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geodata import crs as crsmod
from mapsvc.records.catalog import Field, Resource
from mapsvc.records.validation import Problem

FORMATS = {
    "geojson": "GeoJSON",
    "gpkg": "GeoPackage",
    "shapefile": "Shapefile",
    "csv": "CSV",
    "xlsx": "XLSX",
}
EXPORT_FORMATS = {
    # name: (label, media type, file extension)
    "geojson": ("GeoJSON", "application/geo+json", "geojson"),
    "gpkg": ("GeoPackage", "application/geopackage+sqlite3", "gpkg"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("CSV", "text/csv; charset=utf-8", "csv"),
}
FILE_FORMATS = {k: v[0] for k, v in EXPORT_FORMATS.items() if k != "geojson"}  # downloads
EXPORT_MAX_ROWS = 200_000  # one download from a list endpoint
HEADER_LANGUAGES = {"en": "English", "zh": "中文"}  # a download's column names
XLSX_CELL_MAX = 32_767  # Excel's limit on the characters in one cell

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
GEOMETRY_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "空间范围", "坐标")
IGNORED_SILENTLY = ("id", "version", "updated_at")  # an export's own bookkeeping

# headers of a citizen ID number column (身份证号…): recognised only to be dropped
DROPPED = ""  # the target of a column dropped on purpose
ID_NUMBER_HEADER = re.compile(r"身份证|公民身份号码|id[ _-]?(card|number|no)", re.IGNORECASE)


class FileRefused(Exception):
    """The file as a whole cannot be read as records of the kind; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message_en for p in problems))
        self.problems = problems


class ExportError(Exception):
    """Records that cannot be written in the asked format."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message, self.message_en = code, message, message_en


def _refuse(code: str, zh: str, en: str, field_name: str | None = None) -> FileRefused:
    return FileRefused([Problem(field_name, code, zh, en)])


def _warn(code: str, zh: str, en: str, field_name: str | None = None) -> Problem:
    return Problem(field_name, code, zh, en, severity="warning")


@dataclass
class Row:
    """One data row or feature: values by field name, as found in the file."""

    number: int
    values: dict


@dataclass
class Table:
    """What a file holds, ready for validation."""

    path: str
    format: str
    unit: str  # "row" (spreadsheets) or "feature" (GIS files)
    crs: crsmod.Crs
    crs_source: str  # option, file, header, default
    columns: dict[str, str]  # header as written → field name (mapped columns only)
    rows: list[Row]
    warnings: list[Problem] = field(default_factory=list)


# ------------------------------------------------------------------------- headers
def norm_header(text) -> str:
    """A header as compared: NFKC, lower case, no spaces, no required-marker '*' or colon."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return re.sub(r"\s+", "", s).strip("*").rstrip(":")


_BRACKETED = re.compile(r"^(.+?)\((.+)\)$")


def _split_crs(normed: str) -> tuple[str, crsmod.Crs | None]:
    """'经度(gcj02)' → ('经度', GCJ02); '面积(平方米)' stays whole (not a CRS)."""
    m = _BRACKETED.match(normed)
    if m:
        try:
            return m.group(1), crsmod.parse_crs(m.group(2))
        except crsmod.CrsError:
            pass
    return normed, None


def geometry_field(resource: Resource) -> Field | None:
    """The record's geometry field (a road's line too, which the catalog does not know)."""
    return next((f for f in resource.fields if f.name == "geometry"), None)


def header_names(resource: Resource) -> dict[str, str]:
    """Normalised header → the field (or lon/lat) it means."""
    names: dict[str, str] = {}

    def add(target: str, *labels: str) -> None:
        for label in labels:
            names.setdefault(norm_header(label), target)

    for f in resource.fields:  # names and labels before aliases: an alias never shadows them
        add(f.name, f.name, f.zh)
    geo = geometry_field(resource)
    if geo is not None:
        add(geo.name, *GEOMETRY_NAMES)
        if geo.type == "point":
            add("lon", *LON_NAMES)
            add("lat", *LAT_NAMES)
    for f in resource.fields:
        add(f.name, *f.aliases)
    return names


def _label(resource: Resource, target: str) -> str:
    if target in ("lon", "lat"):
        return {"lon": "经度", "lat": "纬度"}[target]
    return next((f.zh for f in resource.fields if f.name == target), target)


@dataclass
class _Columns:
    targets: list[str | None]  # per column position (None: unknown, DROPPED: on purpose)
    crs: crsmod.Crs | None
    mapped: dict[str, str]


def map_headers(
    resource: Resource, headers: Sequence, *, where: Sequence[str], truncated: bool = False
) -> tuple[_Columns, list[Problem]]:
    """Which field each column holds; refuses two columns meaning the same field.

    where: how to name each column in messages (A, B … or the header itself).
    truncated: headers may be cut to 10 characters (dBASE, in shapefiles).
    """
    names = header_names(resource)
    targets: list[str | None] = []
    warnings: list[Problem] = []
    seen: dict[str, int] = {}
    crs_found: dict[str, crsmod.Crs] = {}
    unknown: list[str] = []
    id_columns: list[str] = []  # ID card numbers: never stored, whatever the file holds
    for i, header in enumerate(headers):
        if header is None or not str(header).strip():
            targets.append(None)
            continue
        base, crs = _split_crs(norm_header(header))
        target = names.get(base)
        if target is None and truncated and len(base) >= 8 and base.isascii():
            options = {t for n, t in names.items() if n.startswith(base)}
            target = options.pop() if len(options) == 1 else None
        if target is None and ID_NUMBER_HEADER.search(str(header)):
            id_columns.append(f"{where[i]}（{header}）" if where[i] != header else str(header))
            targets.append(DROPPED)
            continue
        if target is None:
            unknown.append(f"{where[i]}（{header}）" if where[i] != header else str(header))
            targets.append(None)
            continue
        if target in seen:
            j = seen[target]
            raise _refuse(
                "duplicate_column",
                f"列 {where[j]}（{headers[j]}）和列 {where[i]}（{header}）都表示"
                f"“{_label(resource, target)}”，请只保留一列",
                f"columns {where[j]} ({headers[j]}) and {where[i]} ({header}) both mean "
                f"{target}: keep one of them",
                target,
            )
        seen[target] = i
        targets.append(target)
        if crs is not None:
            crs_found[str(header)] = crs
    if id_columns:
        warnings.append(
            _warn(
                "id_number_dropped",
                f"身份证号属于敏感个人信息，本系统不予存储，已丢弃列：{'、'.join(id_columns)}",
                f"ID card numbers are sensitive personal data this service never stores; "
                f"dropped: {', '.join(id_columns)}",
            )
        )
    if unknown:
        known = "、".join(f.zh for f in resource.fields if f.writable)
        warnings.append(
            _warn(
                "unknown_column",
                f"未识别的列，已忽略：{'、'.join(unknown)}（可用的列名如：{known}，或对应的英文字段名）",
                f"columns not recognised, ignored: {', '.join(unknown)} (use the field names or "
                "their Chinese labels)",
            )
        )
    distinct = set(crs_found.values())
    if len(distinct) > 1:
        listed = "、".join(f"{h}" for h in crs_found)
        raise _refuse(
            "conflicting_crs",
            f"列名注明的坐标系互相矛盾：{listed}",
            f"the headers name different coordinate systems: {listed}",
        )
    return _Columns(
        targets,
        distinct.pop() if distinct else None,
        {str(headers[i]): t for i, t in enumerate(targets) if t},
    ), warnings


# ------------------------------------------------------------------------- formats
def detect_format(path: str | os.PathLike, filename: str | None = None) -> str:
    """The file's format from its name, else from its first bytes."""
    name = (filename or str(path)).lower()
    by_ext = {
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
    for ext, fmt in by_ext.items():
        if name.endswith(ext):
            return fmt
    if name.endswith((".xls", ".et", ".wps")):
        raise _refuse(
            "old_excel_format",
            "不支持旧版 Excel（.xls/.et）文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入",
            "old Excel (.xls/.et) files are not supported: save as .xlsx and import that",
        )
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            names = []
        if "xl/workbook.xml" in names:
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shapefile"
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{"):
        return "geojson"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(
            "old_excel_format",
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 后再导入",
            "old Excel (.xls) files are not supported: save as .xlsx and import that",
        )
    return "csv"


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
    option = None
    if crs:
        try:
            option = crsmod.parse_crs(crs)
        except crsmod.CrsError as exc:
            raise _refuse(exc.code, exc.message, exc.message_en) from None
    reader = {
        "geojson": _read_geojson,
        "gpkg": _read_gis,
        "shapefile": _read_gis,
        "csv": _read_csv,
        "xlsx": _read_xlsx,
    }[fmt]
    try:
        rows, columns, file_crs, source, warnings = reader(path, resource, fmt)
    except FileRefused:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile, UnicodeError) as exc:
        label = FORMATS[fmt]
        raise _refuse(
            "unreadable_file",
            f"无法按 {label} 格式读取该文件：{exc}",
            f"the file cannot be read as {label}: {exc}",
        ) from None
    has_geometry = any(t in ("geometry", "lon", "lat") for t in columns.values()) or fmt in (
        "geojson",
        "gpkg",
        "shapefile",
    )
    chosen, chosen_source = file_crs or crsmod.WGS84, source if file_crs else "default"
    if option is not None:
        if file_crs is not None and file_crs != option:
            warnings.append(
                _warn(
                    "crs_overridden",
                    f"文件注明的坐标系是 {file_crs}，已按指定的 {option} 处理",
                    f"the file says {file_crs}; treated as {option} as asked",
                )
            )
        chosen, chosen_source = option, "option"
    elif file_crs is None and fmt == "shapefile":
        raise _refuse(
            "no_prj",
            "Shapefile 缺少 .prj 文件，无法确定坐标系。请用 --crs 指定（如 --crs cgcs2000、"
            "--crs EPSG:4546；来自高德/腾讯地图的用 --crs gcj02，百度用 --crs bd09）："
            "GCJ-02 与 WGS84 坐标只差几百米，从文件本身无法区分",
            "the shapefile has no .prj, so its coordinate system is unknown. Pass --crs (for "
            "example --crs cgcs2000 or --crs EPSG:4546; gcj02 for Gaode/Tencent data, bd09 "
            "for Baidu): GCJ-02 and WGS84 differ by a few hundred metres and cannot be told "
            "apart from the file itself",
        )
    elif file_crs is None and fmt == "gpkg":
        raise _refuse(
            "no_crs",
            "GeoPackage 图层没有坐标系（SRS），请用 --crs 指定",
            "the GeoPackage layer has no coordinate system (SRS): pass --crs",
        )
    elif file_crs is None and has_geometry and rows:
        warnings.append(
            _warn(
                "crs_assumed",
                "文件未注明坐标系，已按 WGS84（GPS）处理。若坐标取自高德、腾讯、微信地图（GCJ-02）或"
                "百度地图（BD-09），请用 --crs gcj02 或 --crs bd09 重新导入：这类坐标偏移约数百米，"
                "从文件本身无法识别",
                "the file does not say which coordinate system it uses, so WGS84 (GPS) was "
                "assumed. If the coordinates come from Gaode/Amap, Tencent or WeChat maps "
                "(GCJ-02) or Baidu (BD-09), import again with --crs gcj02 or --crs bd09: their "
                "offset of a few hundred metres cannot be detected from the file",
            )
        )
    unit = "feature" if fmt in ("geojson", "gpkg", "shapefile") else "row"
    return Table(path, fmt, unit, chosen, chosen_source, columns, rows, warnings)


def _blank(v) -> bool:
    return (
        v is None
        or (isinstance(v, str) and not v.strip())
        or (isinstance(v, float) and math.isnan(v))
    )


def _values(targets: list[str | None], cells: Sequence) -> tuple[dict, bool]:
    """Values of one row by field name, and whether an unmapped column held something."""
    out: dict = {}
    stray = False
    for target, v in zip(targets, cells, strict=False):
        if target == DROPPED:
            continue
        if target is None:
            stray = stray or not _blank(v)
            continue
        if isinstance(v, str):
            v = v.strip()
            if v[:2] in ("'=", "'+", "'@"):  # CSV exports guard formulas this way
                v = v[1:]
        out[target] = v
    if "lon" in out or "lat" in out:
        if _blank(out.get("lon")) and _blank(out.get("lat")):
            out.pop("lon", None)
            out.pop("lat", None)
            out.setdefault("geometry", None)
    return out, stray


def _rows_from_cells(
    resource: Resource, header: Sequence, data: Iterable[tuple[int, Sequence]], where: Sequence[str]
) -> tuple[list[Row], dict, crsmod.Crs | None, list[Problem]]:
    columns, warnings = map_headers(resource, header, where=where)
    if not columns.mapped:
        raise _refuse(
            "no_known_columns",
            "第 1 行不是可识别的表头：没有一列对应该类记录的字段（表头应在第 1 行）",
            "row 1 is not a header this kind of record understands: no column "
            "matches a field (the header must be in row 1)",
        )
    rows = []
    stray_rows = 0
    for number, cells in data:
        if all(_blank(v) for v in cells):
            continue
        values, stray = _values(columns.targets, cells)
        stray_rows += stray
        if all(_blank(v) for v in values.values()):
            continue
        rows.append(Row(number, values))
    if stray_rows:
        warnings.append(
            _warn(
                "values_without_header",
                f"有 {stray_rows} 行在没有表头或未识别的列中有内容，已忽略",
                f"{stray_rows} rows hold values in columns without a known "
                "header; those values were ignored",
            )
        )
    return rows, columns.mapped, columns.crs, warnings


# ------------------------------------------------------------------------- CSV
def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        # Excel and WPS on Chinese Windows save CSV as GBK; GB18030 reads all of it
        return raw.decode("gb18030"), "GB18030"


def _read_csv(path: str, resource: Resource, fmt: str):
    with open(path, "rb") as fh:
        text, encoding = _decode(fh.read())
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        return [], {}, None, None, []
    header = records[0]
    width = max(len(r) for r in records)
    where = [f"第 {i + 1} 列" for i in range(width)]
    header = list(header) + [None] * (width - len(header))
    rows, columns, hcrs, warnings = _rows_from_cells(
        resource, header, ((n, r) for n, r in enumerate(records[1:], start=2)), where
    )
    if encoding == "GB18030":
        warnings.append(
            _warn(
                "encoding",
                "文件不是 UTF-8 编码，已按 GBK/GB18030 读取",
                "the file is not UTF-8; read as GBK/GB18030",
            )
        )
    return rows, columns, hcrs, "header", warnings


# ------------------------------------------------------------------------- XLSX
def _a1(row0: int, col0: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col0 + 1)}{row0 + 1}"


def _read_xlsx(path: str, resource: Resource, fmt: str):
    """Read with calamine (Rust; 100,000 rows in about a second, cached formula values)."""
    import python_calamine
    from openpyxl.utils import get_column_letter

    try:
        wb = python_calamine.CalamineWorkbook.from_path(path)
    except python_calamine.PasswordError:
        raise _refuse(
            "encrypted_file",
            "工作簿设有密码，请取消密码保护后再导入",
            "the workbook is password-protected: remove the password and import it",
        ) from None
    except python_calamine.CalamineError as exc:
        raise _refuse(
            "unreadable_file",
            f"无法按 XLSX 格式读取该文件：{exc}",
            f"the file cannot be read as XLSX: {exc}",
        ) from None
    try:
        sheets = [
            m.name
            for m in wb.sheets_metadata
            if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
        ] or list(wb.sheet_names)
        wanted = {norm_header(resource.kind), norm_header(resource.zh), norm_header(resource.name)}
        name = next((n for n in sheets if norm_header(n) in wanted), sheets[0])
        warnings = []
        if len(sheets) > 1:
            warnings.append(
                _warn(
                    "sheet_chosen",
                    f"工作簿有 {len(sheets)} 个工作表，只导入了“{name}”",
                    f'the workbook has {len(sheets)} sheets; only "{name}" was imported',
                )
            )
        sheet = wb.get_sheet_by_name(name)
        merged = [
            (f"{_a1(r0, c0)}:{_a1(r1, c1)}", r0, c0, r1, c1)
            for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
        ]
        in_header = [m[0] for m in merged if m[1] <= 0 <= m[3]]
        if in_header:
            raise _refuse(
                "merged_header",
                f"表头（第 1 行）有合并单元格 {'、'.join(in_header)}：请取消合并，"
                "每列只留一个表头。如果第 1 行是标题，请删除标题行，让表头位于第 1 行",
                f"the header (row 1) has merged cells {', '.join(in_header)}: unmerge them so "
                "each column has one header of its own. If row 1 is a title, delete it so "
                "the header is row 1",
            )
        grid = sheet.to_python(skip_empty_area=False)  # from A1: row numbers as Excel's
    except python_calamine.CalamineError as exc:
        raise _refuse(
            "unreadable_file",
            f"无法按 XLSX 格式读取该文件：{exc}",
            f"the file cannot be read as XLSX: {exc}",
        ) from None
    finally:
        wb.close()
    if not grid:
        return [], {}, None, None, warnings
    width = max(len(r) for r in grid)
    filled = []
    for ref, r0, c0, r1, c1 in merged:  # merged data cells: each row gets the shown value
        if r0 >= len(grid):
            continue
        v = grid[r0][c0] if c0 < len(grid[r0]) else None
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = v
        filled.append(ref)
    where = [get_column_letter(i + 1) for i in range(width)]
    header = list(grid[0]) + [None] * (width - len(grid[0]))
    rows, columns, hcrs, more = _rows_from_cells(
        resource, header, ((n, r) for n, r in enumerate(grid[1:], start=2)), where
    )
    warnings += more
    if filled:
        shown = "、".join(filled[:10]) + ("等" if len(filled) > 10 else "")
        warnings.append(
            _warn(
                "merged_cells_filled",
                f"合并单元格 {shown} 的值已用于其中的每一行，请核对",
                f"the value of merged cells {', '.join(filled[:10])}"
                f"{' …' if len(filled) > 10 else ''} was used for every row they span: check it",
            )
        )
    return rows, columns, hcrs, "header", warnings


# ------------------------------------------------------------------------- GeoJSON
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


def _read_geojson(path: str, resource: Resource, fmt: str):
    with open(path, "rb") as fh:
        text, _ = _decode(fh.read())
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(
            "bad_json",
            f"GeoJSON 不是有效的 JSON：第 {exc.lineno} 行 {exc.msg}",
            f"the GeoJSON is not valid JSON: line {exc.lineno}: {exc.msg}",
        ) from None
    if not isinstance(doc, dict):
        raise _refuse(
            "bad_geojson",
            "GeoJSON 应为 FeatureCollection 或 Feature",
            "GeoJSON must be a FeatureCollection or a Feature",
        )
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        raise _refuse(
            "bad_geojson",
            "GeoJSON 应为 FeatureCollection 或 Feature",
            "GeoJSON must be a FeatureCollection or a Feature",
        )
    file_crs = None
    member = doc.get("crs")
    if isinstance(member, dict):
        name = (member.get("properties") or {}).get("name")
        file_crs = _crs_from_name(name)
        if file_crs is None:
            raise _refuse(
                "unknown_crs",
                f"无法识别 GeoJSON 的 crs：{name}；请用 --crs 指定",
                f"unknown GeoJSON crs: {name}; pass --crs",
            )
    keys: dict[str, None] = {}
    for feat in features:
        for k in (feat.get("properties") or {}) if isinstance(feat, dict) else ():
            keys.setdefault(k, None)
    header = list(keys)
    columns, warnings = map_headers(resource, header, where=header)
    index = {h: t for h, t in zip(header, columns.targets, strict=True)}
    rows = []
    for n, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            feat = {}
        props = feat.get("properties") or {}
        cells = [props.get(h) for h in header]
        values, _ = _values([index[h] for h in header], cells)
        geom = feat.get("geometry")
        if geom is not None:
            values["geometry"] = _geometry_value(geom)
        elif "lon" not in values:
            values.setdefault("geometry", None)
        rows.append(Row(n, values))
    source = "file"
    if file_crs is None and columns.crs is not None:
        file_crs, source = columns.crs, "header"
    return rows, columns.mapped, file_crs, source, warnings


# ------------------------------------------------------------------------- GeoPackage, Shapefile
def _crs_from_ogr(text: str | None) -> crsmod.Crs | None:
    if not text:
        return None
    m = re.fullmatch(r"EPSG:(\d+)", text.strip())
    code = int(m.group(1)) if m else None
    if code is None:
        import pyproj

        try:
            code = pyproj.CRS.from_user_input(text).to_epsg(min_confidence=70)
        except pyproj.exceptions.CRSError:
            code = None
    if code is None:
        return None
    try:
        return crsmod.parse_crs(f"EPSG:{code}")
    except crsmod.CrsError:
        return None


def _shapefile_in_zip(path: str) -> tuple[str, bool, bool]:
    """The shapefile inside a zip: its inner path, whether it has .prj, whether .cpg."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    shps = [n for n in names if n.lower().endswith(".shp")]
    if not shps:
        raise _refuse("no_shapefile", "压缩包中没有 .shp 文件", "the zip holds no .shp file")
    if len(shps) > 1:
        raise _refuse(
            "several_shapefiles",
            f"压缩包中有多个 Shapefile：{'、'.join(shps)}；请每个压缩包只放一个",
            f"the zip holds several shapefiles: {', '.join(shps)}; put one per zip",
        )
    stem = shps[0][:-4].lower()
    present = {n.lower() for n in names}
    for ext in (".shx", ".dbf"):
        if stem + ext not in present:
            raise _refuse(
                "incomplete_shapefile",
                f"Shapefile 缺少 {ext} 文件：请把 .shp、.shx、.dbf、.prj 一起压缩",
                f"the shapefile has no {ext}: zip .shp, .shx, .dbf and .prj together",
            )
    return shps[0], stem + ".prj" in present, stem + ".cpg" in present


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


def _read_gis(path: str, resource: Resource, fmt: str):
    import pyogrio
    import pyogrio.raw

    warnings: list[Problem] = []
    layer = None
    source = path
    cpg = True
    if fmt == "shapefile":
        if path.lower().endswith(".shp"):
            base = path[:-4]
            has_prj = os.path.exists(base + ".prj") or os.path.exists(base + ".PRJ")
            cpg = os.path.exists(base + ".cpg") or os.path.exists(base + ".CPG")
        else:
            inner, has_prj, cpg = _shapefile_in_zip(path)
            source = f"/vsizip/{path}/{inner}"
    else:
        layers = [str(x[0]) for x in pyogrio.list_layers(path)]
        if not layers:
            raise _refuse("no_layer", "GeoPackage 中没有图层", "the GeoPackage holds no layer")
        wanted = {norm_header(resource.kind), norm_header(resource.zh), norm_header(resource.name)}
        layer = next((x for x in layers if norm_header(x) in wanted), layers[0])
        if len(layers) > 1:
            warnings.append(
                _warn(
                    "layer_chosen",
                    f"GeoPackage 有 {len(layers)} 个图层，只导入了“{layer}”",
                    f'the GeoPackage has {len(layers)} layers; only "{layer}" was imported',
                )
            )
    try:
        meta, _fids, geoms, data = pyogrio.raw.read(source, layer=layer, force_2d=True)
    except pyogrio.errors.DataSourceError as exc:
        raise _refuse(
            "unreadable_file", f"无法读取该文件：{exc}", f"the file cannot be read: {exc}"
        ) from None
    file_crs = _crs_from_ogr(meta.get("crs"))
    if fmt == "shapefile" and not has_prj:
        file_crs = None
    header = [str(h) for h in meta["fields"]]
    columns_data = [_plain(a) for a in data]
    if fmt == "shapefile" and not cpg and meta.get("encoding") == "ISO-8859-1":
        # no .cpg: GDAL read bytes as Latin-1; Chinese DBFs are GBK or UTF-8 underneath
        strings = [s for s in header if not s.isascii()]
        for col in columns_data:
            strings += [v for v in col if isinstance(v, str) and not v.isascii()]
        if strings:
            codec = _guess_codec(strings)
            header = _fix_text(header, codec)
            columns_data = [_fix_text(col, codec) for col in columns_data]
            warnings.append(
                _warn(
                    "encoding",
                    f"Shapefile 没有 .cpg 文件，文字已按 {codec.upper()} 读取，请核对",
                    f"the shapefile has no .cpg; text was read as {codec.upper()}: check it",
                )
            )
    columns, more = map_headers(resource, header, where=header, truncated=fmt == "shapefile")
    warnings += more
    count = len(geoms) if geoms is not None else len(columns_data[0]) if columns_data else 0
    shapes = (
        shapely.from_wkb(np.asarray(geoms, dtype=object)) if geoms is not None else [None] * count
    )
    rows = []
    for n in range(len(shapes)):
        values, _ = _values(columns.targets, [col[n] for col in columns_data])
        if shapes[n] is not None or "lon" not in values:
            values["geometry"] = shapes[n]
        rows.append(Row(n + 1, values))
    return rows, columns.mapped, file_crs, "file", warnings


def _plain(arr) -> list:
    """A column from OGR as plain Python values (NaN → None, datetimes → datetime)."""
    a = np.asarray(arr)
    if a.dtype.kind == "M":
        return [None if np.isnat(x) else x.astype("datetime64[ms]").astype(dt.datetime) for x in a]
    out = a.tolist()
    if a.dtype.kind == "f":
        out = [None if v is None or math.isnan(v) else v for v in out]
    return out


# ------------------------------------------------------------------------- writing
@dataclass
class _Column:
    name: str  # key in the record
    header: str
    field: Field | None


def export_columns(resource: Resource, fmt: str, headers: str = "en") -> list[_Column]:
    """The columns of an export: every field, geometry as lon/lat or WKT in spreadsheets."""
    zh = headers == "zh"
    out = []
    geo = geometry_field(resource)
    for f in resource.fields:
        if f is geo:
            continue
        out.append(_Column(f.name, f.zh if zh else f.name, f))
    if geo is not None and fmt in ("csv", "xlsx"):
        if geo.type == "point":
            out.append(_Column("lon", "经度(WGS84)" if zh else "lon (WGS84)", None))
            out.append(_Column("lat", "纬度(WGS84)" if zh else "lat (WGS84)", None))
        else:
            out.append(_Column("wkt", "WKT(WGS84)" if zh else "wkt (WGS84)", None))
    return out


def _shape(g):
    if g is None or isinstance(g, shapely.Geometry):
        return g
    return shape(g)


def _cell(f: Field | None, v):
    if v is None:
        return None
    if isinstance(v, list):
        return "、".join(str(x) for x in v)
    if f is not None and f.type == "date" and isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def _spreadsheet_rows(
    resource: Resource, items: Sequence[dict], columns: list[_Column], fmt: str
) -> Iterable[list]:
    geo = geometry_field(resource)
    for item in items:
        g = _shape(item.get(geo.name)) if geo is not None else None
        row = []
        for c in columns:
            if c.name == "lon":
                row.append(round(g.x, 7) if g is not None else None)
            elif c.name == "lat":
                row.append(round(g.y, 7) if g is not None else None)
            elif c.name == "wkt":
                # full precision: boundaries shared with neighbours stay exactly shared
                wkt = shapely.to_wkt(g, rounding_precision=-1) if g is not None else None
                if fmt == "xlsx" and wkt and len(wkt) > XLSX_CELL_MAX:
                    key = item.get("code") or item.get("id")
                    raise ExportError(
                        "geometry_too_large",
                        f"{resource.zh} {key} 的几何有 {len(wkt)} 个字符，超过 Excel 单元格上限 "
                        f"{XLSX_CELL_MAX}：请导出为 GeoPackage 或 GeoJSON",
                        f"the geometry of {resource.name} {key} takes {len(wkt)} characters, "
                        f"over Excel's {XLSX_CELL_MAX} per cell: export as GeoPackage or GeoJSON",
                    )
                row.append(wkt)
            else:
                row.append(_cell(c.field, item.get(c.name)))
        yield row


def _csv_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    s = str(v)
    if s[:1] in ("=", "+", "@"):
        return "'" + s  # spreadsheets would run it as a formula; imports take the quote off
    return s


def write_file(
    resource: Resource,
    items: Sequence[dict],
    fmt: str,
    path: str | os.PathLike,
    *,
    headers: str = "en",
) -> int:
    """Write records (as the records API presents them) to path; returns how many."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(
            "unknown_format", f"不支持的导出格式：{fmt}", f"unknown export format: {fmt}"
        )
    path = str(path)
    columns = export_columns(resource, fmt, headers)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads UTF-8
            w = csv.writer(fh)
            w.writerow([c.header for c in columns])
            for row in _spreadsheet_rows(resource, items, columns, fmt):
                w.writerow([_csv_text(v) for v in row])
    elif fmt == "xlsx":
        _write_xlsx(resource, items, columns, path)
    elif fmt == "geojson":
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(
                feature_collection(resource, items, headers=headers),
                fh,
                ensure_ascii=False,
                default=_json_default,
            )
    else:
        _write_gpkg(resource, items, columns, path)
    return len(items)


def _json_default(v):
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    raise TypeError(f"cannot write {type(v).__name__} as JSON")


def feature_collection(resource: Resource, items: Sequence[dict], *, headers: str = "en") -> dict:
    """Records as a GeoJSON FeatureCollection in WGS84 (saying so, for re-import)."""
    geo = geometry_field(resource)
    columns = export_columns(resource, "geojson", headers)
    features = []
    for item in items:
        g = item.get(geo.name) if geo is not None else None
        if isinstance(g, shapely.Geometry):
            g = mapping(g)
        features.append(
            {
                "type": "Feature",
                "id": item.get("id", item.get("code")),
                "geometry": g,
                "properties": {c.header: item.get(c.name) for c in columns},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": resource.kind,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }


def _write_xlsx(resource: Resource, items, columns: list[_Column], path: str) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(resource.zh)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=c.header)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in _spreadsheet_rows(resource, items, columns, "xlsx"):
        out = []
        for v in row:
            if isinstance(v, str) and v.startswith("="):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"  # text, never a formula
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)
    wb.save(path)


def _ogr_column(f: Field | None, values: list):
    kinds = {type(v) for v in values if v is not None}
    if f is not None and f.type == "int" or kinds <= {int} and kinds:
        if any(v is None for v in values):
            return np.array([np.nan if v is None else float(v) for v in values])
        return np.array(values, dtype=np.int64)
    if f is not None and f.type == "float" or kinds and kinds <= {int, float}:
        return np.array([np.nan if v is None else float(v) for v in values])
    return np.array(
        [
            None
            if v is None
            else ("true" if v is True else "false")
            if isinstance(v, bool)
            else _csv_text(v)
            if not isinstance(v, str)
            else v
            for v in values
        ],
        dtype=object,
    )


def _write_gpkg(resource: Resource, items, columns: list[_Column], path: str) -> None:
    import pyogrio.raw

    geo = geometry_field(resource)
    geoms = [_shape(i.get(geo.name)) if geo is not None else None for i in items]
    wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    geometry_type = {"point": "Point", "multipolygon": "MultiPolygon", "line": "LineString"}.get(
        geo.type if geo else "", "Unknown"
    )
    data = [_ogr_column(c.field, [_cell(c.field, i.get(c.name)) for i in items]) for c in columns]
    if os.path.exists(path):
        os.remove(path)
    pyogrio.raw.write(
        path,
        wkb,
        data,
        [c.header for c in columns],
        layer=resource.kind,
        driver="GPKG",
        geometry_type=geometry_type,
        crs="EPSG:4326",
    )


def export_bytes(
    resource: Resource, items: Sequence[dict], fmt: str, *, headers: str = "en"
) -> bytes:
    """The export file's bytes."""
    with tempfile.TemporaryDirectory(prefix="mapsvc-export-") as tmp:
        target = Path(tmp) / f"{resource.kind}.{EXPORT_FORMATS[fmt][2]}"
        write_file(resource, items, fmt, target, headers=headers)
        return target.read_bytes()


def download(resource: Resource, items: Sequence[dict], fmt: str, args, *, total: int):
    """A Flask download response of the records (used by the list endpoints' f=)."""
    from flask import Response

    from mapsvc.http import params
    from mapsvc.http.errors import ApiError

    headers = params.choice(args, "headers", HEADER_LANGUAGES, default="en")
    try:
        body = export_bytes(resource, items, fmt, headers=headers)
    except ExportError as exc:
        raise ApiError(422, exc.code, exc.message, exc.message_en) from None
    label, media, ext = EXPORT_FORMATS[fmt]
    res = Response(body, mimetype=media.split(";")[0])
    if media.startswith("text/"):
        res.headers["Content-Type"] = media
    res.headers["Content-Disposition"] = f'attachment; filename="{resource.kind}.{ext}"'
    res.headers["X-Total-Count"] = str(total)
    return res
