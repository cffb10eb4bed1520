"""/api/v1/coverage and /api/v1/org-coverage: coverage gaps and site suggestions for planners.

Routes parse and check the request, call mapsvc.coverage.service, and shape JSON or GeoJSON.
"""

from __future__ import annotations

import dataclasses
import io
import math

from flask import Blueprint, current_app, jsonify, request, send_file

from geodata import crs as crsmod
from mapsvc.coverage import service as cov
from mapsvc.domain.errors import BadInput
from mapsvc.http import params
from mapsvc.http.params import Choice, Format, Integer, Number, Param, declare
from mapsvc.infra import db

bp = Blueprint("coverage", __name__, url_prefix="/api/v1")

FORMATS = {"json": "JSON", "geojson": "GeoJSON"}
MAX_CANDIDATES = 5_000
PLAN_MAX_SITES = 50  # k, the new service points one plan suggests
PLAN_KEYS = {"k", "radius_m", "minutes", "candidates", "keep_existing", "crs"}
MAX_ORG_DISTANCE_M = 200_000.0

_RADIUS = Number(
    "radius_m", "覆盖半径（米），覆盖所有级别 / reach in metres, for every level", positive=True
)
# the reach of every coverage view; make_reach checks radius_m against the bounds shown here
REACH = (
    Choice("facility", "设施类型 / facility", cov.FACILITIES, default="service_points"),
    Choice("mode", "直线或步行 / straight or walking", cov.MODES, default="distance"),
    dataclasses.replace(
        _RADIUS, schema={**_RADIUS.schema, "minimum": cov.MIN_REACH_M, "maximum": cov.MAX_RADIUS_M}
    ),
    Number(
        "minutes",
        "步行分钟（mode=walk，75 米/分钟，至少走 1 米） / walking minutes (mode=walk)",
        positive=True,
    ),
)


def _org_distance(args) -> float | None:
    distance = params.positive(args, "distance_m")
    if distance is not None and not cov.MIN_REACH_M <= distance <= MAX_ORG_DISTANCE_M:
        raise BadInput(
            "org_distance_out_of_range", lo=cov.MIN_REACH_M, hi=MAX_ORG_DISTANCE_M, raw=distance
        )
    return distance


ORG_DISTANCE = Param(
    "distance_m",
    "流动党员聚集距离（米） / how close mobile members count as together (metres)",
    {"type": "number", "minimum": cov.MIN_REACH_M, "maximum": MAX_ORG_DISTANCE_M},
    _org_distance,
)


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


AREA = Param(
    "area",
    "只看这个区划（12 位代码，任意一级）内的单元 / only units inside this area (12-digit code, "
    "any level)",
    {"type": "string", "pattern": r"^[1-9][0-9]{11}$"},
    lambda args: (args.get("area") or "").strip() or None,
)


def _area(cur) -> str | None:
    return cov.area_prefix(cur, params.parsed()["area"])


def _reach(cur) -> cov.Reach:
    p = params.parsed()
    return cov.make_reach(cur, p["mode"], p["radius_m"], p["minutes"])


def _features(units: list[dict], geometries: dict[str, dict], layer: str) -> list[dict]:
    return [
        {
            "type": "Feature",
            "id": u["code"],
            "geometry": geometries.get(u["code"]),
            "properties": {**u, "layer": layer},
        }
        for u in units
    ]


@bp.get("/coverage")
@declare(Choice("by", "统计单元 / unit", cov.UNITS, default="grid"), Format(FORMATS), *REACH, AREA)
def coverage():
    """Covered and uncovered grids, communities or streets, with population and members."""
    by, fmt = params.parsed()["by"], params.parsed()["f"]
    with _cursor() as cur:
        prefix = _area(cur)
        reach = _reach(cur)
        result = cov.coverage(cur, reach, by, prefix)
        if fmt == "geojson":
            geoms = cov.unit_geometries(cur, by)
    if fmt == "json":
        return jsonify(result)
    return jsonify(
        {
            "type": "FeatureCollection",
            "name": f"coverage_{by}",
            "features": _features(result["units"], geoms, f"coverage_{by}"),
            "totals": result["totals"],
            "reach": result["reach"],
        }
    )


@bp.get("/coverage/gaps")
@declare(
    Format(FORMATS),
    Integer("limit", "条数 / how many", default=50, lo=1, hi=10_000),
    *REACH,
    AREA,
)
def coverage_gaps():
    """Uncovered grids and communities ranked by uncovered population, then members."""
    fmt, limit = params.parsed()["f"], params.parsed()["limit"]
    with _cursor() as cur:
        prefix = _area(cur)
        reach = _reach(cur)
        result = cov.gaps(cur, reach, limit, prefix)
        if fmt == "geojson":
            grid_geoms = cov.unit_geometries(cur, "grid")
            area_geoms = cov.unit_geometries(cur, "community")
    if fmt == "json":
        return jsonify(result)
    features = _features(result["grids"], grid_geoms, "gap_grids") + _features(
        result["communities"], area_geoms, "gap_communities"
    )
    return jsonify(
        {
            "type": "FeatureCollection",
            "name": "gaps",
            "features": features,
            "reach": result["reach"],
        }
    )


