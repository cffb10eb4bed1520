"""What every file format shares: the `Table` of `Row`s a file is read into, header mapping,
coordinate systems named in headers, and the columns and cells an export writes.

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
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import shapely
from shapely.geometry import shape

from geodata import crs as crsmod
from mapsvc.domain import vocabulary
from mapsvc.domain.errors import Rejected
from mapsvc.domain.messages import MESSAGES, words
from mapsvc.records.catalog import Field, Resource
from mapsvc.records.validation import Problem, blank

LON_NAMES = vocabulary.COORDINATE_HEADERS["lon"]
LAT_NAMES = vocabulary.COORDINATE_HEADERS["lat"]
GEOMETRY_NAMES = vocabulary.COORDINATE_HEADERS["geometry"]
IGNORED_SILENTLY = ("id", "version", "updated_at")  # an export's own bookkeeping

# headers of a citizen ID number column (身份证号…): recognised only to be dropped
DROPPED = ""  # the target of a column dropped on purpose
ID_NUMBER_HEADER = re.compile(
    "|".join([*map(re.escape, vocabulary.ID_NUMBER_HEADERS), r"id[ _-]?(card|number|no)"]),
    re.IGNORECASE,
)


class FileRefused(Exception):
    """The file as a whole cannot be read as records of the kind; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        """Refuse with the problems an import report lists."""
        super().__init__("; ".join(p.message_en for p in problems))
        self.problems = problems


class ExportError(Rejected):
    """Records that cannot be written in the asked format (a 422 when asked over HTTP)."""


def refuse(key: str, /, field_name: str | None = None, **values) -> FileRefused:
    """A FileRefused with one problem: the message `key` (domain.messages) filled with values."""
    return FileRefused([Problem.of(field_name, key, **values)])


def warn(key: str, /, field_name: str | None = None, **values) -> Problem:
    """A warning for the import report: the message `key` filled with values."""
    return Problem.of(field_name, key, severity="warning", **values)


def listed(items: Sequence, most: int | None = None) -> tuple[str, str]:
    """Items joined as each language lists them (、 or comma), "等"/"…" past `most`."""
    sep, more = MESSAGES["choice_separator"], MESSAGES["list_more"]
    shown = [str(x) for x in (items if most is None else items[:most])]
    zh, en = sep.zh.join(shown), sep.en.join(shown)
    if most is not None and len(items) > most:
        zh, en = zh + more.zh, en + more.en
    return zh, en


def column_at(n: int) -> str:
    """A column named by its position (第 n 列), as CSV messages in both languages quote it."""
    return words("csv_column_at", n=n)[1]


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


class Contents(NamedTuple):
    """What one format's reader found, before the coordinate system is settled."""

    rows: list[Row]
    columns: dict[str, str]  # header as written → field name
    crs: crsmod.Crs | None  # as the file says, None when it says nothing
    crs_source: str  # "file" or "header"
    warnings: list[Problem]


