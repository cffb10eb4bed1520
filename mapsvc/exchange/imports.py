"""The import service: a file of records of one kind into the database, all or nothing.

`import_file(url, path, kind, crs=, dry_run=, partial=)` reads the file (mapsvc.exchange.formats),
checks every row with the validation layer (mapsvc.records.validation: `coerce`, then the database
rules of `check_rules`, then the database's own constraints through `explain_db_error`),
and writes in ONE transaction:

* a row whose code exists updates that record (its version goes up); a new code inserts.
  Members have no code: a row with an `id` (编号, as exports write it) updates that member,
  a row without one adds a member. Columns left out of the file are not touched; a blank
  cell clears the field (a blank in a column the database fills by default, such as
  population, leaves it as it is).
* when the file carries a `version` column (exports do), a record changed by someone else
  since the export is not overwritten: that row is refused ("version_conflict"), so an
  accepted write is never lost. The rows being updated are locked (FOR UPDATE) from the
  check to the commit.
* orgs are written parents first: a file may list a child before its parent; parent links
  that loop within the file are refused on every row of the loop.
* by default any problem anywhere rejects the whole file: nothing is written and the report
  lists every bad row. `partial` writes the good rows and reports the rest (a child whose
  parent row was refused is refused too). `dry_run` does all the work, then rolls back.
* masked phone numbers (138****1234, as exports of the records API show them) leave the
  stored number unchanged.

Kind `roads` (catalog.ROADS, not a records API kind) REPLACES the whole walking network:
LineString or MultiLineString features, with optional name and kind (主干路 arterial, 次干路
secondary, 支路 local — the default —, 步行道 path). Line ends within 1 m of each other
become one vertex; lines are joined only at their ends (split crossing roads at junctions,
as routing data normally is); then refresh_road_walks() rebuilds the precomputed walks.

Files are read and checked a page of rows at a time (PAGE_ROWS): CSV is streamed, so memory
does not grow with the file (mapsvc.exchange.sources); what the checks need across pages is
kept small (a key seen twice → the two rows that show it). Orgs and admin areas are checked
whole, since a file may list a child before its parent; roads replace the network whole.
Progress is reported and cancellation honoured between pages; everything is one transaction,
so a cancelled import writes nothing, partial or not.

The report is a dict (see `import_file`), bounded whatever the file: it lists the first
`report_per_code` problems (and warnings) of each code and counts the rest in "omitted"
("warnings_omitted"). `render_text` gives the command line's version.
Exports of the same kinds: `export_kind`.
"""

from __future__ import annotations

import csv
import heapq
import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import psycopg2
import shapely
from psycopg2 import sql
from psycopg2.extras import RealDictCursor, execute_values

from mapsvc.domain.messages import words
from mapsvc.domain.vocabulary import FILE_UNITS, SERIAL_HEADER
from mapsvc.exchange import formats as exchange
from mapsvc.exchange import sources
from mapsvc.infra.config import import_settings
from mapsvc.infra.db import libpq_dsn
from mapsvc.records import service as records
from mapsvc.records import validation
from mapsvc.records.catalog import IMPORTABLE, PHONE, ROADS, Field, Resource
from mapsvc.records.validation import Problem, blank

_ROAD_ATTRS = replace(ROADS, fields=ROADS.fields[1:3])  # what a line's properties set
KINDS: dict[str, Resource] = IMPORTABLE
MASKED_PHONE = re.compile(r"^1[3-9][0-9]\*{4}[0-9]{4}$")
SNAP_M = 1.0  # road ends closer than this are one vertex
PAGE = 2000  # rows per INSERT/UPDATE statement
PAGE_ROWS = 5000  # rows read, checked and written at a time; progress and cancel between
_WHOLE = ("orgs", "admin_areas")  # parents may come after their children: checked whole
_NO_RULES = ("org_cycle_in_file", "parent_refused")  # their references say nothing more


def kind_spec(kind: str) -> Resource:
    """The record kind called kind (catalog kinds and roads); KeyError when unknown."""
    return KINDS[kind]


