"""Position reports from members' phones: validate a batch, store it, list a member's history.

A phone sends its reports in batches (`POST /api/v1/positions`). The rules:

* Each report carries the phone's own `report_id`; a report_id already stored is a
  duplicate and is not stored again, so resending a batch (after a timeout, a crash, a
  lost answer) is always harmless. A report_id resent with different content is still not
  stored again, and is named in the answer's `conflicts`.
* All or nothing: every report is checked first; if any is bad, nothing of the batch is
  written and every problem is named (index, report_id, field), so the phone can fix the
  batch and resend it whole.
* A good batch is one transaction: the history rows, then each member's current position,
  moved only to a report later than the one it holds (reports may arrive out of order).
* Coordinates arrive in any CRS geodata.crs knows (GCJ-02 from WeChat and Gaode, BD-09
  from Baidu, …); they are converted per batch with numpy and stored as WGS84.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np
import psycopg2.errors

from geodata import crs as crsmod
from mapsvc.domain.errors import BadInput
from mapsvc.domain.messages import MESSAGES, words
from mapsvc.domain.vocabulary import POSITION_SOURCES
from mapsvc.infra import db
from mapsvc.infra.sql import Queries, execute

query = Queries(__file__)

MAX_REPORTS = 1000
MAX_REPORT_ID = 128
MAX_ACCURACY_M = 100_000.0  # exclusive
FUTURE_SLACK = dt.timedelta(minutes=5)  # phone clocks run a little ahead
MAX_BIGINT = 2**63 - 1
SOURCES = POSITION_SOURCES
DEFAULT_SOURCE = "gps"
MAX_LISTED_ERRORS = 100  # a 400 names at most this many problems (error_count has them all)
_RETRIES = 3  # a deadlock between two batches moving the same members is retried


@dataclass(frozen=True, slots=True)
class Report:
    """One valid report, coordinates already in WGS84."""

    index: int
    report_id: str
    member_id: int
    lon: float
    lat: float
    reported_at: dt.datetime
    source: str
    input_crs: str
    accuracy_m: float | None


@dataclass(frozen=True, slots=True)
class ReportError:
    """What is wrong with one field of one report of a batch."""

    index: int
    report_id: str | None
    field: str | None
    code: str
    message: str
    message_en: str

    def as_dict(self) -> dict:
        """JSON form."""
        return asdict(self)


@dataclass
class Batch:
    """A parsed batch: the valid reports, the problems found, and every member_id seen."""

    size: int
    reports: list[Report] = field(default_factory=list)
    errors: list[ReportError] = field(default_factory=list)
    member_refs: list[tuple[int, str | None, int]] = field(default_factory=list)


class InvalidReports(Exception):
    """A batch with bad reports was refused; nothing of it was written."""

    def __init__(self, errors: list[ReportError], size: int):
        """The problems found (all of them) and the size of the batch."""
        super().__init__(f"{len(errors)} problems in a batch of {size}")
        self.errors = errors
        self.size = size


class _Bad(Exception):
    """One field of one report is wrong: a message of domain.messages, filled."""

    def __init__(self, key: str, **values):
        code, self.zh, self.en = words(key, **values)
        super().__init__(self.en)
        self.code = code

    @classmethod
    def worded(cls, code: str, zh: str, en: str) -> _Bad:
        """A problem already in words (from geodata.crs, which keeps its own)."""
        bad = cls.__new__(cls)
        Exception.__init__(bad, en)
        bad.code, bad.zh, bad.en = code, zh, en
        return bad


_MISSING = object()
# the order problems of one report are listed in
_FIELD_ORDER = {
    name: k
    for k, name in enumerate(
        (
            None,
            "report_id",
            "member_id",
            "lon",
            "lat",
            "crs",
            "lon,lat",
            "reported_at",
            "accuracy_m",
            "source",
        )
    )
}


def _error_order(e: ReportError) -> tuple[int, int]:
    return e.index, _FIELD_ORDER.get(e.field, 99)


# ------------------------------------------------------------------ field parsers
def _required(value, name: str):
    if value is _MISSING or value is None:
        raise _Bad("report_missing_field", name=name)
    return value


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def _report_id(value) -> str:
    value = _required(value, "report_id")
    if not isinstance(value, str):
        raise _Bad("report_id_not_text", value=_show(value))
    if not 1 <= len(value) <= MAX_REPORT_ID or not value.isprintable():
        raise _Bad("report_id_length", most=MAX_REPORT_ID)
    return value


def _member_id(value) -> int:
    value = _required(value, "member_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BIGINT:
        raise _Bad("report_member_id", value=_show(value))
    return value


def _number(value, name: str) -> float:
    value = _required(value, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad("report_not_a_number", name=name, value=_show(value))
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise _Bad("report_not_finite", name=name, value=_show(value))
    return number


def _crs(value) -> crsmod.Crs:
    if value is _MISSING or value is None:
        return crsmod.WGS84
    try:
        return crsmod.parse_crs(value)
    except crsmod.CrsError as exc:
        raise _Bad.worded(exc.code, exc.message, exc.message_en) from None


_PLUS_AS_SPACE = re.compile(r"(T\d[\d:.,]*) (\d{2}(?::?\d{2})?)$")


def parse_time(value, name: str) -> dt.datetime:
    """An ISO 8601 date and time WITH a UTC offset ("2025-06-01T08:30:00+08:00", "…Z").

    A naive time is refused (code naive_time): a phone's local time is ambiguous on a
    server. A "+" a query string turned into a space is put back.
    """
    if not isinstance(value, str):
        raise _Bad("time_not_text", name=name, value=_show(value))
    text = _PLUS_AS_SPACE.sub(r"\1+\2", value.strip())
    try:
        when = dt.datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        when = None
    if when is None:
        raise _Bad("time_unreadable", name=name, value=_show(value))
    if when.utcoffset() is None:
        raise _Bad("naive_time", name=name, value=_show(value))
    return when


def _reported_at(value, now: dt.datetime) -> dt.datetime:
    when = parse_time(_required(value, "reported_at"), "reported_at")
    if when > now + FUTURE_SLACK:
        raise _Bad("future_time", value=value)
    return when


def _accuracy(value) -> float | None:
    if value is _MISSING or value is None:
        return None
    number = _number(value, "accuracy_m")
    if not 0 <= number < MAX_ACCURACY_M:
        raise _Bad("report_accuracy", most=f"{MAX_ACCURACY_M:.0f}", value=_show(value))
    return number


def _source(value) -> str:
    if value is _MISSING or value is None:
        return DEFAULT_SOURCE
    if not isinstance(value, str) or value not in SOURCES:
        raise _Bad(
            "unknown_source",
            value=_show(value),
            options_zh=MESSAGES["choice_separator"].zh.join(SOURCES),
            options=MESSAGES["choice_separator"].en.join(SOURCES),
        )
    return value


# ------------------------------------------------------------------ parsing a batch
_NOT_KEPT = {"kept": False}  # a refused batch says so: the phone keeps and resends it


def report_list(body) -> list:
    """The body's `reports`, refused (400) unless a JSON object with 1 to 1000 of them."""
    if not isinstance(body, dict) or "reports" not in body:
        raise BadInput("reports_not_an_object", extra=_NOT_KEPT)
    reports = body["reports"]
    if not isinstance(reports, list):
        raise BadInput("reports_not_an_array", extra=_NOT_KEPT)
    if not reports:
        raise BadInput("no_reports", extra=_NOT_KEPT)
    if len(reports) > MAX_REPORTS:
        raise BadInput(
            "too_many_reports",
            most=MAX_REPORTS,
            got=len(reports),
            extra={**_NOT_KEPT, "max_reports": MAX_REPORTS},
        )
    return reports


