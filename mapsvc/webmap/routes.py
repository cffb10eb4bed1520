"""/api/v1 endpoints behind the map page: an org's record for the side panel, and branch
counts per street or town (the branches layer at low zoom, an aggregate without people)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from mapsvc import access
from mapsvc.domain.errors import NotFound
from mapsvc.http import params
from mapsvc.http.params import Choice, declare
from mapsvc.infra import db
from mapsvc.webmap import service

bp = Blueprint("map_api", __name__, url_prefix="/api/v1")

BIGINT_MAX = 2**63 - 1


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


@bp.get("/orgs/<int:org_id>/summary")
@declare()
def org_summary_view(org_id: int):
    """Name, code, category, parent chain, secretary, members, mobile members, nearest point."""
    if org_id > BIGINT_MAX:
        org = None
    else:
        with _cursor() as cur:
            org = service.org_summary(cur, org_id)
    if org is None:
        raise NotFound("org_not_found", org_id=org_id)
    return jsonify(org)


@bp.get("/branch-counts")
@access.aggregate
@declare(
    Choice(
        "level",
        "按哪一级区划汇总（市、区县、街道镇） / areas of which level (city, county, street)",
        service.BRANCH_COUNT_LEVELS,
        default="street",
    )
)
def branch_counts():
    """Branches and their members per area of one level (default street or town), as points."""
    with _cursor() as cur:
        rows = service.branch_counts(cur, params.parsed()["level"])
    return jsonify(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": r["code"],
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(r["lon"], 7), round(r["lat"], 7)],
                    },
                    "properties": {
                        "code": r["code"],
                        "name": r["name"],
                        "level": r["level"],
                        "count": r["branches"],
                        "members": r["members"],
                    },
                }
                for r in rows
            ],
        }
    )
