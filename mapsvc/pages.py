"""Pages for people: server-rendered shells whose data comes from /api/v1."""

from __future__ import annotations

from flask import Blueprint, render_template

from mapsvc import access

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The landing page: what this service offers."""
    return render_template("index.html")


@bp.get("/nearest")
def nearest_page():
    """The grid worker's phone page: where am I, what is nearest, how do I get there."""
    return render_template("nearest.html")


@bp.get("/plan")
def plan_page():
    """The planner's desk page: coverage gaps, site suggestions, organisation coverage."""
    return render_template("plan.html")


@bp.get("/screen")
@access.aggregate
def screen_page():
    """The leaders' wall screen (大屏): aggregates of the district, live."""
    return render_template("screen.html")
