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

The report is a dict (see `import_file`); `render_text` gives the command line's version.
Exports of the same kinds: `export_kind`.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import psycopg2
import shapely
from psycopg2 import sql
from psycopg2.extras import RealDictCursor, execute_values

from mapsvc.exchange import formats as exchange
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
        "warnings": [],
        "timings": {},
    }


def _refused(report: dict, problems: list[Problem]) -> dict:
    report["problems"] = [_entry("row", None, p) for p in problems]
    report["status"] = "rejected"
    return report


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
) -> dict:
    """Import a file; returns the report.

    authorize(cur, kind, [(record as it is or None, new values)]) → indexes refused: the
    caller's access rules (the command line passes none; the API passes the account's scope).

    {"kind", "file", "format", "crs", "rows", "inserted", "updated", "rejected",
     "status": "written" | "rejected" | "dry_run", "dry_run", "partial",
     "problems": [{"row" or "feature", "field", "code", "message", "message_en"}],
     "warnings": [...same shape...], "timings": {"read_s", "check_s", "write_s", "total_s"}}
    "rejected" counts the rows refused; when status is "rejected" nothing was written
    (inserted and updated are 0). A dry run reports what would be inserted and updated.
    """
    t0 = time.monotonic()
    report = _new_report(
        kind, filename or os.path.basename(str(path)), dry_run=dry_run, partial=partial
    )
    try:
        spec = kind_spec(kind)
    except KeyError:
        choices = "、".join(KINDS)
        return _refused(
            report,
            [
                Problem(
                    None,
                    "unknown_kind",
                    f"未知的记录类型：{kind}（可选：{choices}）",
                    f"unknown kind: {kind} (one of: {', '.join(KINDS)})",
                )
            ],
        )
    try:
        table = exchange.read_table(path, spec, crs=crs, filename=filename)
    except exchange.FileRefused as exc:
        return _refused(report, exc.problems)
    report.update(format=table.format, crs=table.crs.name, rows=len(table.rows))
    report["timings"]["read_s"] = round(time.monotonic() - t0, 2)
    if not table.rows:
        report["warnings"] = [_entry(table.unit, None, w) for w in table.warnings]
        return _refused(
            report, [Problem(None, "no_rows", "文件中没有数据行", "the file holds no data rows")]
        )
    conn = psycopg2.connect(libpq_dsn(url))
    try:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            job = (_RoadImport if kind == "roads" else _RecordImport)(cur, spec, table, partial)
            job.authorize = authorize
            job.run(report)
        bad = [it for it in job.items if it.problems]
        report["rejected"] = len(bad)
        bad = bad or job.file_problems
        report["problems"] = job.problem_entries()
        report["warnings"] = [
            _entry(table.unit, None, w) for w in table.warnings
        ] + job.warning_entries()
        written = report["inserted"] + report["updated"]
        if bad and (not partial or not written):
            conn.rollback()
            report.update(status="rejected", inserted=0, updated=0, unchanged=0)
            report.pop("vertices", None)
            report.pop("walks", None)
            return report
        report["warnings"] += [_entry(table.unit, None, w) for w in job.after_warnings]
        if dry_run:
            conn.rollback()
            report["status"] = "dry_run"
        else:
            try:
                conn.commit()
            except psycopg2.Error as exc:
                conn.rollback()
                report.update(status="rejected", inserted=0, updated=0, unchanged=0)
                report["problems"].append(
                    _entry(
                        "row",
                        None,
                        Problem(
                            None,
                            "commit_failed",
                            f"提交失败，未写入任何数据：{exc}",
                            f"the commit failed; nothing was written: {exc}",
                        ),
                    )
                )
                return report
            report["status"] = "written"
    finally:
        conn.close()
        report["timings"]["total_s"] = round(time.monotonic() - t0, 2)
    return report


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
    items: list[_Item]

    def __init__(self, cur, resource: Resource, table: exchange.Table, partial: bool):
        self.cur, self.resource, self.table, self.partial = cur, resource, table, partial
        self.items = [_Item(row) for row in table.rows]
        self.warnings: list[tuple[int | None, Problem]] = []
        self.file_problems: list[Problem] = []
        self.after_warnings: list[Problem] = []  # about the data as written: only if it is
        self.authorize = None  # see import_file

    def _authorize(self, items: list[_Item], changes: list[tuple]) -> None:
        """Refuse the rows the importing account may not write (outside its scope)."""
        if self.authorize is None:
            return
        for i in self.authorize(self.cur, self.resource.kind, changes):
            items[i].refuse(
                Problem(
                    None,
                    "out_of_scope",
                    "该行记录不在您的管辖范围内（或您的角色无权导入此类记录）",
                    "this row is outside your scope (or your role may not import this kind)",
                )
            )

    def problem_entries(self) -> list[dict]:
        unit = self.table.unit
        return [_entry(unit, None, p) for p in self.file_problems] + [
            _entry(unit, it.row.number, p) for it in self.items for p in it.problems
        ]

    def warning_entries(self) -> list[dict]:
        return [_entry(self.table.unit, n, p) for n, p in self.warnings]


