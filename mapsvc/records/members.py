"""Changes to a member's relationship, each recorded in member_events: transfer to another
org (组织关系转接), going mobile (outflow org keeps the relationship; inflow org or migrant
group and destination set) and coming back.
"""

from __future__ import annotations

import datetime as dt
import json

import shapely

from mapsvc.records import service as records
from mapsvc.records.validation import Invalid, Problem


def _member(cur, member_id: int, expected_version: int | None) -> dict:
    """The member's row, locked; NotFound, or VersionConflict when expected_version is stale."""
    cur.execute(
        "SELECT id, org_id, is_mobile, mobile_destination, mobile_since, version "
        "FROM members WHERE id = %s FOR UPDATE",
        (member_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise records.NotFound(member_id)
    if expected_version is not None and row["version"] != expected_version:
        raise records.VersionConflict(row["version"])
    return row


def _org(cur, field: str, code: str, *, branch: bool) -> dict:
    """The active org with this code (branch-level if asked); Invalid otherwise."""
    cur.execute(
        "SELECT id, code, level, is_branch_level, status FROM party_orgs WHERE code = %s", (code,)
    )
    org = cur.fetchone()
    if org is None:
        raise Invalid([Problem.of(field, "unknown_reference", code=code)])
    if org["status"] != "active":
        raise Invalid([Problem.of(field, "dissolved_reference", code=code)])
    if branch and not org["is_branch_level"]:
        raise Invalid([Problem.of(field, "transfer_org_not_branch", code=code)])
    return org


def _event(cur, member_id, kind, on, from_org, to_org, details, note) -> None:
    cur.execute(
        """INSERT INTO member_events (member_id, kind, happened_on, from_org_id,
                       to_org_id, details, note) VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (member_id, kind, on, from_org, to_org, json.dumps(details, ensure_ascii=False), note),
    )


def transfer(
    cur,
    member_id: int,
    to_org_code: str,
    *,
    on: dt.date,
    note: str | None,
    expected_version: int | None,
) -> None:
    """Move the member's relationship to another branch; a mobile member's outflow org follows."""
    m = _member(cur, member_id, expected_version)
    org = _org(cur, "to_org_code", to_org_code, branch=True)
    if org["id"] == m["org_id"]:
        raise Invalid([Problem.of("to_org_code", "same_org", code=to_org_code)])
    cur.execute(
        """UPDATE members SET org_id = %(org)s,
                       outflow_org_id = CASE WHEN is_mobile THEN %(org)s END,
                       version = version + 1, updated_at = now()
                   WHERE id = %(id)s""",
        {"org": org["id"], "id": member_id},
    )
    _event(cur, member_id, "transferred", on, m["org_id"], org["id"], {}, note)


def go_mobile(
    cur,
    member_id: int,
    *,
    destination: str,
    since: dt.date,
    inflow_org_code: str | None,
    point: shapely.Point | None,
    note: str | None,
    expected_version: int | None,
) -> None:
    """Mark the member mobile: their org stays the outflow org."""
    m = _member(cur, member_id, expected_version)
    if m["is_mobile"]:
        raise Invalid([Problem.of(None, "already_mobile", destination=m["mobile_destination"])])
    inflow = (
        _org(cur, "inflow_org_code", inflow_org_code, branch=False) if inflow_org_code else None
    )
    cur.execute(
        """UPDATE members SET is_mobile = true, outflow_org_id = org_id,
                       inflow_org_id = %s, mobile_destination = %s,
                       destination_geom = ST_GeomFromWKB(%s, 4326), mobile_since = %s,
                       version = version + 1, updated_at = now()
                   WHERE id = %s""",
        (
            inflow["id"] if inflow else None,
            destination,
            shapely.to_wkb(point) if point is not None else None,
            since,
            member_id,
        ),
    )
    _event(
        cur,
        member_id,
        "went_mobile",
        since,
        m["org_id"],
        inflow["id"] if inflow else None,
        {"destination": destination},
        note,
    )


def come_back(
    cur, member_id: int, *, on: dt.date, note: str | None, expected_version: int | None
) -> None:
    """End the member's mobile period."""
    m = _member(cur, member_id, expected_version)
    if not m["is_mobile"]:
        raise Invalid([Problem.of(None, "not_mobile")])
    cur.execute(
        """UPDATE members SET is_mobile = false, outflow_org_id = NULL,
                       inflow_org_id = NULL, mobile_destination = NULL, destination_geom = NULL,
                       mobile_since = NULL, version = version + 1, updated_at = now()
                   WHERE id = %s""",
        (member_id,),
    )
    _event(
        cur,
        member_id,
        "returned",
        on,
        None,
        m["org_id"],
        {
            "destination": m["mobile_destination"],
            "since": m["mobile_since"].isoformat() if m["mobile_since"] else None,
        },
        note,
    )


def history(cur, member_id: int) -> list[dict]:
    """The member's recorded changes, oldest first."""
    cur.execute("SELECT 1 FROM members WHERE id = %s", (member_id,))
    if cur.fetchone() is None:
        raise records.NotFound(member_id)
    cur.execute(
        """
        SELECT e.kind, to_char(e.happened_on, 'YYYY-MM-DD') AS happened_on,
               f.code AS from_org_code, t.code AS to_org_code, e.details, e.note,
               to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                   AS recorded_at
        FROM member_events e
        LEFT JOIN party_orgs f ON f.id = e.from_org_id
        LEFT JOIN party_orgs t ON t.id = e.to_org_id
        WHERE e.member_id = %s ORDER BY e.recorded_at, e.id""",
        (member_id,),
    )
    return [dict(r) for r in cur.fetchall()]
