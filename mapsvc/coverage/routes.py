"""/api/v1/coverage and /api/v1/org-coverage: coverage gaps and site suggestions for planners.

Routes parse and check the request, call mapsvc.coverage.service, and shape JSON or GeoJSON.
"""

from __future__ import annotations

import io
import math

from flask import Blueprint, current_app, jsonify, request, send_file

from geodata import crs as crsmod
from mapsvc.coverage import service as cov
from mapsvc.infra import db
from mapsvc.http import params
from mapsvc.http.errors import bad_request

bp = Blueprint("coverage", __name__, url_prefix="/api/v1")

FORMATS = {"json": "JSON", "geojson": "GeoJSON"}
MAX_CANDIDATES = 5_000
PLAN_KEYS = {"k", "radius_m", "minutes", "candidates", "keep_existing", "crs"}


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


def _reach(cur, args) -> cov.Reach:
    params.choice(args, "facility", cov.FACILITIES, default="service_points")
    mode = params.choice(args, "mode", cov.MODES, default="distance")
    radius = params.positive(args, "radius_m")
    minutes = params.positive(args, "minutes")
    return cov.make_reach(cur, mode, radius, minutes)


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
def coverage():
    """Covered and uncovered grids, communities or streets, with population and members."""
    args = request.args
    by = params.choice(args, "by", cov.UNITS, default="grid")
    fmt = params.choice(args, "f", FORMATS, default="json")
    with _cursor() as cur:
        reach = _reach(cur, args)
        result = cov.coverage(cur, reach, by)
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
def coverage_gaps():
    """Uncovered grids and communities ranked by uncovered population, then members."""
    args = request.args
    fmt = params.choice(args, "f", FORMATS, default="json")
    limit = params.integer(args, "limit", default=50, lo=1, hi=10_000)
    with _cursor() as cur:
        reach = _reach(cur, args)
        result = cov.gaps(cur, reach, limit)
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
def coverage_service_areas():
    """The map layer service_areas: service circles, or walking isochrones with mode=walk."""
    with _cursor() as cur:
        reach = _reach(cur, request.args)
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
def coverage_export():
    """The analysis as a workbook: totals, grids, communities, streets and gaps."""
    from openpyxl import Workbook

    args = request.args
    with _cursor() as cur:
        reach = _reach(cur, args)
        rows = cov.grid_rows(cur, reach)
        sheets = {by: cov.summarise(cur, rows, by) for by in ("grid", "community", "street")}
        gap = cov.gaps(cur, reach, 10_000)
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
def coverage_plan():
    """k new service points covering the most population (maximal covering location)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request(
            "invalid_json", "请求体应为 JSON 对象", "the request body must be a JSON object"
        )
    unknown = sorted(set(body) - PLAN_KEYS)
    if unknown:
        raise bad_request(
            "unknown_field",
            f"未知字段：{'、'.join(unknown)}",
            f"unknown fields: {', '.join(unknown)}",
        )
    k = _int_field(body, "k", lo=1, hi=50)
    radius = _num_field(body, "radius_m")
    minutes = _num_field(body, "minutes")
    if radius is None and minutes is None:
        radius = cov.LEVEL_REACH_M["community_centre"]
    keep = body.get("keep_existing", True)
    if not isinstance(keep, bool):
        raise bad_request(
            "not_a_boolean",
            "keep_existing 应为 true 或 false",
            "keep_existing must be true or false",
        )
    candidates = _candidates(body)
    with _cursor() as cur:
        reach = cov.make_reach(cur, "walk" if minutes is not None else "distance", radius, minutes)
        result = cov.plan(cur, k=k, reach=reach, candidates=candidates, keep_existing=keep)
    return jsonify(result)


def _int_field(body: dict, name: str, *, lo: int, hi: int) -> int:
    value = body.get(name)
    if value is None:
        raise bad_request("missing_parameter", f"缺少字段 {name}", f"field {name} is missing")
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise bad_request(
            "out_of_range",
            f"{name} 应为 {lo} 到 {hi} 之间的整数：{value!r}",
            f"{name} must be an integer between {lo} and {hi}: {value!r}",
        )
    return value


def _num_field(body: dict, name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request(
            "not_a_number", f"{name} 应为数字：{value!r}", f"{name} must be a number: {value!r}"
        )
    if value <= 0:
        raise bad_request(
            "out_of_range", f"{name} 应大于 0：{value!r}", f"{name} must be greater than 0"
        )
    return float(value)


def _candidates(body: dict):
    raw = body.get("candidates", "grid_centroids")
    if raw == "grid_centroids":
        return raw
    if not isinstance(raw, list) or not raw:
        raise bad_request(
            "invalid_candidates",
            'candidates 应为 "grid_centroids" 或点的列表（[经度, 纬度] 或 {"lon", "lat"}）',
            'candidates must be "grid_centroids" or a list of points ([lon, lat] or '
            '{"lon", "lat"})',
        )
    if len(raw) > MAX_CANDIDATES:
        raise bad_request(
            "too_many_candidates",
            f"候选点最多 {MAX_CANDIDATES} 个：{len(raw)}",
            f"at most {MAX_CANDIDATES} candidates: {len(raw)}",
        )
    crs_raw = body.get("crs") or "wgs84"
    if not isinstance(crs_raw, str):
        raise bad_request("invalid_crs", "crs 应为字符串", "crs must be a string")
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
            raise bad_request(
                "invalid_candidates",
                f"第 {i + 1} 个候选点无效：{raw[i]!r}",
                f"candidate {i + 1} is not a point: {raw[i]!r}",
            )
        x, y = float(p[0]), float(p[1])
        if in_crs.is_geographic:
            crsmod.check_lonlat_in_china(x, y)
        lon, lat = crsmod.to_wgs84(x, y, in_crs)
        crsmod.check_lonlat_in_china(lon, lat)
        points.append((float(lon), float(lat)))
    return points


@bp.get("/org-coverage")
def org_coverage():
    """Organisation coverage (两个覆盖): places without an org, branch sizes, migrant groups."""
    args = request.args
    distance = params.positive(args, "distance_m")
    if distance is not None and not cov.MIN_REACH_M <= distance <= 200_000:
        raise bad_request(
            "out_of_range",
            f"distance_m 应在 {cov.MIN_REACH_M:.0f} 到 200000 米之间：{distance:g}",
            f"distance_m must be between {cov.MIN_REACH_M:.0f} and 200000 metres: {distance:g}",
        )
    min_full = params.integer(args, "min_full", default=cov.MIN_FULL_MEMBERS, lo=1, hi=100)
    max_members = params.integer(
        args, "max_members", default=cov.MAX_BRANCH_MEMBERS, lo=1, hi=10_000
    )
    with _cursor() as cur:
        result = cov.org_coverage(
            cur,
            min_full=min_full,
            max_members=max_members,
            distance_m=distance or cov.MIGRANT_DISTANCE_M,
        )
    return jsonify(result)