class _RecordImport(_Job):
    """Orgs, members, grids, service points, admin areas."""

    def __init__(self, cur, resource, table, partial):
        super().__init__(cur, resource, table, partial)
        names = {f.name for f in resource.fields}
        self.key_field = resource.field("code") if "code" in names else resource.field("id")
        self.fields = {f.name: f for f in resource.fields}
        self.ids: dict[str, int] = {}  # org code → id, for ref fields

    # -------------------------------------------------------------- the steps
    def run(self, report: dict) -> None:
        t = time.monotonic()
        self._columns()
        self._keys()
        self._existing()
        self._coerce()
        todo = [it for it in self.items if not it.problems]
        self._authorize(todo, [(it.current, it.values) for it in todo])
        self._in_file_rules()
        report["timings"]["check_s"] = round(time.monotonic() - t, 2)
        waves = defaultdict(list)
        for it in self.items:
            waves[it.wave].append(it)
        live = {it.key for it in self.items if it.key} if self.resource.kind == "orgs" else set()
        check_s = write_s = 0.0
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
        t = time.monotonic()
        self._party_warnings()
        report["timings"]["check_s"] = round(
            report["timings"]["check_s"] + check_s + time.monotonic() - t, 2
        )
        report["timings"]["write_s"] = round(write_s, 2)

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
            zh = "、".join(self.fields[c].zh for c in ignored)
            self.warnings.append(
                (
                    None,
                    Problem(
                        None,
                        "read_only_columns",
                        f"以下列由系统维护，导入时已忽略：{zh}",
                        f"these columns are maintained by the service and were ignored: "
                        f"{', '.join(ignored)}",
                        severity="warning",
                    ),
                )
            )

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
                    Problem(
                        "id",
                        "id_without_version",
                        f"编号：按编号更新{self.resource.zh}只适用于本系统导出的文件（带“版本”列）。"
                        "如果“编号”是表格自己的序号，请把该列改名为“序号”或删除；新增的请留空",
                        f"id: updating {self.resource.en}s by id works only with files exported "
                        "by this service (they carry a version column). If the id column is the "
                        "sheet's own numbering, rename it 序号 or delete it; leave it empty for new "
                        "ones",
                    )
                )
        seen: dict[Any, list[_Item]] = defaultdict(list)
        for it in self.items:
            if it.key is not None:
                seen[it.key].append(it)
        unit = "行" if self.table.unit == "row" else "个要素"
        unit_en = "rows" if self.table.unit == "row" else "features"
        for key, its in seen.items():
            if len(its) > 1:
                where = "、".join(str(i.row.number) for i in its)
                for i in its:
                    i.refuse(
                        Problem(
                            kf.name,
                            "duplicate_in_file",
                            f"{kf.zh} {key} 在文件中出现 {len(its)} 次（第 {where} {unit}），"
                            "每条记录只能出现一次",
                            f"{kf.name} {key} appears {len(its)} times in the file ({unit_en} "
                            f"{where.replace('、', ', ')}); each record may appear once",
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
                    Problem(
                        "id",
                        "unknown_id",
                        f"{self.resource.zh}编号 {it.key} 不存在（新增{self.resource.zh}"
                        "请把编号留空）",
                        f"{self.resource.kind} id {it.key} does not exist (leave the "
                        "id empty to add one)",
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
                self.resource, raw, partial=it.current is not None, crs=self.table.crs
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
                    it.refuse(
                        Problem(
                            f.name,
                            "masked_phone",
                            f"{f.zh}：{v} 是隐去中间四位的号码，新记录请填写完整号码或留空",
                            f"{f.name}: {v} is a masked number; give the full number for a "
                            "new record, or leave it empty",
                        )
                    )

    def _check_version(self, it, version) -> None:
        """Refuse a row made against another version than the record's current one."""
        try:
            expected = int(float(str(version).strip()))
        except ValueError:
            it.refuse(
                Problem(
                    "version",
                    "bad_version",
                    f"版本：应为整数：{version}",
                    f"version: must be an integer: {version}",
                )
            )
            return
        now = it.current["version"]
        if expected != now:
            it.refuse(
                Problem(
                    "version",
                    "version_conflict",
                    f"{self.resource.zh} {it.key} 在导出后已被他人修改（文件中为第 {expected} "
                    f"版，现为第 {now} 版）：为免覆盖他人的修改，请重新导出后再改",
                    f"{self.resource.en} {it.key} was changed by someone else since the file "
                    f"was exported (file version {expected}, now {now}): export again and "
                    "redo the change, so nobody's edit is overwritten",
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
                rows = "、".join(str(i.row.number) for i in loop)
                for i in loop:
                    i.refuse(
                        Problem(
                            "parent_code",
                            "org_cycle_in_file",
                            f"上级组织编码：文件中的上下级关系成环：{chain}（第 {rows} 行）",
                            f"parent_code: the parent links in the file form a loop: {chain} "
                            f"(rows {rows.replace('、', ', ')})",
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
        where = "行" if self.table.unit == "row" else "个要素"
        it.refuse(
            Problem(
                "parent_code",
                "parent_refused",
                f"上级组织编码：上级组织 {p.key}（文件第 {p.row.number} {where}）未能导入，"
                "本组织随之未导入",
                f"parent_code: the parent org {p.key} ({self.table.unit} {p.row.number} of the "
                "file) was refused, so this org was not imported either",
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
        org_ids = sorted(
            {
                self.ids[it.values["org_code"]]
                for it in self.items
                if it.written and it.values.get("org_code") in self.ids
            }
        )
        self.after_warnings = validation.party_rule_warnings(self.cur, org_ids)


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
        t = time.monotonic()
        self._authorize(self.items, [(None, {}) for _ in self.items])
        lines: list[tuple[_Item, Any, str | None, str]] = []
        for it in self.items:
            raw = dict(it.row.values)
            geom, problems = validation.parse_line(raw.pop("geometry", None), self.table.crs)
            raw = {k: v for k, v in raw.items() if k in ("name", "kind")}
            values, more = validation.coerce(_ROAD_ATTRS, raw, crs=self.table.crs)
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
            self.file_problems.append(
                Problem(
                    None,
                    "no_roads",
                    "文件中没有可用的道路，原有路网保持不变",
                    "the file holds no usable road; the network was left as it was",
                )
            )
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
                self.warnings.append(
                    (
                        it.row.number,
                        Problem(
                            "geometry",
                            "road_too_short",
                            "线路：不足 1 米，已跳过",
                            "geometry: shorter than a metre, skipped",
                            severity="warning",
                        ),
                    )
                )
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
            self.warnings.append(
                (
                    None,
                    Problem(
                        None,
                        "network_disconnected",
                        f"路网由 {len(sizes)} 个互不相连的部分组成，最大的部分占 {big:.0%} 的路段；"
                        "不相连的部分之间无法计算步行距离（线路只在端点处相连）",
                        f"the network falls into {len(sizes)} parts that do not connect; the largest "
                        f"holds {big:.0%} of the roads. Walks between parts cannot be routed (lines "
                        "join only at their ends)",
                        severity="warning",
                    ),
                )
            )


# ------------------------------------------------------------------------- text
def render_text(report: dict, *, max_warnings: int = 20) -> str:
    """The report for people: a summary, then each problem in Chinese, then in English."""
    spec = KINDS.get(report["kind"])
    kind_zh = spec.zh if spec else report["kind"]
    fmt = exchange.FORMATS.get(report.get("format") or "", report.get("format") or "?")
    status = report["status"]
    head_zh = {
        "written": "已写入",
        "dry_run": "试导入（未写入）",
        "rejected": "已拒绝，未写入任何数据",
    }[status]
    head_en = {
        "written": "written",
        "dry_run": "dry run (nothing written)",
        "rejected": "rejected, nothing written",
    }[status]
    if status == "rejected" and report.get("dry_run"):
        head_zh, head_en = "试导入：会被拒绝", "dry run: would be rejected"
    extra_zh = extra_en = ""
    if report.get("unchanged"):
        extra_zh = f"（其中 {report['unchanged']} 条与库中相同，未改动）"
        extra_en = f" ({report['unchanged']} of them identical to the stored ones, left as is)"
    if report["kind"] == "roads" and "vertices" in report:
        extra_zh = f"，顶点 {report['vertices']}，替换原有道路 {report.get('replaced', 0)} 条"
        extra_en = f", {report['vertices']} vertices, replacing {report.get('replaced', 0)} roads"
    lines = [
        f"导入 {report['file']}（{fmt}，{kind_zh}，坐标系 {report.get('crs') or '-'}）："
        f"共 {report['rows']} 行，新增 {report['inserted']}，更新 {report['updated']}{extra_zh}，"
        f"有问题 {report['rejected']} 行 —— {head_zh}",
        f"import {report['file']} ({fmt}, {report['kind']}, CRS {report.get('crs') or '-'}): "
        f"{report['rows']} rows, {report['inserted']} inserted, {report['updated']} updated"
        f"{extra_en}, {report['rejected']} with problems — {head_en}",
    ]
    if report["problems"]:
        lines += ["", "问题 / problems:"]
        for p in report["problems"]:
            zh, en = _where(p)
            lines.append(f"{zh}{p['message']}")
            lines.append(f"  {en}{p['message_en']}")
    if report["warnings"]:
        lines += ["", "提示 / warnings:"]
        for p in report["warnings"][:max_warnings]:
            zh, en = _where(p)
            lines.append(f"{zh}{p['message']}")
            lines.append(f"  {en}{p['message_en']}")
        more = len(report["warnings"]) - max_warnings
        if more > 0:
            lines.append(f"……另有 {more} 条提示（--json 可看全部）")
            lines.append(f"  … and {more} more warnings (--json shows them all)")
    return "\n".join(lines)


def _where(p: dict) -> tuple[str, str]:
    if "row" in p:
        return f"第 {p['row']} 行  ", f"row {p['row']}  "
    if "feature" in p:
        return f"第 {p['feature']} 个要素  ", f"feature {p['feature']}  "
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
