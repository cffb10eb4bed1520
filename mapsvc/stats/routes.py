"""/api/v1/stats/*: the aggregate figures behind the leaders' screen (/screen) and the
drill-down, for any area at any level.

Totals only, never a person's data: every view is `@access.aggregate`, so every logged-in
account, kiosks included (and anyone when KIOSK_OPEN is set), reads the figures of any area.
Without `area` the answer is about the caller's own area: the area of their scope org, or the
root area for admins and accounts without one. Routes read the area and hand over to
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


def _code(name: str):
    def read(args) -> str | None:
        # checked against the areas held by the service (stats.area, stats.street_area)
        raw = args.get(name)
        return raw.strip() if raw and raw.strip() else None

    return read


def _area_param(name: str, description: str) -> Param:
    return Param(name, description, {"type": "string", "pattern": r"^[1-9][0-9]{11}$"}, _code(name))


AREA = _area_param(
    "area",
    "区划代码（12 位，任意一级）；缺省为调用者自己的区划 / an area's 12-digit code, any level; "
    "default: the caller's own area",
)
PARENT = _area_param(
    "parent",
    "上级区划代码（12 位）；列出其下一级区划，缺省为调用者自己的区划 / the 12-digit code of the "
    "area whose children are listed; default: the caller's own area",
)
STREET = Param(
    "street",
    "只统计这个街道（镇），12 位区划代码（area 的旧名，仅限街道、镇乡） / only this street or "
    "town (12-digit code; the former name of area, streets and towns only)",
    {"type": "string", "pattern": stats.STREET_CODE.pattern},
    _code("street"),
)


def _own_area() -> str | None:
    """The caller's own area: their scope org's area (None: the root area)."""
    prefix = access.principal().scope_area
    return prefix.ljust(12, "0") if prefix else None


def _call(view, name: str = "area"):
    p = params.parsed()
    street = p.get("street")
    code = p.get(name)
    if code is None and street is None:
        code = _own_area()
    return jsonify(view(_url(), code, _wait(), street=None if p.get(name) else street))


@bp.get("/overview")
@access.aggregate
@declare(AREA, STREET)
def overview():
    """Headline figures of an area: members, orgs, service points, coverage; what is missing."""
    return _call(stats.overview)


@bp.get("/areas")
@access.aggregate
@declare(PARENT)
def areas():
    """The areas one level below an area, with their figures, ranked by members."""
    return _call(stats.areas, "parent")


@bp.get("/streets")
@access.aggregate
@declare(AREA, STREET)
def streets():
    """Every street and town of an area with members, orgs, service points and coverage, ranked."""
    return _call(stats.streets)


@bp.get("/flows")
@access.aggregate
@declare(AREA, STREET)
def flows():
    """Destinations of an area's mobile members going out of it, with counts and coordinates."""
    return _call(stats.flows)


@bp.get("/map")
@access.aggregate
@declare(AREA, STREET)
def map_layers():
    """The map of an area: its children's boundaries, density, branch cells, service points."""
    return _call(stats.map_layers)