# ------------------------------------------------------------------------- report
def record_select(resource: Resource, *, updated_at: bool = False) -> sql.Composable:
    """Columns of a record as Python values: refs as codes, geometry as WKB (full precision)."""
    parts = []
    for f in resource.fields:
        col = sql.SQL("t.") + sql.Identifier(f.col)
        if f.name == "updated_at":
            if not updated_at:
                continue
            expr = sql.SQL(
                "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ).format(col)
        elif f.type == "ref":
            expr = sql.SQL("(SELECT r.code FROM party_orgs r WHERE r.id = {})").format(col)
        elif f.is_geometry or f.type == "line":
            expr = sql.SQL("ST_AsBinary({})").format(col)
        else:
            expr = col
        parts.append(sql.SQL("{} AS {}").format(expr, sql.Identifier(f.name)))
    return sql.SQL(", ").join(parts)


def _with_shapes(resource: Resource, row: dict) -> dict:
    rec = dict(row)
    for f in resource.fields:
        if (f.is_geometry or f.type == "line") and rec.get(f.name) is not None:
            rec[f.name] = shapely.from_wkb(bytes(rec[f.name]))
    return rec


GEOMETRY_SAME_DEG = 2e-7  # about 2 cm: what a 7-decimal export moves a vertex, and more


def same_value(f: Field, new, old) -> bool:
    """Whether an imported value repeats the stored one (when unsure: not the same)."""
    if new is None or old is None:
        return new is None and old is None
    if f.is_geometry:
        return new.geom_type == old.geom_type and bool(
            shapely.equals_exact(new, old, tolerance=GEOMETRY_SAME_DEG)
        )
    if f.type in ("int", "float"):
        try:
            return float(new) == float(old)
        except (TypeError, ValueError):
            return False
    if f.type == "text_list":
        return list(new) == list(old)
    return type(new) is type(old) and new == old


def _entry(unit: str, number: int | None, p: Problem) -> dict:
    out: dict = {unit: number} if number is not None else {}
    out.update(field=p.field, code=p.code, message=p.message, message_en=p.message_en)
    return out


class Cancelled(Exception):
    """The import was cancelled between two pages; nothing was written."""


@dataclass(frozen=True)
class Limits:
    """How much one import may read, and how much of it its report lists."""

    max_rows: int = 1_000_000
    report_per_code: int = 100

    @classmethod
    def from_settings(cls, overrides=None) -> Limits:
        """MAPSVC_IMPORT_MAX_ROWS and MAPSVC_IMPORT_REPORT_PER_CODE (mapsvc.infra.config)."""
        s = import_settings(overrides)
        return cls(max_rows=s.max_rows, report_per_code=s.report_per_code)


class Entries:
    """Problems (or warnings) for a report: the first `per_code` of each code, by row; the
    rest only counted. Memory and size stay bounded however many rows go wrong."""

    def __init__(self, per_code: int):
        """Keep per_code entries of each code."""
        self.per_code = max(0, per_code)
        self._kept: dict[str, list] = defaultdict(list)  # code → max-heap on (row, seq)
        self.omitted: Counter = Counter()
        self._seq = 0

    def add(self, entry: dict) -> None:
        """One entry; entries without a row or feature sort first."""
        self._seq += 1
        number = entry.get("row", entry.get("feature"))
        order = (-1 if number is None else number, self._seq)
        heap = self._kept[entry["code"]]
        heapq.heappush(heap, ((-order[0], -order[1]), entry))
        if len(heap) > self.per_code:
            heapq.heappop(heap)  # the latest in the file goes; it is counted instead
            self.omitted[entry["code"]] += 1

    def extend(self, entries: Iterable[dict]) -> None:
        """Several entries."""
        for e in entries:
            self.add(e)

    def listed(self) -> list[dict]:
        """The kept entries in file order."""
        kept = [k for heap in self._kept.values() for k in heap]
        kept.sort(key=lambda k: (-k[0][0], -k[0][1]))
        return [e for _, e in kept]


def bounded(entries: list[dict], per_code: int) -> tuple[list[dict], dict]:
    """entries cut to per_code of each code, and how many of each were left out."""
    out = Entries(per_code)
    out.extend(entries)
    return out.listed(), dict(out.omitted)


def _new_report(kind: str, name: str, *, dry_run: bool, partial: bool) -> dict:
    return {
        "kind": kind,
        "file": name,
        "format": None,
        "crs": None,
        "rows": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "status": "rejected",
        "dry_run": dry_run,
        "partial": partial,
        "problems": [],
        "omitted": {},
        "warnings": [],
        "warnings_omitted": {},
        "timings": {},
    }


def _refused(report: dict, problems: list[Problem]) -> dict:
    report["problems"] = [_entry("row", None, p) for p in problems]
    report["status"] = "rejected"
    return report


def _cancelled(report: dict) -> dict:
    report.update(status="cancelled", inserted=0, updated=0, unchanged=0)
    report["problems"] = [_entry("row", None, Problem.of(None, "import_cancelled"))]
    return report


def _finish_warnings(report: dict, limits: Limits) -> None:
    report["warnings"], report["warnings_omitted"] = bounded(
        report["warnings"], limits.report_per_code
    )


class Pace:
    """How an import tells of its progress and learns it was cancelled (between pages)."""

    def __init__(self, progress: Callable[[dict], None] | None, cancelled):
        """progress(dict of phase, read, checked, written, total); cancelled() → bool."""
        self._progress, self._cancelled = progress, cancelled
        self.state = {"phase": "reading", "read": 0, "checked": 0, "written": 0, "total": None}

    def tell(self, **changes) -> None:
        """Update the progress and pass it on."""
        self.state.update(changes)
        if self._progress is not None:
            self._progress(dict(self.state))

    def check(self) -> None:
        """Raise Cancelled when the import has been cancelled."""
        if self._cancelled is not None and self._cancelled():
            raise Cancelled()


# ------------------------------------------------------------------------- the service
def import_file(
    url: str,
    path: str | os.PathLike,
    kind: str,
    *,
    crs: str | None = None,
    dry_run: bool = False,
    partial: bool = False,
    filename: str | None = None,
    authorize=None,
    limits: Limits | None = None,
    progress: Callable[[dict], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict:
    """Import a file; returns the report.

    authorize(cur, kind, [(record as it is or None, new values)]) → indexes refused: the
    caller's access rules (the command line passes none; the API passes the account's scope).
    limits: rows allowed, problems listed per code (default: the settings). progress(dict)
    is told of each page; cancelled() is asked between pages (then status "cancelled").

    {"kind", "file", "format", "crs", "rows", "inserted", "updated", "rejected",
     "status": "written" | "rejected" | "dry_run" | "cancelled", "dry_run", "partial",
     "problems": [{"row" or "feature", "field", "code", "message", "message_en"}],
     "omitted": {code: how many more problems of that code},
     "warnings": [...same shape...], "warnings_omitted": {...},
     "timings": {"read_s", "check_s", "write_s", "total_s"}}
    "rejected" counts the rows refused; when status is "rejected" nothing was written
    (inserted and updated are 0). A dry run reports what would be inserted and updated.
    """
    t0 = time.monotonic()
    limits = limits or Limits.from_settings()
    pace = Pace(progress, cancelled)
    report = _new_report(
        kind, filename or os.path.basename(str(path)), dry_run=dry_run, partial=partial
    )
    try:
        spec = kind_spec(kind)
    except KeyError:
        zh, en = exchange.listed(list(KINDS))
        return _refused(
            report, [Problem.of(None, "unknown_kind", kind=kind, choices_zh=zh, choices=en)]
        )
    try:
        source = sources.open_source(path, spec, crs=crs, filename=filename)
        report.update(format=source.format, crs=source.crs.name)
        scan = _scan(source, spec, limits, pace)
    except exchange.FileRefused as exc:
        return _refused(report, exc.problems)
    except Cancelled:
        return _cancelled(report)
    report["rows"] = scan.count
    report["timings"]["read_s"] = round(time.monotonic() - t0, 2)
    unit = source.unit
    if not scan.count:
        report["warnings"] = [_entry(unit, None, w) for w in source.warnings]
        return _refused(report, [Problem.of(None, "no_rows")])
    conn = psycopg2.connect(libpq_dsn(url))
    try:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            job = (_RoadImport if kind == "roads" else _RecordImport)(
                cur, spec, source, partial, limits=limits, pace=pace, scan=scan
            )
            job.authorize = authorize
            try:
                job.run(report)
            except Cancelled:
                conn.rollback()
                return _cancelled(report)
        report["rejected"] = job.rejected
        bad = job.rejected or job.file_problems
        report["problems"], report["omitted"] = job.problem_entries()
        report["warnings"] = [
            _entry(unit, None, w) for w in source.warnings
        ] + job.warning_entries()
        written = report["inserted"] + report["updated"]
        if bad and (not partial or not written):
            conn.rollback()
            report.update(status="rejected", inserted=0, updated=0, unchanged=0)
            report.pop("vertices", None)
            report.pop("walks", None)
            _finish_warnings(report, limits)
            return report
        report["warnings"] += [_entry(unit, None, w) for w in job.after_warnings]
        _finish_warnings(report, limits)
        if dry_run:
            conn.rollback()
            report["status"] = "dry_run"
        else:
            pace.tell(phase="committing")
            try:
                conn.commit()
            except psycopg2.Error as exc:
                conn.rollback()
                report.update(status="rejected", inserted=0, updated=0, unchanged=0)
                report["problems"].append(
                    _entry(
                        "row",
                        None,
                        Problem.of(None, "commit_failed", error=exc),
                    )
                )
                return report
            report["status"] = "written"
    finally:
        conn.close()
        report["timings"]["total_s"] = round(time.monotonic() - t0, 2)
    return report


@dataclass
class Scan:
    """What one pass over the whole file found: rows, and the keys it holds more than once."""

    count: int = 0
    dups: dict = field(default_factory=dict)  # key → [first row, second row, times]


def _key_of(kf: Field, values: dict):
    """A row's key (code or id) as the first pass sees it; None when it has none to compare."""
    raw = values.get(kf.name)
    if blank(raw):
        return None
    if kf.name == "id" and blank(values.get("version")):
        return None  # refused on its own (id_without_version), never matched
    try:
        return validation.filter_value(kf, raw)
    except validation.Invalid:
        return None


def _scan(source: sources.Source, spec: Resource, limits: Limits, pace: Pace) -> Scan:
    """Count the rows (refused past the limit) and find keys held twice: O(rows) time, and
    memory for one key → first row map, not for the rows."""
    names = {f.name for f in spec.fields}
    kf = None
    if spec is not ROADS:
        kf = spec.field("code") if "code" in names else spec.field("id")
        if kf.name not in source.columns.values():
            kf = None
    scan, first = Scan(), {}
    try:
        for page in source.pages(PAGE_ROWS):
            pace.check()
            scan.count += len(page)
            pace.tell(read=scan.count)
            for row in page if kf is not None else ():
                key = _key_of(kf, row.values)
                if key is None:
                    continue
                seen = first.setdefault(key, row.number)
                if seen != row.number:
                    d = scan.dups.setdefault(key, [seen, row.number, 1])
                    d[2] += 1
    except csv.Error as exc:
        raise exchange.refuse("unreadable_file", label="CSV", error=exc) from None
    if scan.count > limits.max_rows:
        raise exchange.FileRefused(
            [
                Problem.of(
                    None,
                    "import_too_many_rows",
                    count=scan.count,
                    limit=limits.max_rows,
                    unit=FILE_UNITS[source.unit].zh,
                    unit_en=FILE_UNITS[source.unit].en,
                )
            ]
        )
    pace.tell(total=scan.count)
    return scan


@dataclass
class _Item:
    """One row of the file on its way in."""

    row: exchange.Row
    key: Any = None
    values: dict = field(default_factory=dict)
    current: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    parent: _Item | None = None
    wave: int = 0
    written: bool = False
    unchanged: bool = False  # an existing record the row repeats exactly

    def refuse(self, problem: Problem) -> None:
        self.problems.append(problem)


class _Job:
    items: list[_Item]  # the page being checked and written

    def __init__(self, cur, resource: Resource, table, partial: bool, *, limits, pace, scan):
        self.cur, self.resource, self.table, self.partial = cur, resource, table, partial
        self.limits, self.pace, self.scan = limits, pace, scan
        self.items = []
        self.problems = Entries(limits.report_per_code)
        self.rejected = 0  # rows refused, over all pages
        self.warnings: list[tuple[int | None, Problem]] = []
        self.file_problems: list[Problem] = []
        self.after_warnings: list[Problem] = []  # about the data as written: only if it is
        self.authorize = None  # see import_file

    def _authorize(self, items: list[_Item], changes: list[tuple]) -> None:
        """Refuse the rows the importing account may not write (outside its scope)."""
        if self.authorize is None:
            return
        for i in self.authorize(self.cur, self.resource.kind, changes):
            items[i].refuse(Problem.of(None, "import_out_of_scope"))

    def _pages(self) -> Iterable[list[exchange.Row]]:
        """The file a page at a time; whole for the kinds checked in file order."""
        pages = self.table.pages(PAGE_ROWS)
        if self.resource.kind in _WHOLE or self.resource is ROADS:
            return [[row for page in pages for row in page]]
        return pages

    def _done(self, items: list[_Item]) -> None:
        """Keep what the report needs of a page's rows; the rows themselves go."""
        unit = self.table.unit
        for it in items:
            if it.problems:
                self.rejected += 1
                self.problems.extend(_entry(unit, it.row.number, p) for p in it.problems)

    def problem_entries(self) -> tuple[list[dict], dict]:
        unit = self.table.unit
        self.problems.extend(_entry(unit, None, p) for p in self.file_problems)
        return self.problems.listed(), dict(self.problems.omitted)

    def warning_entries(self) -> list[dict]:
        return [_entry(self.table.unit, n, p) for n, p in self.warnings]


class _RecordImport(_Job):
    """Orgs, members, grids, service points, admin areas."""

    def __init__(self, cur, resource, table, partial, **kw):
        super().__init__(cur, resource, table, partial, **kw)
        names = {f.name for f in resource.fields}
        self.key_field = resource.field("code") if "code" in names else resource.field("id")
        self.fields = {f.name: f for f in resource.fields}
        self.ids: dict[str, int] = {}  # org code → id, for ref fields
        self.written_orgs: set[int] = set()  # members' orgs, for the party-rule warnings

    # -------------------------------------------------------------- the steps
    def run(self, report: dict) -> None:
        self._columns()
        report["timings"].update(check_s=0.0, write_s=0.0)
        for rows in self._pages():
            self.pace.check()
            self.pace.tell(phase="checking")
            self.items = [_Item(row) for row in rows]
            self._page(report)
            self._done(self.items)
            if self.resource.kind == "members":
                self.written_orgs.update(
                    self.ids[it.values["org_code"]]
                    for it in self.items
                    if it.written and it.values.get("org_code") in self.ids
                )
            self.pace.tell(
                checked=self.pace.state["checked"] + len(rows),
                written=report["inserted"] + report["updated"],
            )
            self.items = []
        t = time.monotonic()
        self._party_warnings()
        timings = report["timings"]
        timings["check_s"] = round(timings["check_s"] + time.monotonic() - t, 2)
        timings["write_s"] = round(timings["write_s"], 2)

    def _page(self, report: dict) -> None:
        """Check and write one page of rows (for orgs and areas: the whole file)."""
        t = time.monotonic()
        self._keys()
        self._existing()
        self._coerce()
        todo = [it for it in self.items if not it.problems]
        self._authorize(todo, [(it.current, it.values) for it in todo])
        self._in_file_rules()
        check_s = time.monotonic() - t
        waves = defaultdict(list)
        for it in self.items:
            waves[it.wave].append(it)
        live = {it.key for it in self.items if it.key} if self.resource.kind == "orgs" else set()
        write_s = 0.0
        for w in sorted(waves):
            t = time.monotonic()
            same = [it for it in waves[w] if it.unchanged and not it.problems]
            report["updated"] += len(same)
            report["unchanged"] += len(same)
            # rows already refused are checked too, so the report says all that is wrong
            batch = [it for it in waves[w] if not it.unchanged and self._parent_ok(it)]
            self._rules(
                [it for it in batch if not any(p.code in _NO_RULES for p in it.problems)], live
            )
            self._resolve_refs([it for it in batch if not it.problems])
            check_s += time.monotonic() - t
            t = time.monotonic()
            for inserting in (False, True):
                todo = [it for it in batch if not it.problems and (it.current is None) == inserting]
                n = self._write(todo, inserting=inserting)
                report["inserted" if inserting else "updated"] += n
            write_s += time.monotonic() - t
        report["timings"]["check_s"] += check_s
        report["timings"]["write_s"] += write_s

    def _columns(self) -> None:
        self.cur.execute(
            """
            SELECT a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
                   a.attnotnull AND (a.atthasdef OR a.attgenerated <> '') AS defaulted
            FROM pg_attribute a
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped""",
            (self.resource.table,),
        )
        rows = self.cur.fetchall()
        self.coltype = {r["col"]: r["type"] for r in rows}
        self.defaulted = {r["col"] for r in rows if r["defaulted"]}
        ignored = [
            c
            for c in self.table.columns.values()
            if c in self.fields
            and not self.fields[c].writable
            and c not in exchange.IGNORED_SILENTLY
            and c != self.key_field.name
        ]
        if ignored:
            zh = exchange.listed([self.fields[c].zh for c in ignored])[0]
            en = exchange.listed(ignored)[1]
            warning = Problem.of(
                None, "read_only_columns", severity="warning", labels_zh=zh, names=en
            )
            self.warnings.append((None, warning))

    def _keys(self) -> None:
        kf = self.key_field
        for it in self.items:
            raw = it.row.values.get(kf.name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                it.key = validation.filter_value(kf, raw)
            except validation.Invalid as exc:
                if kf.name == "id":  # coerce never sees the id: say it here
                    it.problems += exc.problems
                continue
            if kf.name == "id" and blank(it.row.values.get("version")):
                # ids come from this service's exports, which carry the version too; a sheet's
                # own serial numbers headed 编号 must never overwrite members 1, 2, 3 …
                it.key = None
                it.refuse(
                    Problem.of(
                        "id",
                        "id_without_version",
                        kind_zh=self.resource.zh,
                        kind=self.resource.en,
                        serial_zh=SERIAL_HEADER,
                    )
                )
        unit, unit_en = FILE_UNITS[self.table.unit]
        for it in self.items:
            dup = self.scan.dups.get(it.key) if it.key is not None else None
            if dup is None:
                continue
            first, second, times = dup
            # one reference, never the list of every row: the message stays O(1) in size
            other = second if it.row.number == first else it.row.number
            more = times > 2
            it.refuse(
                Problem.of(
                    kf.name,
                    "import_duplicate_in_file",
                    label=kf.zh,
                    name=kf.name,
                    key=it.key,
                    times=times,
                    first=first,
                    other=other,
                    unit=unit,
                    unit_en=unit_en,
                    more=words("list_more")[1] if more else "",
                    more_en=words("list_more")[2] if more else "",
                )
            )

    def _existing(self) -> None:
        keys = sorted({it.key for it in self.items if it.key is not None})
        current = {}
        for lo in range(0, len(keys), 10_000):
            self.cur.execute(
                sql.SQL("SELECT {} FROM {} t WHERE t.{} = ANY(%s) FOR UPDATE").format(
                    record_select(self.resource),
                    sql.Identifier(self.resource.table),
                    sql.Identifier(self.key_field.col),
                ),
                (keys[lo : lo + 10_000],),
            )
            for row in self.cur.fetchall():
                rec = _with_shapes(self.resource, row)
                current[rec[self.key_field.name]] = rec
        for it in self.items:
            if it.key is None:
                continue
            it.current = current.get(it.key)
            if it.current is None and self.key_field.name == "id":
                it.refuse(
                    Problem.of(
                        "id",
                        "unknown_id",
                        kind_zh=self.resource.zh,
                        kind=self.resource.kind,
                        id=it.key,
                    )
                )

    def _coerce(self) -> None:
        phones = [f for f in self.resource.fields if f.pattern == PHONE]
        for it in self.items:
            raw = dict(it.row.values)
            version = raw.pop("version", None)
            for name in list(raw):
                f = self.fields.get(name)
                if f is not None and not f.writable:
                    raw.pop(name)
            self._drop_masked_phones(it, raw, phones)
            values, problems = validation.coerce(
                self.resource,
                raw,
                partial=it.current is not None,
                crs=self.table.crs,
                from_file=True,
            )
            it.values = values
            it.problems += problems
            if it.current is None or it.problems:
                continue
            geo = self.resource.geometry
            if (
                geo is not None
                and values.get(geo.name) is not None
                and same_value(geo, values[geo.name], it.current.get(geo.name))
            ):
                values[geo.name] = it.current[geo.name]  # not moved: keep it bit for bit
            if all(same_value(self.fields[n], v, it.current.get(n)) for n, v in values.items()):
                it.unchanged = True  # nothing to write, nothing to check, no version bump
                continue
            if version not in (None, ""):
                self._check_version(it, version)

    @staticmethod
    def _drop_masked_phones(it, raw: dict, phones: list[Field]) -> None:
        """A masked number (138****1234) leaves the stored one; a new record cannot have it."""
        for f in phones:
            v = raw.get(f.name)
            if isinstance(v, str) and MASKED_PHONE.match(v.strip()):
                raw.pop(f.name)
                if it.current is None:
                    it.refuse(Problem.about(f, "masked_phone", value=v))

    def _check_version(self, it, version) -> None:
        """Refuse a row made against another version than the record's current one."""
        try:
            expected = int(float(str(version).strip()))
        except ValueError:
            it.refuse(Problem.of("version", "bad_version", value=version))
            return
        now = it.current["version"]
        if expected != now:
            it.refuse(
                Problem.of(
                    "version",
                    "version_conflict",
                    kind_zh=self.resource.zh,
                    kind=self.resource.en,
                    key=it.key,
                    expected=expected,
                    now=now,
                )
            )

    def _in_file_rules(self) -> None:
        """Orgs: parents before children; parent links that loop within the file. Areas:
        provinces, cities, counties, then streets and towns, then communities and villages."""
        if self.resource.kind == "admin_areas":
            rank = {"province": 0, "city": 1, "county": 2, "street": 3, "town": 3}
            for it in self.items:
                level = it.values.get("level") or (it.current or {}).get("level")
                it.wave = rank.get(level, 4)
            return
        if self.resource.kind != "orgs":
            return
        by_code = {it.key: it for it in self.items if it.key is not None}
        for it in self.items:
            parent = it.values.get("parent_code")
            if parent and parent in by_code:
                it.parent = by_code[parent]
        state: dict[int, int] = {}  # id(item) → 1 visiting, 2 done
        for start in self.items:
            path: list[_Item] = []
            node: _Item | None = start
            while node is not None and state.get(id(node)) is None:
                state[id(node)] = 1
                path.append(node)
                node = node.parent
            if node is not None and state.get(id(node)) == 1:  # a loop, from node on
                loop = path[path.index(node) :]
                chain = " → ".join(str(i.key) for i in [*loop, loop[0]])
                zh, en = exchange.listed([i.row.number for i in loop])
                for i in loop:
                    i.refuse(
                        Problem.of(
                            "parent_code", "org_cycle_in_file", chain=chain, rows_zh=zh, rows=en
                        )
                    )
                    i.parent = None
            base = node.wave + 1 if node is not None and state.get(id(node)) == 2 else 0
            for i in reversed(path):
                if i.parent is None:
                    i.wave = 0
                else:
                    i.wave = base
                base = i.wave + 1
                state[id(i)] = 2

    def _parent_ok(self, it: _Item) -> bool:
        """False (and a problem on the row) when its parent is new in the file but refused."""
        p = it.parent  # an in-file parent: an earlier wave, already checked and written
        if p is None or not p.problems or p.current is not None:
            return True  # refusing a change to a stored parent leaves that parent there
        if any(x.code == "parent_refused" for x in it.problems):
            return False
        it.refuse(
            Problem.of(
                "parent_code",
                "parent_refused",
                parent=p.key,
                number=p.row.number,
                unit_zh=FILE_UNITS[self.table.unit].zh,
                unit=self.table.unit,
            )
        )
        return False

    def _rules(self, batch: list[_Item], live: set) -> None:
        records_ = [(it.values, it.current) for it in batch]
        found = validation.check_rules_many(self.cur, self.resource, records_, live_org_codes=live)
        for it, problems in zip(batch, found, strict=True):
            it.problems += problems

    def _resolve_refs(self, batch: list[_Item]) -> None:
        codes = {
            it.values[f.name]
            for it in batch
            for f in self.resource.fields
            if f.type == "ref" and it.values.get(f.name)
        } - set(self.ids)
        if codes:
            self.cur.execute(
                "SELECT code, id FROM party_orgs WHERE code = ANY(%s)", (sorted(codes),)
            )
            self.ids.update({r["code"]: r["id"] for r in self.cur.fetchall()})

    # -------------------------------------------------------------- writing
    def _db_values(self, it: _Item, inserting: bool) -> dict:
        out = {}
        for name, v in it.values.items():
            f = self.fields[name]
            if v is None and f.col in self.defaulted:
                continue  # NOT NULL with a default: blank means "as it is" (default on insert)
            if f.type == "ref":
                v = None if v is None else self.ids[v]
            elif f.is_geometry:
                v = None if v is None else psycopg2.Binary(shapely.to_wkb(v))
            out[name] = v
        return out

    def _placeholders(self, names: list[str]) -> list[str]:
        out = []
        for n in names:
            f = self.fields[n]
            out.append(
                "ST_GeomFromWKB(%s, 4326)" if f.is_geometry else f"%s::{self.coltype[f.col]}"
            )
        return out

    def _write(self, items: list[_Item], *, inserting: bool) -> int:
        groups: dict[tuple, list[tuple[_Item, dict]]] = defaultdict(list)
        for it in items:
            values = self._db_values(it, inserting)
            groups[tuple(values)].append((it, values))
        done = 0
        table = sql.Identifier(self.resource.table)
        keycol = sql.Identifier(self.key_field.col)
        has_id = "id" in self.fields
        for names, entries in groups.items():
            names = list(names)
            cols = [sql.Identifier(self.fields[n].col) for n in names]
            if inserting:
                statement = sql.SQL("INSERT INTO {} ({}) VALUES %s RETURNING {} AS key{}").format(
                    table,
                    sql.SQL(", ").join(cols),
                    keycol,
                    sql.SQL(", id") if has_id else sql.SQL(""),
                )
                template = "(" + ", ".join(self._placeholders(names)) + ")"
                rows = [tuple(v[n] for n in names) for _, v in entries]
            else:
                sets = [sql.SQL("{} = v.{}").format(c, c) for c in cols]
                sets += [sql.SQL("version = t.version + 1"), sql.SQL("updated_at = now()")]
                statement = sql.SQL(
                    "UPDATE {} t SET {} FROM (VALUES %s) AS v(key__{}) "
                    "WHERE t.{} = v.key__ RETURNING t.{} AS key"
                ).format(
                    table,
                    sql.SQL(", ").join(sets),
                    sql.SQL("").join(sql.SQL(", ") + c for c in cols),
                    keycol,
                    keycol,
                )
                keytype = self.coltype[self.key_field.col]
                template = "(" + ", ".join([f"%s::{keytype}", *self._placeholders(names)]) + ")"
                rows = [(it.key, *(v[n] for n in names)) for it, v in entries]
            for lo in range(0, len(entries), PAGE):
                done += self._run(
                    statement, template, entries[lo : lo + PAGE], rows[lo : lo + PAGE]
                )
        return done

    def _run(self, statement, template: str, entries: list, rows: list) -> int:
        """One page; when the database objects, row by row to find which rows it means."""
        cur = self.cur
        try:
            cur.execute("SAVEPOINT page")
            result = execute_values(
                cur, statement, rows, template=template, page_size=len(rows), fetch=True
            )
            cur.execute("RELEASE SAVEPOINT page")
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise
        except psycopg2.Error as exc:
            cur.execute("ROLLBACK TO SAVEPOINT page")
            cur.execute("RELEASE SAVEPOINT page")
            if len(rows) == 1:
                entries[0][0].refuse(validation.explain_db_error(exc))
                return 0
            return sum(
                self._run(statement, template, [e], [r]) for e, r in zip(entries, rows, strict=True)
            )
        for it, _ in entries:
            it.written = True
        for r in result:
            if "id" in r and r["key"] is not None and self.resource.kind == "orgs":
                self.ids[r["key"]] = r["id"]
        return len(result)

    def _party_warnings(self) -> None:
        if self.resource.kind != "members":
            return  # orgs are created before their members: no advice on empty branches
        self.after_warnings = validation.party_rule_warnings(self.cur, sorted(self.written_orgs))


# ------------------------------------------------------------------------- roads
def _snapped_ends(ends: np.ndarray) -> list[int]:
    """For each line end (lon, lat), the lowest-numbered end of its cluster: ends within
    SNAP_M of each other, transitively, are one vertex."""
    n = len(ends)
    lat0 = math.radians(float(ends[:, 1].mean())) if n else 0.0
    x = ends[:, 0] * 111_320.0 * math.cos(lat0)
    y = ends[:, 1] * 110_540.0
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i in range(n):
        cx, cy = int(math.floor(x[i] / SNAP_M)), int(math.floor(y[i] / SNAP_M))
        near = (
            j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in cells.get((cx + dx, cy + dy), ())
        )
        for j in near:
            if math.hypot(x[i] - x[j], y[i] - y[j]) <= SNAP_M:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        cells[(cx, cy)].append(i)
    return [find(i) for i in range(n)]


class _RoadImport(_Job):
    """A line network replacing the roads: shared vertices where ends meet (within 1 m)."""

    def run(self, report: dict) -> None:
        self.pace.check()
        self.pace.tell(phase="checking")
        self.items = [_Item(row) for rows in self._pages() for row in rows]
        try:
            self._replace(report)
        finally:
            self._done(self.items)
        self.pace.tell(checked=len(self.items), written=report["inserted"])

    def _replace(self, report: dict) -> None:
        t = time.monotonic()
        self._authorize(self.items, [(None, {}) for _ in self.items])
        lines: list[tuple[_Item, Any, str | None, str]] = []
        for it in self.items:
            raw = dict(it.row.values)
            geom, problems = validation.parse_line(raw.pop("geometry", None), self.table.crs)
            raw = {k: v for k, v in raw.items() if k in ("name", "kind")}
            values, more = validation.coerce(_ROAD_ATTRS, raw, crs=self.table.crs, from_file=True)
            it.problems += problems + more
            if not it.problems:
                for part in getattr(geom, "geoms", [geom]):
                    lines.append((it, part, values.get("name"), values.get("kind") or "local"))
        report["timings"]["check_s"] = round(time.monotonic() - t, 2)
        if any(it.problems for it in self.items) and not self.partial:
            return
        t = time.monotonic()
        vertices, edges = self._topology(lines)
        if not edges:
            self.file_problems.append(Problem.of(None, "no_roads"))
            return
        cur = self.cur
        cur.execute("SELECT count(*) AS n FROM roads")
        report["replaced"] = cur.fetchone()["n"]
        cur.execute("DELETE FROM roads")
        cur.execute("DELETE FROM road_vertices")
        execute_values(
            cur,
            "INSERT INTO road_vertices (id, geom) VALUES %s",
            [(i + 1, x, y) for i, (x, y) in enumerate(vertices)],
            template="(%s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            page_size=5000,
        )
        execute_values(
            cur,
            "INSERT INTO roads (name, kind, source, target, geom) VALUES %s",
            [
                (name, kind, s, e, psycopg2.Binary(shapely.to_wkb(g)))
                for name, kind, s, e, g in edges
            ],
            template="(%s, %s, %s, %s, ST_GeomFromWKB(%s, 4326))",
            page_size=5000,
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('roads', 'id'), "
            "GREATEST((SELECT max(id) FROM roads), 1))"
        )
        cur.execute("SELECT refresh_road_walks() AS n")
        report["walks"] = cur.fetchone()["n"]
        report["inserted"] = len(edges)
        report["vertices"] = len(vertices)
        report["timings"]["write_s"] = round(time.monotonic() - t, 2)
        for it, *_ in lines:
            it.written = True
        self._connectivity(len(vertices), edges)

    def _topology(self, lines) -> tuple[list[tuple[float, float]], list[tuple]]:
        ends = np.array(
            [c for _, g, _, _ in lines for c in (g.coords[0], g.coords[-1])], dtype=float
        ).reshape(-1, 2)
        roots = _snapped_ends(ends)
        vid: dict[int, int] = {}
        vertices: list[tuple[float, float]] = []

        def vertex_of(i: int) -> int:
            root = roots[i]
            if root not in vid:
                vertices.append((float(ends[root, 0]), float(ends[root, 1])))
                vid[root] = len(vertices)
            return vid[root]

        edges = []
        for k, (it, g, name, kind) in enumerate(lines):
            s, e = vertex_of(2 * k), vertex_of(2 * k + 1)
            coords = list(g.coords)
            coords[0], coords[-1] = vertices[s - 1], vertices[e - 1]
            if s != e:
                edges.append((name, kind, s, e, shapely.LineString(coords)))
                continue
            if len(coords) < 3:  # both ends within a metre: nothing to walk along
                short = Problem.of("geometry", "road_too_short", severity="warning")
                self.warnings.append((it.row.number, short))
                continue
            mid = len(coords) // 2  # a loop: two edges through a vertex half-way round
            vertices.append((float(coords[mid][0]), float(coords[mid][1])))
            m = len(vertices)
            edges.append((name, kind, s, m, shapely.LineString(coords[: mid + 1])))
            edges.append((name, kind, m, e, shapely.LineString(coords[mid:])))
        return vertices, edges

    def _connectivity(self, n: int, edges: list[tuple]) -> None:
        parent = list(range(n + 1))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for _, _, s, e, _ in edges:
            a, b = find(s), find(e)
            if a != b:
                parent[a] = b
        sizes: dict[int, int] = defaultdict(int)
        for _, _, s, _, _ in edges:
            sizes[find(s)] += 1
        if len(sizes) > 1:
            big = max(sizes.values()) / max(1, len(edges))
            warning = Problem.of(
                None, "network_disconnected", severity="warning", parts=len(sizes), share=big
            )
            self.warnings.append((None, warning))


# ------------------------------------------------------------------------- text
def render_text(report: dict, *, max_warnings: int = 20) -> str:
    """The report for people: a summary, then each problem in Chinese, then in English."""
    spec = KINDS.get(report["kind"])
    fmt = exchange.FORMATS.get(report.get("format") or "", report.get("format") or "?")
    status = report["status"]
    if status == "rejected" and report.get("dry_run"):
        status = "dry_run_rejected"
    _, head_zh, head_en = words(f"import_head_{status}")
    extra_zh = extra_en = ""
    if report.get("unchanged"):
        _, extra_zh, extra_en = words("import_unchanged_note", unchanged=report["unchanged"])
    if report["kind"] == "roads" and "vertices" in report:
        _, extra_zh, extra_en = words(
            "import_roads_note", vertices=report["vertices"], replaced=report.get("replaced", 0)
        )
    _, summary_zh, summary_en = words(
        "import_summary",
        file=report["file"],
        fmt=fmt,
        kind_zh=spec.zh if spec else report["kind"],
        kind=report["kind"],
        crs=report.get("crs") or "-",
        rows=report["rows"],
        inserted=report["inserted"],
        updated=report["updated"],
        rejected=report["rejected"],
        extra_zh=extra_zh,
        extra_en=extra_en,
        head_zh=head_zh,
        head_en=head_en,
    )
    lines = [summary_zh, summary_en]
    if report["problems"]:
        lines += ["", _heading("import_problems_heading")]
        lines += _listed(report["problems"])
    for code, n in (report.get("omitted") or {}).items():
        lines += _both("import_omitted", n=n, code=code)
    if report["warnings"]:
        lines += ["", _heading("import_warnings_heading")]
        lines += _listed(report["warnings"][:max_warnings])
        more = len(report["warnings"]) - max_warnings
        more += sum((report.get("warnings_omitted") or {}).values())
        if more > 0:
            lines += _both("import_more_warnings", more=more)
    return "\n".join(lines)


def _heading(key: str) -> str:
    """问题 / problems: both languages on one line."""
    _, zh, en = words(key)
    return f"{zh} / {en}:"


def _both(key: str, **values) -> list[str]:
    """A message's two lines: Chinese, then English indented under it."""
    _, zh, en = words(key, **values)
    return [zh, f"  {en}"]


def _listed(entries: list[dict]) -> list[str]:
    lines = []
    for p in entries:
        zh, en = _where(p)
        lines.append(f"{zh}{p['message']}")
        lines.append(f"  {en}{p['message_en']}")
    return lines


def _where(p: dict) -> tuple[str, str]:
    for unit in ("row", "feature"):
        if unit in p:
            _, zh, en = words(f"import_at_{unit}", n=p[unit])
            return f"{zh}  ", f"{en}  "
    return "", ""


# ------------------------------------------------------------------------- exports
def fetch_for_export(url: str, kind: str, *, unmasked_phones: bool = False) -> list[dict]:
    """Every record of a kind, as the records API presents them (phones masked unless asked)."""
    spec = kind_spec(kind)
    conn = psycopg2.connect(libpq_dsn(url))
    try:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            if kind == "roads":
                cur.execute(
                    "SELECT id, name, kind, round(length_m::numeric, 1) AS length_m, "
                    "ST_AsBinary(geom) AS geometry FROM roads ORDER BY id"
                )
            else:
                cur.execute(
                    sql.SQL("SELECT {} FROM {} t ORDER BY t.{}").format(
                        record_select(spec, updated_at=True),
                        sql.Identifier(spec.table),
                        sql.Identifier(spec.order),
                    )
                )
            rows = [_with_shapes(spec, r) for r in cur.fetchall()]
    finally:
        conn.rollback()
        conn.close()
    if unmasked_phones or kind == "roads":
        return rows
    return [records.present(spec, r) for r in rows]


def export_kind(
    url: str,
    kind: str,
    fmt: str,
    path: str | os.PathLike,
    *,
    headers: str = "en",
    unmasked_phones: bool = False,
) -> int:
    """Write every record of a kind to path in fmt; returns how many."""
    items = fetch_for_export(url, kind, unmasked_phones=unmasked_phones)
    return exchange.write_file(kind_spec(kind), items, fmt, path, headers=headers)
