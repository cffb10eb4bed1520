"""/api/v1/members/<id>/…: transfer, mobile, return, history."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify

from geodata.crs import parse_crs
from mapsvc import access
from mapsvc.http.params import declare
from mapsvc.infra import db
from mapsvc.records import members as member_ops
from mapsvc.records import service as records
from mapsvc.records.catalog import MEMBERS, Field
from mapsvc.records.routes import (
    _body,
    _conflict,
    _expected_version,
    _not_found,
    _with_etag,
    invalid,
)
from mapsvc.records.validation import Invalid, Problem, _Bad, _value

bp = Blueprint("members", __name__, url_prefix="/api/v1/members")

_DATE = Field("date", "date", "日期")
_SINCE = Field("since", "date", "外出日期", required=True)
_POINT = Field("destination_point", "point", "流入地位置")
_TEXT = {
    "to_org_code": "转入支部编码",
    "destination": "流入地",
    "inflow_org_code": "流入地党组织编码",
    "note": "备注",
}


def _text(body: dict, name: str, *, required: bool) -> str | None:
    v = body.get(name)
    if v is None or not str(v).strip():
        if required:
            raise invalid([Problem(name, "required", f"{_TEXT[name]}：必填", f"{name}: required")])
        return None
    if "\x00" in str(v):
        raise invalid(
            [
                Problem(
                    name,
                    "nul_character",
                    f"{_TEXT[name]}：含有 NUL（\\0）字符",
                    f"{name}: holds a NUL (\\0) character",
                )
            ]
        )
    return str(v).strip()[:500]


def _typed(field: Field, body: dict, default=None):
    if body.get(field.name) in (None, ""):
        if field.required:
            raise invalid(
                [Problem(field.name, "required", f"{field.zh}：必填", f"{field.name}: required")]
            )
        return default
    try:
        return _value(field, body[field.name], _crs(body))
    except _Bad as bad:
        raise invalid(
            [Problem(field.name, bad.code, f"{field.zh}：{bad.zh}", f"{field.name}: {bad.en}")]
        ) from None


def _crs(body: dict):
    return parse_crs(body.get("crs") or "wgs84")


def _seen() -> dict:
    p = access.principal()
    return {"scope_sql": access.member_filter(p, "t"), "show_phones": p.sees_phones}


def _visible(cur, member_id: int) -> dict:
    """The member as the caller sees them; 404 when outside their scope (or not there)."""
    try:
        return records.get_record(cur, MEMBERS, member_id, **_seen())
    except records.NotFound:
        raise _not_found(MEMBERS, member_id) from None


def _run(member_id: int, action, what: str):
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        current = _visible(cur, member_id)
        access.require_in_scope(
            cur, "members", current, None, f"党员 {member_id}", f"member {member_id}"
        )
        try:
            action(cur)
        except records.NotFound:
            raise _not_found(MEMBERS, member_id) from None
        except records.VersionConflict as exc:
            raise _conflict(MEMBERS, member_id, exc) from None
        except Invalid as exc:
            raise invalid(exc.problems) from None
        record = records.get_record(cur, MEMBERS, member_id, **_seen())
        access.audit(cur, f"member_{what}", f"members:{member_id}", {"version": record["version"]})
    return _with_etag(record)


@bp.post("/<int:member_id>/transfer")
@declare()
def transfer(member_id: int):
    """Transfer the member's relationship to another branch (组织关系转接)."""
    body = _body()
    expected = _expected_version(body, required=True)
    to_org = _text(body, "to_org_code", required=True)
    on = _typed(_DATE, body, dt.date.today())
    note = _text(body, "note", required=False)
    return _run(
        member_id,
        lambda cur: member_ops.transfer(
            cur, member_id, to_org, on=on, note=note, expected_version=expected
        ),
        "transfer",
    )


@bp.post("/<int:member_id>/mobile")
@declare()
def go_mobile(member_id: int):
    """Mark the member mobile (流动党员): destination, since when, inflow org or migrant group."""
    body = _body()
    expected = _expected_version(body, required=True)
    destination = _text(body, "destination", required=True)
    since = _typed(_SINCE, body)
    inflow = _text(body, "inflow_org_code", required=False)
    point = _typed(_POINT, body)
    note = _text(body, "note", required=False)
    return _run(
        member_id,
        lambda cur: member_ops.go_mobile(
            cur,
            member_id,
            destination=destination,
            since=since,
            inflow_org_code=inflow,
            point=point,
            note=note,
            expected_version=expected,
        ),
        "mobile",
    )


@bp.post("/<int:member_id>/return")
@declare()
def come_back(member_id: int):
    """End the member's mobile period."""
    body = _body()
    expected = _expected_version(body, required=True)
    on = _typed(_DATE, body, dt.date.today())
    note = _text(body, "note", required=False)
    return _run(
        member_id,
        lambda cur: member_ops.come_back(
            cur, member_id, on=on, note=note, expected_version=expected
        ),
        "return",
    )


@bp.get("/<int:member_id>/history")
@declare()
def history(member_id: int):
    """The member's transfers and mobile periods, oldest first."""
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        _visible(cur, member_id)
        try:
            events = member_ops.history(cur, member_id)
        except records.NotFound:
            raise _not_found(MEMBERS, member_id) from None
    access.audit_read("read_member_history", f"members:{member_id}", {})
    return jsonify({"member_id": member_id, "events": events})
