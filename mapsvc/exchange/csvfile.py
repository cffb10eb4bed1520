"""CSV in and out: UTF-8 (with BOM for Excel), or GBK/GB18030 as Chinese Excel and WPS save it.

Rows are numbered as a spreadsheet shows them, the header being row 1. Exports neutralise
formulas (table.neutralise: text starting with =, +, -, @, tab or CR gets a quote, which
imports take off again).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from mapsvc.exchange.table import (
    Column,
    Contents,
    column_at,
    decode,
    rows_from_cells,
    spreadsheet_rows,
    warn,
)
from mapsvc.records.catalog import Resource

LABEL = "CSV"
UNIT = "row"
GEOMETRY = False  # geometry only when a column holds it
NO_CRS = None  # a CSV that says nothing is taken as WGS84, with a warning


def read(path: str, resource: Resource) -> Contents:
    """The rows of a CSV file (comma, tab or semicolon separated)."""
    with open(path, "rb") as fh:
        text, encoding = decode(fh.read())
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        return Contents([], {}, None, "header", [])
    width = max(len(r) for r in records)
    where = [column_at(i + 1) for i in range(width)]
    header = list(records[0]) + [None] * (width - len(records[0]))
    rows, columns, hcrs, warnings = rows_from_cells(
        resource, header, ((n, r) for n, r in enumerate(records[1:], start=2)), where
    )
    if encoding == "GB18030":
        warnings.append(warn("encoding_gbk"))
    return Contents(rows, columns, hcrs, "header", warnings)


def text(v) -> str:
    """A cell (already through table.neutralise) as CSV text."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def write(resource: Resource, items: Sequence[dict], columns: list[Column], path: str) -> None:
    """Records as CSV in UTF-8 with a BOM (so Excel reads it as UTF-8)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c.header for c in columns])
        for row in spreadsheet_rows(resource, items, columns):
            w.writerow([text(v) for v in row])
