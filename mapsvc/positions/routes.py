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
from mapsvc.infra import db
from mapsvc.http import params
from mapsvc.positions import service as positions
from mapsvc.http.errors import ApiError, bad_request

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
    body = {
        "code": "database_unavailable",
        "message": "数据库暂时不可用，请稍后重发（同一 report_id 重发不会重复保存）",
        "message_en": "the database is unavailable for now; resend later "
        "(a resent report_id is never stored twice)",
    }
    return jsonify(body), 503, {"Retry-After": "2"}


def _json_body():
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(
            413,
            "body_too_large",
            f"请求体不能超过 {MAX_BODY_BYTES // 1024 // 1024} MB；本批次未保存任何记录",
            f"the body must not exceed {MAX_BODY_BYTES // 1024 // 1024} MB; nothing was stored",
            kept=False,
        )
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError):
        raise bad_request(
            "invalid_json",
            "请求体不是有效的 JSON；本批次未保存任何记录",
            "the body is not valid JSON; nothing was stored",
            kept=False,
        ) from None


def _invalid(exc: positions.InvalidReports) -> ApiError:
    """The 400 for a batch with bad reports: every problem, and that nothing was kept."""
    errors = exc.errors
    first = errors[0]
    more_zh = f"，共 {len(errors)} 处错误" if len(errors) > 1 else ""
    more_en = f" ({len(errors)} problems in all)" if len(errors) > 1 else ""
    return bad_request(
        "invalid_reports",
        f"{first.message}{more_zh}；本批次未保存任何记录，请改正后重发整批",
        f"{first.message_en}{more_en}; nothing in this batch was stored: "
        "fix it and resend the whole batch",
        kept=False,
        errors=[e.as_dict() for e in errors[: positions.MAX_LISTED_ERRORS]],
        error_count=len(errors),
        report_count=exc.size,
    )


@bp.post("/positions")
def post_positions():
    """Store a batch of position reports, all or nothing; resends are harmless."""
    p = access.require_write("positions")
    batch = positions.parse_batch(_json_body())
    ids = {r.member_id for r in batch.reports}
    if not p.is_admin and ids:
        with db.cursor(_url()) as cur:
            if access.members_outside(cur, p, ids):
                raise ApiError(
                    403,
                    "forbidden",
                    "本批报告中有党员不在您的管辖范围内，整批未保存",
                    "some members of this batch are outside your scope; nothing was stored",
                    kept=False,
                )
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
def member_positions(member_id: str):
    """A member's position history, newest first."""
    args = request.args
    mid = params.integer(
        {"member_id": member_id}, "member_id", default=0, lo=1, hi=positions.MAX_BIGINT
    )
    since = positions.time_param(args, "since")
    until = positions.time_param(args, "until")
    if since and until and since >= until:
        raise bad_request(
            "empty_range",
            "参数 since 应早于 until",
            "parameter since must be earlier than until",
        )
    limit = params.integer(args, "limit", default=100, lo=1, hi=1000)
    offset = params.integer(args, "offset", default=0, lo=0, hi=10**9)
    out = crsmod.parse_crs(args.get("out_crs") or "wgs84")
    with db.cursor(_url()) as cur:
        visible = not access.members_outside(cur, access.principal(), [mid])
        found = positions.history(cur, mid, since=since, until=until, limit=limit, offset=offset)
    if found is None or not visible:  # outside the caller's scope: as if not there
        raise ApiError(
            404, "unknown_member", f"没有 id 为 {mid} 的党员", f"no member with id {mid}"
        )
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
