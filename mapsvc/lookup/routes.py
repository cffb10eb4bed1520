"""/api/v1: lookups for people and pages (locate, nearest, search, admin areas).

Routes parse the request (mapsvc.http.params), call a service function, and shape the response;
they build no SQL.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from geodata import crs as crsmod
from mapsvc import access
from mapsvc.domain.vocabulary import SITE_KINDS
from mapsvc.infra import db
from mapsvc.lookup import service as lookup
from mapsvc.http import params
from mapsvc.http.errors import ApiError
from mapsvc.lookup.search import NameIndex

bp = Blueprint("api", __name__, url_prefix="/api/v1")

KIND_LABELS = SITE_KINDS


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


def _out_point(lon: float, lat: float, out: crsmod.Crs) -> list[float]:
    x, y = crsmod.from_wgs84(lon, lat, out)
    return [round(float(x), 7), round(float(y), 7)]


@bp.get("/nearest")
def nearest():
    """The k nearest branches, service points or migrant groups, as GeoJSON."""
    args = request.args
    lon, lat, in_crs = params.point(args)
    kind = params.choice(args, "kind", KIND_LABELS, default="branch")
    k = params.integer(args, "k", default=5, lo=1, hi=50)
    max_m = params.positive(args, "max_distance_m")
    category = params.choice(args, "category", lookup.KINDS[kind].filter_values)
    out = crsmod.parse_crs(args.get("out_crs") or "wgs84")
    with _cursor() as cur:
        sites = lookup.nearest_sites(
            cur, lon, lat, kind, k, max_distance_m=max_m, category=category
        )
    features = [
        {
            "type": "Feature",
            "id": s["id"],
            "geometry": {"type": "Point", "coordinates": _out_point(s["lon"], s["lat"], out)},
            "properties": {
                **s["properties"],
                "kind": kind,
                "distance_m": s["distance_m"],
                "bearing_deg": s["bearing_deg"],
                "network_distance_m": s["network_distance_m"],
                "walk_minutes": s["walk_minutes"],
                "walk_basis": s["walk_basis"],
                "navigation": s["navigation"],
            },
        }
        for s in sites
    ]
    return jsonify(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberReturned": len(features),
            "crs": out.name,
            "query": {
                "lon": float(args["lon"]),
                "lat": float(args["lat"]),
                "crs": in_crs.name,
                "kind": kind,
                "k": k,
            },
            "walking_speed_m_per_min": lookup.WALKING_SPEED_M_PER_MIN,
        }
    )


@bp.get("/locate")
def locate():
    """Which district, street, community, grid and branch a point falls in."""
    lon, lat, in_crs = params.point(request.args)
    with_geometry = params.flag(request.args, "with_geometry")
    with _cursor() as cur:
        found = lookup.locate(cur, lon, lat, with_geometry=with_geometry)
    if found is None:
        raise ApiError(
            404,
            "outside_area",
            f"该位置（经度 {lon:.6f}，纬度 {lat:.6f}）不在本系统覆盖的任何行政区域内",
            f"the point (lon {lon:.6f}, lat {lat:.6f}) lies outside every "
            "administrative area this service covers",
        )
    return jsonify({"point": {"lon": lon, "lat": lat}, "crs": in_crs.name, **found})


_SEARCH_INDEX: dict[str, NameIndex] = {}


@bp.get("/search")
def search():
    """Areas, grids, orgs and service points by name, code or pinyin."""
    q = (request.args.get("q") or "").strip()
    if not q:
        raise ApiError(400, "missing_parameter", "缺少参数 q（搜索词）", "parameter q is missing")
    if len(q) > 50:
        raise ApiError(400, "too_long", "搜索词不能超过 50 个字", "q must be at most 50 characters")
    limit = params.integer(request.args, "limit", default=10, lo=1, hi=50)
    index = _SEARCH_INDEX.setdefault(current_app.config["DATABASE_URL"], NameIndex())
    with _cursor() as cur:
        found, total = index.search(cur, q, limit)
    return jsonify(
        {
            "items": [
                {
                    "kind": e.kind,
                    "id": e.id,
                    "code": e.code,
                    "name": e.name,
                    "level": e.level,
                    "detail": e.detail,
                    "lon": e.lon,
                    "lat": e.lat,
                }
                for e in found
            ],
            "total": total,
        }
    )


@bp.get("/openapi.json")
@access.public
def openapi_json():
    """The OpenAPI document of this API."""
    from mapsvc.http.openapi import document

    return jsonify(document())


@bp.get("/docs")
@access.public
def docs():
    """The API described for people, from the same document."""
    from flask import render_template

    from mapsvc.http.openapi import document

    return render_template("api_docs.html", doc=document())
