"""A file of records as pages of rows, for imports in bounded memory.

`open_source(path, resource, crs=, filename=)` gives a `Source`: format, unit, coordinate
system, mapped columns, warnings, and `pages(size)`, which may be iterated more than once.
CSV is streamed: each pass reads the file row by row, so memory does not grow with the file
(the encoding is settled by one streaming pass first). The other readers (XLSX through
calamine, GeoJSON, GeoPackage, Shapefile) read the whole file; their pages are slices of it.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator

from mapsvc.exchange import formats as exchange
from mapsvc.exchange.table import (
    Contents,
    Row,
    column_at,
    map_headers,
    rows_from_cells,
    values_of,
    warn,
)
from mapsvc.records.catalog import Resource
from mapsvc.records.validation import blank

_CHUNK = 1 << 20


class Source:
    """Rows of a file read whole (every format but CSV)."""

    def __init__(self, table: exchange.Table):
        """Pages over a table read by mapsvc.exchange.formats."""
        self.format, self.unit, self.crs = table.format, table.unit, table.crs
        self.columns, self.warnings = table.columns, table.warnings
        self._rows = table.rows
        self.count: int | None = len(table.rows)

    def pages(self, size: int) -> Iterator[list[Row]]:
        """The rows, size at a time."""
        for lo in range(0, len(self._rows), size):
            yield self._rows[lo : lo + size]


def _encoding(path: str) -> str:
    """UTF-16 (BOM), UTF-8 (with or without BOM) when every byte decodes, else GB18030."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        if head in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            # Excel and WPS on Chinese Windows save CSV as GBK; GB18030 reads all of it
            return "gb18030"
    return "utf-8-sig"


class CsvSource(Source):
    """A CSV read row by row on each pass (mapsvc.exchange.csvfile reads the same way, whole)."""

    def __init__(self, path: str, resource: Resource, crs_option: str | None):
        """Settle encoding, delimiter, header and coordinate system; no data row is kept."""
        self.path, self.encoding = path, _encoding(path)
        self.format, self.unit, self.count = "csv", "row", None
        self._stray: int | None = None
        with self._open() as fh:
            first = fh.readline()
        self.delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
        with self._open() as fh:
            header = next(csv.reader(fh, delimiter=self.delimiter), None)
        warnings: list = []
        self.targets: list = []
        hcrs, self.columns = None, {}
        if header is not None:
            where = [column_at(i + 1) for i in range(len(header))]
            # the refusals and warnings of a header, exactly as the whole-file reader gives them
            _, self.columns, hcrs, warnings = rows_from_cells(resource, header, iter(()), where)
            self.targets = map_headers(resource, header, where=where)[0].targets
        if self.encoding == "gb18030":
            warnings.append(warn("encoding_gbk"))
        has_rows = next(self.pages(1), None) is not None
        got = Contents([None] if has_rows else [], self.columns, hcrs, "header", warnings)
        option = exchange._crs_option(crs_option)  # noqa: SLF001 - the one CRS rule, shared
        self.crs, _ = exchange._settle_crs(exchange.csvfile, got, option)  # noqa: SLF001
        self.warnings = got.warnings

    def _open(self):
        return open(self.path, encoding=self.encoding, newline="")

    def pages(self, size: int) -> Iterator[list[Row]]:
        """Data rows (numbered as a spreadsheet shows them), size at a time."""
        stray = count = 0
        page: list[Row] = []
        with self._open() as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            next(reader, None)
            for number, cells in enumerate(reader, start=2):
                if all(blank(v) for v in cells):
                    continue
                targets = self.targets
                if len(cells) > len(targets):  # cells past the header: no column of their own
                    targets = targets + [None] * (len(cells) - len(targets))
                values, s = values_of(targets, cells)
                stray += s
                if all(blank(v) for v in values.values()):
                    continue
                page.append(Row(number, values))
                count += 1
                if len(page) >= size:
                    yield page
                    page = []
        if page:
            yield page
        if self._stray is None:  # the first full pass: what it found, once
            self._stray, self.count = stray, count
            if stray:
                self.warnings.append(warn("values_without_header", count=stray))


def open_source(
    path: str | os.PathLike,
    resource: Resource,
    *,
    crs: str | None = None,
    filename: str | None = None,
) -> Source:
    """The file as pages of rows; FileRefused when it cannot be read as records of the kind."""
    path = str(path)
    if exchange.detect_format(path, filename) == "csv":
        try:
            return CsvSource(path, resource, crs)
        except (OSError, csv.Error, UnicodeError) as exc:
            raise exchange.refuse("unreadable_file", label="CSV", error=exc) from None
    return Source(exchange.read_table(path, resource, crs=crs, filename=filename))