def decode(raw: bytes) -> tuple[str, str]:
    """Text of a file in UTF-8 (with or without BOM), UTF-16, else GB18030; and which."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        # Excel and WPS on Chinese Windows save CSV as GBK; GB18030 reads all of it
        return raw.decode("gb18030"), "GB18030"


def sheet_or_layer(names: Sequence[str], resource: Resource) -> str:
    """The sheet or layer named like the kind (members, 党员 …), else the first."""
    wanted = {norm_header(resource.kind), norm_header(resource.zh), norm_header(resource.name)}
    return next((n for n in names if norm_header(n) in wanted), names[0])


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
    if target in vocabulary.COORDINATE_LABELS:
        return vocabulary.COORDINATE_LABELS[target].zh
    return next((f.zh for f in resource.fields if f.name == target), target)


@dataclass
class Columns:
    """What each column of a file holds, as map_headers found it."""

    targets: list[str | None]  # per column position (None: unknown, DROPPED: on purpose)
    crs: crsmod.Crs | None
    mapped: dict[str, str]


def _named(where: str, header) -> str:
    """A column by position and header (A（姓名）), or by its header alone."""
    if where == header:
        return str(header)
    return words("column_with_header", where=where, header=header)[1]


def map_headers(
    resource: Resource, headers: Sequence, *, where: Sequence[str], truncated: bool = False
) -> tuple[Columns, list[Problem]]:
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
            id_columns.append(_named(where[i], header))
            targets.append(DROPPED)
            continue
        if target is None:
            unknown.append(_named(where[i], header))
            targets.append(None)
            continue
        if target in seen:
            j = seen[target]
            raise refuse(
                "duplicate_column",
                target,
                first=where[j],
                first_header=headers[j],
                second=where[i],
                second_header=header,
                label=_label(resource, target),
                name=target,
            )
        seen[target] = i
        targets.append(target)
        if crs is not None:
            crs_found[str(header)] = crs
    if id_columns:
        zh, en = listed(id_columns)
        warnings.append(warn("id_number_dropped", columns_zh=zh, columns=en))
    if unknown:
        zh, en = listed(unknown)
        known = listed([f.zh for f in resource.fields if f.writable])[0]
        warnings.append(warn("unknown_column", columns_zh=zh, columns=en, known_zh=known))
    distinct = set(crs_found.values())
    if len(distinct) > 1:
        # the headers as the file has them, in a Chinese list in both languages (as always)
        raise refuse("conflicting_crs", headers=listed(list(crs_found))[0])
    return Columns(
        targets,
        distinct.pop() if distinct else None,
        {str(headers[i]): t for i, t in enumerate(targets) if t},
    ), warnings


def values_of(targets: list[str | None], cells: Sequence) -> tuple[dict, bool]:
    """Values of one row by field name, and whether an unmapped column held something."""
    out: dict = {}
    stray = False
    for target, v in zip(targets, cells, strict=False):
        if target == DROPPED:
            continue
        if target is None:
            stray = stray or not blank(v)
            continue
        if isinstance(v, str):
            v = unneutralise(v.strip()).strip()
        out[target] = v
    if "lon" in out or "lat" in out:
        if blank(out.get("lon")) and blank(out.get("lat")):
            out.pop("lon", None)
            out.pop("lat", None)
            out.setdefault("geometry", None)
    return out, stray


def rows_from_cells(
    resource: Resource, header: Sequence, data: Iterable[tuple[int, Sequence]], where: Sequence[str]
) -> tuple[list[Row], dict, crsmod.Crs | None, list[Problem]]:
    """Rows of a spreadsheet (header first), skipping empty ones; refused when no column maps."""
    columns, warnings = map_headers(resource, header, where=where)
    if not columns.mapped:
        raise refuse("no_known_columns")
    rows = []
    stray_rows = 0
    for number, cells in data:
        if all(blank(v) for v in cells):
            continue
        values, stray = values_of(columns.targets, cells)
        stray_rows += stray
        if all(blank(v) for v in values.values()):
            continue
        rows.append(Row(number, values))
    if stray_rows:
        warnings.append(warn("values_without_header", count=stray_rows))
    return rows, columns.mapped, columns.crs, warnings


# ------------------------------------------------------------------------- writing
@dataclass
class Column:
    """One column of an export."""

    name: str  # key in the record
    header: str
    field: Field | None


def export_columns(resource: Resource, fmt: str, headers: str = "en") -> list[Column]:
    """The columns of an export: every field, geometry as lon/lat or WKT in spreadsheets."""
    zh = headers == "zh"
    out = []
    geo = geometry_field(resource)
    for f in resource.fields:
        if f is geo:
            continue
        out.append(Column(f.name, f.zh if zh else f.name, f))
    if geo is not None and fmt in ("csv", "xlsx"):
        if geo.type == "point":
            for axis, label in vocabulary.COORDINATE_LABELS.items():
                out.append(Column(axis, f"{label.zh}(WGS84)" if zh else f"{axis} (WGS84)", None))
        else:
            out.append(Column("wkt", "WKT(WGS84)" if zh else "wkt (WGS84)", None))
    return out


def as_shape(g):
    """A record's geometry (shapely or GeoJSON mapping) as shapely."""
    if g is None or isinstance(g, shapely.Geometry):
        return g
    return shape(g)


# OWASP's formula starts: a spreadsheet runs a cell beginning with one of these (a DDE
# payload may start with - or +), and tab or carriage return may hide one after them
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guarded(s: str) -> bool:
    """Whether s, past any quotes a user typed, starts like a formula."""
    return s.lstrip("'")[:1] in FORMULA_STARTS


def neutralise(v):
    """The one guard for every CSV/XLSX cell: text starting like a formula gets a leading '.

    Numbers stored as numbers stay numbers (-5 is a value, not a formula); a quote a user
    typed before a formula gets one more, so `unneutralise` gives back exactly what was stored.
    """
    if isinstance(v, str) and _guarded(v):
        return "'" + v
    return v


def unneutralise(s: str) -> str:
    """Text read from a file with the quote `neutralise` added taken off (imports)."""
    return s[1:] if s[:1] == "'" and _guarded(s[1:]) else s


def cell(f: Field | None, v):
    """A record's value as a file cell: lists joined, ISO dates as dates, decimals as floats."""
    if v is None:
        return None
    if isinstance(v, list):
        return MESSAGES["choice_separator"].zh.join(str(x) for x in v)
    if f is not None and f.type == "date" and isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def spreadsheet_rows(
    resource: Resource,
    items: Sequence[dict],
    columns: list[Column],
    *,
    wkt_limit: int | None = None,
) -> Iterable[list]:
    """The cells of each record, geometry as lon/lat or WKT, every one through `neutralise`;
    ExportError past wkt_limit."""
    geo = geometry_field(resource)
    for item in items:
        g = as_shape(item.get(geo.name)) if geo is not None else None
        row = []
        for c in columns:
            if c.name == "lon":
                row.append(round(g.x, 7) if g is not None else None)
            elif c.name == "lat":
                row.append(round(g.y, 7) if g is not None else None)
            elif c.name == "wkt":
                # full precision: boundaries shared with neighbours stay exactly shared
                wkt = shapely.to_wkt(g, rounding_precision=-1) if g is not None else None
                if wkt_limit is not None and wkt and len(wkt) > wkt_limit:
                    raise ExportError(
                        "export_geometry_too_large",
                        kind=resource.name,
                        kind_zh=resource.zh,
                        key=item.get("code") or item.get("id"),
                        length=len(wkt),
                        limit=wkt_limit,
                    )
                row.append(wkt)
            else:
                row.append(cell(c.field, item.get(c.name)))
        yield [neutralise(v) for v in row]