def _problem(i: int, rid: str | None, name: str | None, bad: _Bad) -> ReportError:
    key = "report_problem_with_id" if rid else "report_problem"
    _code, zh, en = words(key, n=i + 1, i=i, rid=rid, problem_zh=bad.zh, problem_en=bad.en)
    return ReportError(i, rid, name, bad.code, zh, en)


def parse_batch(body, *, now: dt.datetime | None = None) -> Batch:
    """Check every report of the body; body-level problems are refused at once (400).

    Per-report problems are collected in the returned batch (the members' existence is
    checked by `store`, which refuses the batch when anything is wrong).
    """
    raw_reports = report_list(body)
    now = now or dt.datetime.now(dt.UTC)
    batch = Batch(size=len(raw_reports))
    # reports whose fields are fine, waiting for the coordinate check, grouped by CRS
    pending: dict[crsmod.Crs, list[tuple]] = defaultdict(list)
    parsers = (
        ("report_id", _report_id),
        ("member_id", _member_id),
        ("lon", lambda v: _number(v, "lon")),
        ("lat", lambda v: _number(v, "lat")),
        ("crs", _crs),
        ("reported_at", lambda v: _reported_at(v, now)),
        ("accuracy_m", _accuracy),
        ("source", _source),
    )
    for i, raw in enumerate(raw_reports):
        if not isinstance(raw, dict):
            batch.errors.append(
                _problem(
                    i,
                    None,
                    None,
                    _Bad("report_not_an_object", value=_show(raw)),
                )
            )
            continue
        get = raw.get
        shown_rid = get("report_id") if isinstance(get("report_id"), str) else None
        if shown_rid is not None and len(shown_rid) > MAX_REPORT_ID:
            shown_rid = shown_rid[:MAX_REPORT_ID]
        values = {}
        bad_fields = 0
        for name, parse in parsers:
            try:
                values[name] = parse(get(name, _MISSING))
            except _Bad as bad:
                batch.errors.append(_problem(i, shown_rid, name, bad))
                bad_fields += 1
        if "member_id" in values:
            batch.member_refs.append((i, shown_rid, values["member_id"]))
        if bad_fields == 0:
            pending[values["crs"]].append((i, values))
        elif "lon" in values and "lat" in values and "crs" in values:
            # still say what is wrong with the coordinates
            pending[values["crs"]].append((i, None))
    for in_crs, group in pending.items():
        _convert_group(batch, in_crs, group, raw_reports)
    batch.errors.sort(key=_error_order)
    batch.reports.sort(key=lambda r: r.index)
    return batch


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    (lon0, lon1), (lat0, lat1) = crsmod.CHINA_LON_RANGE, crsmod.CHINA_LAT_RANGE
    return (lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)


