"""XLSX in and out: read with python-calamine, written with openpyxl (write-only mode).

Rows are numbered as Excel shows them, the header being row 1. Merged cells in the header are
refused; merged cells below it give their value to every row they span (with a warning).
Old .xls/.et workbooks are refused by the dispatcher (mapsvc.exchange.formats).
"""

from __future__ import annotations

from collections.abc import Sequence

from mapsvc.exchange.table import (
    Column,
    Contents,
    ExportError,
    listed,
    refuse,
    rows_from_cells,
    sheet_or_layer,
    spreadsheet_rows,
    warn,
)
from mapsvc.records.catalog import Resource

LABEL = "XLSX"
UNIT = "row"
GEOMETRY = False  # geometry only when a column holds it
NO_CRS = None  # a workbook that says nothing is taken as WGS84, with a warning
CELL_MAX = 32_767  # Excel's limit on the characters in one cell


def _a1(row0: int, col0: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col0 + 1)}{row0 + 1}"


def _unreadable(exc: Exception):
    return refuse("unreadable_file", label=LABEL, error=exc)


def _open(path: str):
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(path)
    except python_calamine.PasswordError:
        raise refuse("encrypted_file") from None
    except python_calamine.CalamineError as exc:
        raise _unreadable(exc) from None


def _sheet(wb, resource: Resource, warnings: list):
    """The worksheet to import: the visible one named like the kind, else the first."""
    sheets = [
        m.name
        for m in wb.sheets_metadata
        if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
    ] or list(wb.sheet_names)
    name = sheet_or_layer(sheets, resource)
    if len(sheets) > 1:
        warnings.append(warn("sheet_chosen", count=len(sheets), name=name))
    return wb.get_sheet_by_name(name)


def _merged(sheet) -> list[tuple[str, int, int, int, int]]:
    """The sheet's merged ranges (A1:B2, r0, c0, r1, c1); refused when one is in the header."""
    merged = [
        (f"{_a1(r0, c0)}:{_a1(r1, c1)}", r0, c0, r1, c1)
        for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
    ]
    in_header = [m[0] for m in merged if m[1] <= 0 <= m[3]]
    if in_header:
        zh, en = listed(in_header)
        raise refuse("merged_header", cells_zh=zh, cells=en)
    return merged


def _grid(path: str, resource: Resource, warnings: list) -> tuple[list[list], list]:
    """The chosen sheet's cells from A1 (row numbers as Excel's) and its merged ranges."""
    import python_calamine

    wb = _open(path)
    try:
        sheet = _sheet(wb, resource, warnings)
        merged = _merged(sheet)
        return sheet.to_python(skip_empty_area=False), merged
    except python_calamine.CalamineError as exc:
        raise _unreadable(exc) from None
    finally:
        wb.close()


def _fill_merged(grid: list[list], merged: list, width: int) -> list[str]:
    """Give each row of a merged data range the value shown; the ranges filled."""
    filled = []
    for ref, r0, c0, r1, c1 in merged:
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
    return filled


def read(path: str, resource: Resource) -> Contents:
    """Read with calamine (Rust; 100,000 rows in about a second, cached formula values)."""
    from openpyxl.utils import get_column_letter

    warnings: list = []
    grid, merged = _grid(path, resource, warnings)
    if not grid:
        return Contents([], {}, None, "header", warnings)
    width = max(len(r) for r in grid)
    filled = _fill_merged(grid, merged, width)
    where = [get_column_letter(i + 1) for i in range(width)]
    header = list(grid[0]) + [None] * (width - len(grid[0]))
    rows, columns, hcrs, more = rows_from_cells(
        resource, header, ((n, r) for n, r in enumerate(grid[1:], start=2)), where
    )
    warnings += more
    if filled:
        zh, en = listed(filled, most=10)
        warnings.append(warn("merged_cells_filled", cells_zh=zh, cells=en))
    return Contents(rows, columns, hcrs, "header", warnings)


def write(resource: Resource, items: Sequence[dict], columns: list[Column], path: str) -> None:
    """Records as one worksheet, bold frozen header; cells neutralised (table.neutralise)."""
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
    try:
        for row in spreadsheet_rows(resource, items, columns, wkt_limit=CELL_MAX):
            ws.append([_text_cell(ws, v) for v in row])
    except ExportError:
        ws.close()  # end the sheet's stream (a temporary file); nothing is saved at path
        raise
    wb.save(path)


def _text_cell(ws, v):
    """Text as a text cell (openpyxl never guesses a formula); other values as they are."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(v, str):
        cell = WriteOnlyCell(ws, value=v)
        cell.data_type = "s"
        return cell
    return v
