"""/api/v1/stats/*: the aggregate figures behind the leaders' screen (/screen).

Totals only, never a person's data: every view is `@access.aggregate`, so kiosk accounts
(and anyone when KIOSK_OPEN is set) reach them. Routes read the optional street filter and hand over to
mapsvc.stats.service.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from mapsvc import access
from mapsvc.http import params
from mapsvc.http.params import Param, declare
from mapsvc.stats import service as stats

bp = Blueprint("stats", __name__, url_prefix="/api/v1/stats")


def _url() -> str:
    return current_app.config["DATABASE_URL"]


def _wait() -> float:
    return float(current_app.config.get("STATS_WAIT_S", stats.WAIT_S))


def _street_code(args) -> str | None:
    # checked against the district's streets by the service (stats.street_scope)
    raw = args.get("street")
    return raw.strip() if raw and raw.strip() else None


STREET = Param(
    "street",
    "只统计这个街道（镇），12 位区划代码 / only this street or town (12-digit code)",
    {"type": "string", "pattern": stats.STREET_CODE.pattern},
    _street_code,
)


def _street() -> str | None:
    return params.parsed()["street"]


@bp.get("/overview")
@access.aggregate
@declare(STREET)
def overview():
    """Headline figures: members, orgs, service points, 15-minute circle and org coverage."""
    return jsonify(stats.overview(_url(), _street(), _wait()))


@bp.get("/streets")
@access.aggregate
@declare(STREET)
def streets():
    """Every street and town with members, orgs, service points and coverage, ranked."""
    return jsonify(stats.streets(_url(), _street(), _wait()))


@bp.get("/flows")
@access.aggregate
@declare(STREET)
def flows():
    """Destination cities of the mobile members going out, with counts and coordinates."""
    return jsonify(stats.flows(_url(), _street(), _wait()))


@bp.get("/map")
@access.aggregate
@declare()
def map_layers():
    """The screen's map: boundaries, member density, branch cells, service points."""
    return jsonify(stats.map_layers(_url(), None, _wait()))
