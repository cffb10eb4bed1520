"""/api/v1: lookups for people and pages (locate, nearest, search, admin areas).

Routes parse the request (mapsvc.http.params), call a service function, and shape the response;
they build no SQL.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from geodata import crs as crsmod
from mapsvc import access
from mapsvc.domain.errors import BadInput, NotFound
from mapsvc.domain.vocabulary import SITE_KINDS
from mapsvc.http import params
from mapsvc.http.params import POINT, Choice, Crs, Flag, Integer, Number, Param, declare
from mapsvc.infra import db
from mapsvc.lookup import service as lookup
from mapsvc.lookup.search import NameIndex

bp = Blueprint("api", __name__, url_prefix="/api/v1")

KIND_LABELS = SITE_KINDS


SEARCH_MAX_CHARS = 50


def _category(args):
    # the categories depend on the kind (read before this one)
    kind = args.get("kind") or "branch"
    return params.choice(args, "category", lookup.KINDS[kind].filter_values)


CATEGORY = Param(
    "category",
    "组织类别（党支部）或服务点级别（党群服务中心），须属于所选类型 / "
    "org category (branches) or service point level, of the chosen kind",
    {
        "type": "string",
        "enum": list(dict.fromkeys(v for s in lookup.KINDS.values() for v in s.filter_values)),
    },
    _category,
)


def _search_text(args) -> str:
    q = (args.get("q") or "").strip()
    if not q:
        raise BadInput("search_q_missing")
    if len(q) > SEARCH_MAX_CHARS:
        raise BadInput("search_q_too_long", max=SEARCH_MAX_CHARS)
    return q


SEARCH_TEXT = Param(
    "q",
    "搜索词：名称、编码或拼音首字母 / name, code or pinyin initials",
    {"type": "string", "minLength": 1, "maxLength": SEARCH_MAX_CHARS},
    _search_text,
    required=True,
)


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


def _out_point(lon: float, lat: float, out: crsmod.Crs) -> list[float]:
    x, y = crsmod.from_wgs84(lon, lat, out)
    return [round(float(x), 7), round(float(y), 7)]


def _feature(s: dict, kind: str, out: crsmod.Crs) -> dict:
    return {
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


@bp.get("/nearest")
@declare(
    POINT,
    Choice("kind", "类型 / kind of site", KIND_LABELS, default="branch"),
    Integer("k", "个数 / how many", default=5, lo=1, hi=50),
    Number("max_distance_m", "最大距离（米） / at most this far (metres)", positive=True),
    CATEGORY,
    Crs("out_crs", "输出坐标系（默认 wgs84） / output coordinate system (default wgs84)"),
)
def nearest():
    """The k nearest branches, service points or migrant groups, as GeoJSON."""
    p = params.parsed()
    lon, lat, in_crs = p["point"]
    kind, k, out = p["kind"], p["k"], p["out_crs"]
    with _cursor() as cur:
        sites = lookup.nearest_sites(
            cur, lon, lat, kind, k, max_distance_m=p["max_distance_m"], category=p["category"]
        )
    features = [_feature(s, kind, out) for s in sites]
    return jsonify(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberReturned": len(features),
            "crs": out.name,
            "query": {
                # as sent, in the input's own CRS (POINT checked both are numbers)
                "lon": float(request.args["lon"]),
                "lat": float(request.args["lat"]),
                "crs": in_crs.name,
                "kind": kind,
                "k": k,
            },
            "walking_speed_m_per_min": lookup.WALKING_SPEED_M_PER_MIN,
        }
    )


@bp.get("/locate")
@declare(POINT, Flag("with_geometry", "附带边界 / with the areas' boundaries"))
def locate():
    """Which district, street, community, grid and branch a point falls in."""
    p = params.parsed()
    lon, lat, in_crs = p["point"]
    with _cursor() as cur:
        found = lookup.locate(cur, lon, lat, with_geometry=p["with_geometry"])
    if found is None:
        raise NotFound("point_outside_area", lon=lon, lat=lat)
    return jsonify({"point": {"lon": lon, "lat": lat}, "crs": in_crs.name, **found})


_SEARCH_INDEX: dict[str, NameIndex] = {}


@bp.get("/search")
@declare(SEARCH_TEXT, Integer("limit", "条数 / how many", default=10, lo=1, hi=50))
def search():
    """Areas, grids, orgs and service points by name, code or pinyin."""
    p = params.parsed()
    index = _SEARCH_INDEX.setdefault(current_app.config["DATABASE_URL"], NameIndex())
    with _cursor() as cur:
        found, total = index.search(cur, p["q"], p["limit"])
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
@declare()
def openapi_json():
    """The OpenAPI document of this API."""
    from mapsvc.http.openapi import document

    return jsonify(document())


@bp.get("/docs")
@access.public
@declare()
def docs():
    """The API described for people, from the same document."""
    from flask import render_template

    from mapsvc.http.openapi import document

    return render_template("api_docs.html", doc=document())