@bp.get("/coverage/service-areas")
@declare(*REACH)
def coverage_service_areas():
    """The map layer service_areas: service circles, or walking isochrones with mode=walk."""
    with _cursor() as cur:
        reach = _reach(cur)
        features = cov.service_areas(cur, reach)
    return jsonify(
        {
            "type": "FeatureCollection",
            "name": "service_areas",
            "features": features,
            "reach": reach.describe(),
        }
    )


@bp.get("/coverage/export.xlsx")
@declare(*REACH, AREA)
def coverage_export():
    """The analysis as a workbook: totals, grids, communities, streets and gaps."""
    from openpyxl import Workbook

    with _cursor() as cur:
        prefix = _area(cur)
        reach = _reach(cur)
        rows = cov.in_area(cov.grid_rows(cur, reach), prefix)
        sheets = {by: cov.summarise(cur, rows, by) for by in ("grid", "community", "street")}
        gap = cov.gaps(cur, reach, 10_000, prefix)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总 totals"
    ws.append(["单位 by", *sheets["grid"]["totals"].keys()])
    for by, s in sheets.items():
        ws.append([by, *s["totals"].values()])
    ws.append([])
    for k, v in reach.describe().items():
        ws.append([k, str(v)])
    titles = {"grid": "网格 grids", "community": "社区 communities", "street": "街道 streets"}
    for by, s in sheets.items():
        _sheet(wb, titles[by], s["units"])
    _sheet(wb, "缺口网格 gap grids", gap["grids"])
    _sheet(wb, "缺口社区 gap communities", gap["communities"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return send_file(
        buf,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="coverage.xlsx",
    )


def _sheet(wb, title: str, units: list[dict]) -> None:
    ws = wb.create_sheet(title)
    if not units:
        return
    keys = list(units[0].keys())
    ws.append(keys)
    for u in units:
        ws.append([u[k] if not isinstance(u[k], list | dict) else str(u[k]) for k in keys])


@bp.post("/coverage/plan")
@declare()
def coverage_plan():
    """k new service points covering the most population (maximal covering location)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("plan_body_not_object")
    unknown = sorted(set(body) - PLAN_KEYS)
    if unknown:
        raise BadInput("plan_unknown_fields", names_zh="、".join(unknown), names=", ".join(unknown))
    k = _int_field(body, "k", lo=1, hi=PLAN_MAX_SITES)
    radius = _num_field(body, "radius_m")
    minutes = _num_field(body, "minutes")
    if radius is None and minutes is None:
        radius = cov.LEVEL_REACH_M["community_centre"]
    keep = body.get("keep_existing", True)
    if not isinstance(keep, bool):
        raise BadInput("plan_keep_existing_not_boolean")
    candidates = _candidates(body)
    with _cursor() as cur:
        reach = cov.make_reach(cur, "walk" if minutes is not None else "distance", radius, minutes)
        result = cov.plan(cur, k=k, reach=reach, candidates=candidates, keep_existing=keep)
    return jsonify(result)


def _int_field(body: dict, name: str, *, lo: int, hi: int) -> int:
    value = body.get(name)
    if value is None:
        raise BadInput("plan_field_missing", name=name)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadInput("plan_integer_out_of_range", name=name, lo=lo, hi=hi, value=value)
    return value


def _num_field(body: dict, name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput("plan_not_a_number", name=name, value=value)
    if value <= 0:
        raise BadInput("plan_not_positive", name=name, value=value)
    return float(value)


def _candidates(body: dict):
    raw = body.get("candidates", "grid_centroids")
    if raw == "grid_centroids":
        return raw
    if not isinstance(raw, list) or not raw:
        raise BadInput("plan_bad_candidates")
    if len(raw) > MAX_CANDIDATES:
        raise BadInput("plan_too_many_candidates", max=MAX_CANDIDATES, n=len(raw))
    crs_raw = body.get("crs") or "wgs84"
    if not isinstance(crs_raw, str):
        raise BadInput("plan_crs_not_text")
    in_crs = crsmod.parse_crs(crs_raw)
    points = []
    for i, p in enumerate(raw):
        if isinstance(p, dict):
            p = [p.get("lon"), p.get("lat")]
        ok = (
            isinstance(p, list | tuple)
            and len(p) == 2
            and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in p
            )
        )
        if not ok:
            raise BadInput("plan_bad_candidate", n=i + 1, raw=raw[i])
        x, y = float(p[0]), float(p[1])
        if in_crs.is_geographic:
            crsmod.check_lonlat_in_china(x, y)
        lon, lat = crsmod.to_wgs84(x, y, in_crs)
        crsmod.check_lonlat_in_china(lon, lat)
        points.append((float(lon), float(lat)))
    return points


@bp.get("/org-coverage")
@declare(
    ORG_DISTANCE,
    Integer(
        "min_full",
        "正式党员数下限 / fewest full members of an org",
        default=cov.MIN_FULL_MEMBERS,
        lo=1,
        hi=100,
    ),
    Integer(
        "max_members",
        "支部人数上限 / most members of a branch",
        default=cov.MAX_BRANCH_MEMBERS,
        lo=1,
        hi=10_000,
    ),
    AREA,
)
def org_coverage():
    """Organisation coverage (两个覆盖): places without an org, branch sizes, migrant groups."""
    p = params.parsed()
    with _cursor() as cur:
        result = cov.org_coverage(
            cur,
            min_full=p["min_full"],
            max_members=p["max_members"],
            distance_m=p["distance_m"] or cov.MIGRANT_DISTANCE_M,
            prefix=_area(cur),
        )
    return jsonify(result)