def _coordinate_problem(i: int, raw: dict, x: float, y: float) -> ReportError:
    try:
        crsmod.check_lonlat_in_china(x, y)
    except crsmod.CoordinateError as exc:
        bad = _Bad.worded(exc.code, exc.message, exc.message_en)
    else:  # pragma: no cover - the mask and the check agree
        bad = _Bad("report_outside_china")
    rid = raw.get("report_id") if isinstance(raw.get("report_id"), str) else None
    return _problem(i, rid and rid[:MAX_REPORT_ID], "lon,lat", bad)


def _convert_group(batch: Batch, in_crs: crsmod.Crs, group: list[tuple], raws: list) -> None:
    """Check and convert the coordinates of reports in one CRS, all at once."""
    idx = [i for i, _ in group]
    x = np.fromiter((raws[i]["lon"] for i in idx), dtype=np.float64, count=len(idx))
    y = np.fromiter((raws[i]["lat"] for i in idx), dtype=np.float64, count=len(idx))
    ok = np.ones(len(idx), dtype=bool)
    if in_crs.is_geographic:
        # swapped or outside China, said in the input's own terms (as mapsvc.http.params.point)
        ok = _in_china(x, y)
        for k in np.flatnonzero(~ok):
            batch.errors.append(_coordinate_problem(idx[k], raws[idx[k]], x[k], y[k]))
    lon = np.full(len(idx), np.nan)
    lat = np.full(len(idx), np.nan)
    if ok.any():
        lon[ok], lat[ok] = crsmod.to_wgs84(x[ok], y[ok], in_crs)
        inside = _in_china(lon, lat)
        for k in np.flatnonzero(ok & ~inside):
            batch.errors.append(_coordinate_problem(idx[k], raws[idx[k]], lon[k], lat[k]))
        ok &= inside
    for k in np.flatnonzero(ok):
        values = group[k][1]
        if values is None:
            continue
        batch.reports.append(
            Report(
                index=group[k][0],
                report_id=values["report_id"],
                member_id=values["member_id"],
                lon=float(lon[k]),
                lat=float(lat[k]),
                reported_at=values["reported_at"],
                source=values["source"],
                input_crs=in_crs.name,
                accuracy_m=values["accuracy_m"],
            )
        )


# ------------------------------------------------------------------ storing a batch
def _unknown_members(cur, batch: Batch) -> list[ReportError]:
    ids = sorted({m for _, _, m in batch.member_refs})
    if not ids:
        return []
    execute(cur, query("position_members"), {"member_ids": ids})
    known = {row["id"] for row in cur.fetchall()}
    return [
        _problem(
            i,
            rid,
            "member_id",
            _Bad("report_unknown_member", id=m),
        )
        for i, rid, m in batch.member_refs
        if m not in known
    ]


