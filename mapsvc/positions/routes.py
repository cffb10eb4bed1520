"""/api/v1 position reports: phones send batches, people read a member's history.

POST /api/v1/positions {"reports": [...]} → {"stored", "duplicates", "conflicts", "kept"}
GET  /api/v1/members/<id>/positions → {"items", "total", "member_id", …}, newest first

Routes parse the request, call mapsvc.positions.service and shape the response; they build no SQL.
"""

from __future__ import annotations

import json

import numpy as np
import psycopg2
import sqlalchemy.exc
from flask import Blueprint, current_app, jsonify, request

from geodata import crs as crsmod
from mapsvc import access
from mapsvc.domain.errors import BadInput, DomainError, Forbidden, NotFound, TooLarge, Unavailable
from mapsvc.http import params
from mapsvc.http.errors import headers_of, status_of
from mapsvc.http.params import Crs, Integer, Param, declare
from mapsvc.infra import db
from mapsvc.positions import service as positions

bp = Blueprint("positions", __name__, url_prefix="/api/v1")

MAX_BODY_BYTES = 4 * 1024 * 1024  # 1000 reports with 128-character ids stay far below


def _url() -> str:
    return current_app.config["DATABASE_URL"]


@bp.errorhandler(sqlalchemy.exc.OperationalError)
@bp.errorhandler(psycopg2.OperationalError)
@bp.errorhandler(psycopg2.InterfaceError)
def _database_unavailable(exc: Exception):
    """The database is down or restarting: say so (503), and that resending is harmless."""
    current_app.logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        str(exc).strip().splitlines()[0] if str(exc) else exc,
    )
    return _answer(Unavailable("positions_database_unavailable"))


def _answer(err: DomainError):
    return jsonify(err.as_dict()), status_of(err), headers_of(err)


def _json_body():
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise TooLarge(
            "positions_body_too_large", mb=MAX_BODY_BYTES // 1024 // 1024, extra={"kept": False}
        )
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError):
        raise BadInput("positions_body_not_json", extra={"kept": False}) from None


def _invalid(exc: positions.InvalidReports) -> BadInput:
    """The 400 for a batch with bad reports: every problem, and that nothing was kept."""
    errors = exc.errors
    first = errors[0]
    return BadInput(
        "positions_invalid_reports" if len(errors) > 1 else "positions_invalid_report",
        first=first.message,
        first_en=first.message_en,
        count=len(errors),
        extra={
            "kept": False,
            "errors": [e.as_dict() for e in errors[: positions.MAX_LISTED_ERRORS]],
            "error_count": len(errors),
            "report_count": exc.size,
        },
    )


def _time(name: str, description: str) -> Param:
    return Param(
        name,
        description,
        {"type": "string", "format": "date-time"},
        lambda args: positions.time_param(args, name),
    )


HISTORY = (
    _time("since", "起：ISO 8601 时间（带时区） / from, ISO 8601 with offset"),
    _time("until", "止：ISO 8601 时间（带时区） / until, ISO 8601 with offset"),
    Integer("limit", "条数 / how many", default=100, lo=1, hi=1000),
    Integer("offset", "偏移 / skip this many", default=0, lo=0, hi=10**9),
    Crs("out_crs", "输出坐标系（默认 wgs84） / output coordinate system (default wgs84)"),
)


@bp.post("/positions")
@declare()
def post_positions():
    """Store a batch of position reports, all or nothing; resends are harmless."""
    p = access.require_write("positions")
    batch = positions.parse_batch(_json_body())
    ids = {r.member_id for r in batch.reports}
    if not p.is_admin and ids:
        with db.cursor(_url()) as cur:
            if access.members_outside(cur, p, ids):
                raise Forbidden("positions_outside_scope", extra={"kept": False})
    try:
        result = positions.store(_url(), batch)
    except positions.InvalidReports as exc:
        raise _invalid(exc) from None
    if result.get("stored"):
        with db.cursor(_url()) as cur:
            access.audit(
                cur,
                "report_positions",
                "member_positions",
                {"stored": result["stored"], "members": len(ids)},
            )
    return jsonify(result)


@bp.get("/members/<member_id>/positions")
@declare(*HISTORY)
def member_positions(member_id: str):
    """A member's position history, newest first."""
    p = params.parsed()
    mid = params.integer(
        {"member_id": member_id}, "member_id", default=0, lo=1, hi=positions.MAX_BIGINT
    )
    since, until, limit, offset = p["since"], p["until"], p["limit"], p["offset"]
    if since and until and since >= until:
        raise BadInput("positions_empty_range")
    out = p["out_crs"]
    with db.cursor(_url()) as cur:
        visible = not access.members_outside(cur, access.principal(), [mid])
        found = positions.history(cur, mid, since=since, until=until, limit=limit, offset=offset)
    if found is None or not visible:  # outside the caller's scope: as if not there
        raise NotFound("positions_unknown_member", id=mid)
    rows, total = found
    access.audit_read("read_positions", f"members:{mid}", {"count": len(rows)})
    if rows:
        xs, ys = crsmod.from_wgs84(
            np.array([r["lon"] for r in rows]), np.array([r["lat"] for r in rows]), out
        )
    else:
        xs = ys = []
    items = [
        {
            "report_id": r["report_id"],
            "lon": round(float(x), 7),
            "lat": round(float(y), 7),
            "reported_at": r["reported_at"].isoformat(),
            "received_at": r["received_at"].isoformat(),
            "source": r["source"],
            "accuracy_m": r["accuracy_m"],
            "input_crs": r["input_crs"],
        }
        for r, x, y in zip(rows, xs, ys, strict=True)
    ]
    return jsonify(
        {
            "items": items,
            "total": total,
            "member_id": mid,
            "limit": limit,
            "offset": offset,
            "crs": out.name,
        }
    )