_COMPARED = ("member_id", "lon", "lat", "reported_at", "source", "input_crs", "accuracy_m")


def _differences(new: Report, old) -> list[str]:
    """Fields in which `new` differs from `old` (a Report or a stored row as a dict)."""
    get = (lambda k: old[k]) if isinstance(old, dict) else (lambda k: getattr(old, k))
    out = []
    for name in _COMPARED:
        a, b = getattr(new, name), get(name)
        if name in ("lon", "lat"):
            same = abs(a - b) <= 1e-9
        elif name == "accuracy_m":  # stored as real: compare at its precision
            same = (a is None) == (b is None) and (a is None or math.isclose(a, b, rel_tol=1e-6))
        else:
            same = a == b
        if not same:
            out.append(name)
    return out


def _store(cur, batch: Batch) -> dict:
    errors = batch.errors + _unknown_members(cur, batch)
    if errors:
        errors.sort(key=_error_order)
        raise InvalidReports(errors, batch.size)
    first: dict[str, Report] = {}
    conflicts: list[dict] = []
    for r in batch.reports:
        seen = first.setdefault(r.report_id, r)
        if seen is not r and (fields := _differences(r, seen)):
            conflicts.append({"index": r.index, "report_id": r.report_id, "fields": fields})
    unique = list(first.values())
    execute(
        cur,
        query("position_insert"),
        {
            "report_ids": [r.report_id for r in unique],
            "member_ids": [r.member_id for r in unique],
            "lons": [r.lon for r in unique],
            "lats": [r.lat for r in unique],
            "reported_at": [r.reported_at for r in unique],
            "sources": [r.source for r in unique],
            "input_crs": [r.input_crs for r in unique],
            "accuracy_m": [r.accuracy_m for r in unique],
        },
    )
    inserted = {row["report_id"] for row in cur.fetchall()}
    resent = [r for r in unique if r.report_id not in inserted]
    if resent:
        execute(cur, query("position_stored"), {"report_ids": [r.report_id for r in resent]})
        stored = {row["report_id"]: row for row in cur.fetchall()}
        for r in resent:
            old = stored.get(r.report_id)
            if old is not None and (fields := _differences(r, old)):
                conflicts.append({"index": r.index, "report_id": r.report_id, "fields": fields})
    conflicts.sort(key=lambda c: c["index"])
    return {
        "stored": len(inserted),
        "duplicates": batch.size - len(inserted),
        "conflicts": conflicts,
        "kept": True,
    }


def store(url: str, batch: Batch) -> dict:
    """Write a parsed batch in one transaction, or raise InvalidReports and write nothing.

    Returns {"stored", "duplicates", "conflicts", "kept": True}; committed on return, so
    the answer acknowledges a durable write.
    """
    for attempt in range(_RETRIES):
        try:
            with db.cursor(url) as cur:
                return _store(cur, batch)
        except (psycopg2.errors.DeadlockDetected, psycopg2.errors.ForeignKeyViolation):
            # Deadlock: two batches moved the same members in another order. Foreign key:
            # a member deleted since the check; the next round names it as unknown.
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# ------------------------------------------------------------------ reading history
def member_exists(cur, member_id: int) -> bool:
    """Whether there is a member with this id."""
    execute(cur, query("position_members"), {"member_ids": [member_id]})
    return cur.fetchone() is not None


def history(
    cur,
    member_id: int,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict], int] | None:
    """A member's reports newest first (lon/lat in WGS84) and their total; None: no member."""
    if not member_exists(cur, member_id):
        return None
    args = {"member_id": member_id, "since": since, "until": until}
    execute(cur, query("position_history_count"), args)
    total = cur.fetchone()["total"]
    execute(cur, query("position_history"), {**args, "limit": limit, "offset": offset})
    return cur.fetchall(), total


def time_param(args, name: str) -> dt.datetime | None:
    """An optional query parameter holding an ISO 8601 time with offset; 400 otherwise."""
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return parse_time(raw, name)
    except _Bad as bad:
        raise BadInput(
            "time_parameter", as_code=bad.code, problem_zh=bad.zh, problem_en=bad.en
        ) from None
