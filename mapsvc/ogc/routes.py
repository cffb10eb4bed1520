"""/ogc: OGC API Features and Tiles over the layers of layers/ (JSON and HTML, f=).

Routes parse the request, check who may read the layer, call mapsvc.ogc.features and shape the
response; they build no SQL. Links are absolute, made from the request's own host.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request

from layers import Layer, all_layers
from mapsvc import access
from mapsvc.domain.errors import BadInput, Forbidden, NotFound, NotLoggedIn
from mapsvc.http import params
from mapsvc.infra import db
from mapsvc.infra.config import tile_cache_mb
from mapsvc.ogc import catalog, extents, features, parameters
from mapsvc.ogc.catalog import TMS
from mapsvc.ogc.features import CRS84, MAX_ZOOM, ItemQuery
from mapsvc.ogc.openapi import document
from mapsvc.ogc.tile_cache import TileCache

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
]
_WM_HALF = 20037508.3427892  # half the width of the Web Mercator world, metres


def _aggregate(view):
    """Every /ogc view is reachable by kiosk screens; each layer's own access is checked in
    the view (aggregate layers for all, public and personal ones for logged-in people)."""
    return access.aggregate(view)


# ------------------------------------------------------------------ who is asking
def _principal() -> access.Principal:
    return access.principal()


def _member_filter(layer: Layer):
    """The caller's member predicate for a personal layer (None for the others)."""
    return access.member_filter(_principal(), alias="m") if layer.personal else None


def _layer(collection_id: str) -> Layer:
    """The layer of a collection id the caller may read, or 404 / 401 / 403."""
    layer = all_layers().get(collection_id)
    if layer is None:
        raise NotFound("no_collection", collection_id=collection_id)
    if not catalog.may_read(layer, _principal()):
        if _principal().role == "anonymous":
            raise NotLoggedIn("login_required")
        raise Forbidden("layer_forbidden", title_zh=layer.title_zh, layer_id=layer.id)
    return layer


def _audit(layer: Layer, what: str, detail: dict | None = None) -> None:
    if layer.personal:
        access.audit_read(f"ogc_{what}", layer.id, detail)


# ------------------------------------------------------------------ formats and links
def _base() -> str:
    return request.host_url.rstrip("/") + request.script_root + "/ogc"


def _format() -> str:
    """The declared f= when given, else what the Accept header prefers (JSON unless HTML
    comes first and the endpoint offers it)."""
    f = params.parsed()["f"]
    if f:
        return "json" if f == "geojson" else f
    view = current_app.view_functions[request.endpoint]
    offered = next(p for p in view.params if p.name == "f").schema["enum"]
    best = request.accept_mimetypes.best_match(["application/json", GEOJSON, "text/html"])
    return "html" if best == "text/html" and "html" in offered else "json"


def _link(href: str, rel: str, type_: str, title: str, **extra) -> dict:
    return {"href": href, "rel": rel, "type": type_, "title": title, **extra}


def _self_links(path: str, fmt: str, json_type: str = "application/json") -> list[dict]:
    html = fmt == "html"
    return [
        _link(f"{_base()}{path}?f=json", "self" if not html else "alternate", json_type, "JSON"),
        _link(f"{_base()}{path}?f=html", "self" if html else "alternate", "text/html", "网页 HTML"),
    ]


def _json(body: dict, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=mimetype)


def _html(title: str, body: dict, **context) -> Response:
    return Response(
        render_template("ogc.html", title=title, body=body, base=_base(), **context),
        mimetype="text/html",
    )


def _read(work):
    """work(cursor) on the read-only connection pool (mapsvc.infra.db.read)."""
    return db.read(current_app.config["DATABASE_URL"], work)


def _extents(layers: list[Layer]) -> list[list[float] | None]:
    """The layers' bounding boxes (mapsvc.ogc.extents: never stale), on one connection."""
    return _read(lambda cur: [extents.layer_extent(cur, x, _member_filter(x)) for x in layers])


def _extent(layer: Layer) -> list[float] | None:
    """The layer's bounding box."""
    return _extents([layer])[0]


# ------------------------------------------------------------------ landing, conformance, API
@bp.get("")
@bp.get("/")
@_aggregate
@params.declare(*parameters.PAGE)
def landing():
    """The landing page: what this service offers and where."""
    fmt = _format()
    body = {
        "title": "党建电子地图 OGC API",
        "description": "党组织、网格、党群服务中心、流动党员等图层的 OGC API Features 与 Tiles 服务",
        "links": [
            *_self_links("", fmt),
            _link(f"{_base()}/api", "service-desc", OPENAPI, "OpenAPI 接口描述"),
            _link(f"{_base()}/api?f=html", "service-doc", "text/html", "接口说明"),
            _link(f"{_base()}/conformance", "conformance", "application/json", "符合的标准"),
            _link(f"{_base()}/collections", "data", "application/json", "图层（集合）"),
            _link(
                f"{_base()}/tileMatrixSets",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                "application/json",
                "瓦片矩阵集",
            ),
        ],
    }
    if fmt == "html":
        return _html(body["title"], body, kind="landing")
    return _json(body)


@bp.get("/conformance")
@_aggregate
@params.declare(*parameters.PAGE)
def conformance():
    """The conformance classes this service implements."""
    fmt = _format()
    body = {"conformsTo": CONFORMANCE, "links": _self_links("/conformance", fmt)}
    if fmt == "html":
        return _html("符合的标准", body, kind="conformance")
    return _json(body)


@bp.get("/api")
@_aggregate
@params.declare(*parameters.PAGE)
def api_document():
    """The OpenAPI 3.0 document of /ogc."""
    doc = document(_base(), all_layers())
    if _format() == "html":
        return _html("OGC API 接口说明", {"openapi": doc}, kind="api")
    return _json(doc, mimetype=OPENAPI)


@bp.get("/tileMatrixSets")
@_aggregate
@params.declare()
def tile_matrix_sets():
    """The one tiling scheme served: WebMercatorQuad."""
    body = {
        "tileMatrixSets": [
            {
                "id": TMS,
                "title": "Google Maps Compatible for the World",
                "uri": TMS_URI,
                "links": [
                    _link(f"{_base()}/tileMatrixSets/{TMS}", "self", "application/json", TMS)
                ],
            }
        ]
    }
    return _json(body)


@bp.get("/tileMatrixSets/WebMercatorQuad")
@_aggregate
@params.declare()
def tile_matrix_set():
    """WebMercatorQuad (OGC 2D Tile Matrix Set 2.0), zoom 0 to MAX_ZOOM."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        n = 2**z
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": 559082264.028717 / n,
                "cellSize": 156543.033928041 / n,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-_WM_HALF, _WM_HALF],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            }
        )
    return _json(
        {
            "id": TMS,
            "title": "Google Maps Compatible for the World",
            "uri": TMS_URI,
            "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "orderedAxes": ["E", "N"],
            "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            "tileMatrices": matrices,
        }
    )


# ------------------------------------------------------------------ collections
def describe(layer: Layer, extent: list[float] | None) -> dict:
    """A layer as an OGC collection, with the fields the map page reads too (ogc.catalog)."""
    base = f"{_base()}/collections/{layer.id}"
    tiles = f"{base}/tiles/{TMS}"
    out = {
        "id": layer.id,
        "title": layer.title_zh,
        "description": layer.description_zh,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            _link(f"{base}?f=json", "self", "application/json", layer.title_zh),
            _link(f"{base}?f=html", "alternate", "text/html", layer.title_zh),
            _link(f"{base}/items", "items", GEOJSON, "要素 GeoJSON"),
            _link(f"{base}/items?f=html", "items", "text/html", "要素列表"),
            _link(
                f"{base}/tiles",
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                "application/json",
                "矢量瓦片集",
            ),
            _link(tiles + "/{z}/{x}/{y}", "item", MVT, "矢量瓦片 (z/x/y)", templated=True),
            _link(
                f"{tiles}?f=tilejson",
                "describedby",
                "application/json",
                "TileJSON",
                profile="tilejson",
            ),
        ],
        # the fields the map page reads too (title_en, style, zooms, access, tiles …)
        **catalog.describe_layer(layer, _base()),
    }
    if extent is not None:
        out["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return out


@bp.get("/collections")
@_aggregate
@params.declare(*parameters.PAGE)
def collections():
    """Every layer the caller may read, with styles for the page."""
    fmt = _format()
    layers = catalog.readable_layers(_principal())
    listed = [describe(layer, box) for layer, box in zip(layers, _extents(layers), strict=True)]
    body = {"links": _self_links("/collections", fmt), "collections": listed}
    if fmt == "html":
        return _html("图层（集合）", body, kind="collections")
    return _json(body)


@bp.get("/collections/<collection_id>")
@_aggregate
@params.declare(*parameters.PAGE)
def collection(collection_id: str):
    """One layer's description."""
    layer = _layer(collection_id)
    body = describe(layer, _extent(layer))
    if _format() == "html":
        return _html(layer.title_zh, body, kind="collection", layer=layer)
    return _json(body)


# ------------------------------------------------------------------ items
def _item_query(layer: Layer) -> ItemQuery:
    """The declared item parameters, and the layer's property filters (refusing any other)."""
    given = params.parse_also(parameters.filters(layer), only=parameters.ITEMS)
    q = params.parsed()
    return ItemQuery(
        bbox=q["bbox"],
        filters=tuple((name, v) for name, v in given.items() if v is not None),
        limit=q["limit"],
        offset=q["offset"],
    )


def _page_link(layer: Layer, rel: str, offset: int, limit: int, f: str) -> dict:
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit", "f")}
    args.update({"f": f, "limit": str(limit), "offset": str(offset)})
    href = f"{_base()}/collections/{layer.id}/items?{urlencode(args)}"
    kind = GEOJSON if f == "json" else "text/html"
    return _link(href, rel, kind, {"next": "下一页", "prev": "上一页"}.get(rel, rel))


@bp.get("/collections/<collection_id>/items")
@_aggregate
@params.declare(*parameters.ITEMS)
def items(collection_id: str):
    """A page of the layer's features: bbox, property filters, limit/offset with links."""
    layer = _layer(collection_id)
    fmt = _format()
    q = _item_query(layer)
    member_filter = _member_filter(layer)
    feats, returned, matched = _read(lambda cur: features.items(cur, layer, q, member_filter))
    _audit(layer, "items", {"matched": matched})
    links = [
        _page_link(layer, "self", q.offset, q.limit, "json" if fmt == "json" else "html"),
        _page_link(layer, "alternate", q.offset, q.limit, "html" if fmt == "json" else "json"),
        _link(
            f"{_base()}/collections/{layer.id}", "collection", "application/json", layer.title_zh
        ),
    ]
    if q.offset + returned < matched:
        links.append(_page_link(layer, "next", q.offset + q.limit, q.limit, fmt))
    if q.offset > 0:
        links.append(_page_link(layer, "prev", max(0, q.offset - q.limit), q.limit, fmt))
    if fmt == "html":
        body = {"features": json.loads(feats), "numberMatched": matched, "links": links}
        return _html(f"{layer.title_zh} · 要素", body, kind="items", layer=layer, query=q)
    head = json.dumps(
        {
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": returned,
            "links": links,
        },
        ensure_ascii=False,
    )
    return Response(head[:-1] + ', "features": ' + feats + "}", mimetype=GEOJSON)


@bp.get("/collections/<collection_id>/items/<fid>")
@_aggregate
@params.declare(*parameters.ITEM)
def item(collection_id: str, fid: str):
    """One feature by its database id."""
    layer = _layer(collection_id)
    fmt = _format()
    member_filter = _member_filter(layer)
    text = _read(lambda cur: features.item(cur, layer, fid, member_filter))
    if text is None:
        raise NotFound("no_feature", title_zh=layer.title_zh, fid=fid, layer_id=layer.id)
    _audit(layer, "item", {"id": fid})
    feature = json.loads(text)
    base = f"{_base()}/collections/{layer.id}"
    feature["links"] = [
        _link(
            f"{base}/items/{fid}?f=json",
            "self" if fmt == "json" else "alternate",
            GEOJSON,
            "GeoJSON",
        ),
        _link(
            f"{base}/items/{fid}?f=html",
            "self" if fmt == "html" else "alternate",
            "text/html",
            "网页",
        ),
        _link(f"{base}?f=json", "collection", "application/json", layer.title_zh),
    ]
    if fmt == "html":
        return _html(f"{layer.title_zh} · {fid}", feature, kind="item", layer=layer)
    return _json(feature, mimetype=GEOJSON)


# ------------------------------------------------------------------ tiles
def _tileset(layer: Layer) -> dict:
    base = f"{_base()}/collections/{layer.id}/tiles/{TMS}"
    return {
        "title": f"{layer.title_zh}（矢量瓦片）",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "瓦片集"),
            _link(
                f"{base}?f=tilejson",
                "alternate",
                "application/json",
                "TileJSON",
                profile="tilejson",
            ),
            _link(
                f"{_base()}/tileMatrixSets/{TMS}",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                "application/json",
                TMS,
            ),
            _link(
                base + "/{tileMatrix}/{tileCol}/{tileRow}", "item", MVT, "矢量瓦片", templated=True
            ),
        ],
        "tileMatrixSetLimits": [
            {
                "tileMatrix": str(z),
                "minTileRow": 0,
                "maxTileRow": 2**z - 1,
                "minTileCol": 0,
                "maxTileCol": 2**z - 1,
            }
            for z in range(layer.minzoom, layer.maxzoom + 1)
        ],
        "layers": [
            {
                "id": layer.id,
                "dataType": "vector",
                "geometryDimension": {"Point": 0, "LineString": 1, "MultiLineString": 1}.get(
                    layer.geometry_type, 2
                ),
                "minTileMatrix": str(layer.minzoom),
                "maxTileMatrix": str(layer.maxzoom),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {
                        p.name: {"title": p.zh, "type": "string" if p.type == "list" else p.type}
                        for p in layer.tile_properties
                    },
                },
            }
        ],
    }


def tilejson(layer: Layer, extent: list[float] | None) -> dict:
    """TileJSON 3.0.0 of the layer's tiles."""
    bounds = extent or [-180.0, -85.0511, 180.0, 85.0511]
    return {
        "tilejson": "3.0.0",
        "name": layer.title_zh,
        "description": layer.description_zh,
        "tiles": [f"{_base()}/collections/{layer.id}/tiles/{TMS}" + "/{z}/{x}/{y}"],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": bounds,
        "center": [
            round((bounds[0] + bounds[2]) / 2, 6),
            round((bounds[1] + bounds[3]) / 2, 6),
            max(layer.minzoom, 10),
        ],
        "vector_layers": [
            {
                "id": layer.id,
                "description": layer.title_zh,
                "minzoom": layer.minzoom,
                "maxzoom": layer.maxzoom,
                "fields": {p.name: p.zh for p in layer.tile_properties},
            }
        ],
    }


@bp.get("/collections/<collection_id>/tiles")
@_aggregate
@params.declare()
def tilesets(collection_id: str):
    """The layer's tilesets: one, in WebMercatorQuad."""
    layer = _layer(collection_id)
    ts = _tileset(layer)
    body = {
        "links": _self_links(f"/collections/{layer.id}/tiles", "json"),
        "tilesets": [{k: ts[k] for k in ("title", "dataType", "crs", "tileMatrixSetURI", "links")}],
    }
    return _json(body)


@bp.get("/collections/<collection_id>/tiles/WebMercatorQuad")
@_aggregate
@params.declare(*parameters.TILESET)
def tileset(collection_id: str):
    """The tileset's metadata (f=json) or its TileJSON (f=tilejson)."""
    layer = _layer(collection_id)
    fmt = _format()
    if fmt == "tilejson":
        return _json(tilejson(layer, _extent(layer)))
    return _json(_tileset(layer))


def _tile_index(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BadInput("bad_tile", name=name, raw=raw) from None
    return value


@bp.get("/collections/<collection_id>/tiles/WebMercatorQuad/<z>/<x>/<y>")
@_aggregate
@params.declare()
def tile(collection_id: str, z: str, x: str, y: str):
    """One Mapbox vector tile of the layer; 204 when it holds nothing."""
    layer = _layer(collection_id)
    zi, xi, yi = _tile_index("z", z), _tile_index("x", x), _tile_index("y", y)
    if not 0 <= zi <= MAX_ZOOM or not (0 <= xi < 2**zi and 0 <= yi < 2**zi):
        raise NotFound("tile_out_of_range", z=zi, x=xi, y=yi, tms=TMS, max_zoom=MAX_ZOOM)
    if not layer.minzoom <= zi <= layer.maxzoom:
        return Response(status=204, headers={"Content-Type": MVT})
    cache = _tile_cache()
    if layer.personal or not layer.tables or cache is None:
        member_filter = _member_filter(layer)
        data = _read(lambda cur: features.tile(cur, layer, zi, xi, yi, member_filter))
        _audit(layer, "tile", {"tile": f"{zi}/{xi}/{yi}"})
        return _tile_response(data, browser_cache=not layer.personal)
    # versions first, then the tile: a tile is never stored under versions newer than its data
    versions = _read(features.table_versions)
    if not all(t in versions for t in layer.tables):  # a table no trigger counts: no cache
        data = _read(lambda cur: features.tile(cur, layer, zi, xi, yi, None))
        return _tile_response(data, browser_cache=False)
    key = (layer.id, zi, xi, yi, *(versions[t] for t in layer.tables))
    etag = "-".join(map(str, key))
    if request.if_none_match.contains(etag):
        res = Response(status=304, headers={"Cache-Control": TILE_CACHING})
        res.set_etag(etag)
        return res
    data = cache.get(key)
    state = "hit"
    if data is None:
        data = _read(lambda cur: features.tile(cur, layer, zi, xi, yi, None))
        cache.put(key, data)
        state = "miss"
    res = _tile_response(data, browser_cache=True)
    res.set_etag(etag)
    res.headers["X-Tile-Cache"] = state
    return res


TILE_CACHING = "private, no-cache"  # browsers keep tiles but ask each time (304 when unchanged)


def _tile_cache() -> TileCache | None:
    """This app's tile cache, None when MAPSVC_TILE_CACHE_MB is 0."""
    if "tile_cache" not in current_app.extensions:
        mb = current_app.config.get("TILE_CACHE_MB", tile_cache_mb())
        current_app.extensions["tile_cache"] = TileCache(mb << 20) if mb > 0 else None
    return current_app.extensions["tile_cache"]


def _tile_response(data: bytes, *, browser_cache: bool) -> Response:
    """The tile, or 204 when empty; personal tiles keep the service's no-store."""
    res = Response(data, mimetype=MVT) if data else Response(status=204, content_type=MVT)
    if browser_cache:
        res.headers["Cache-Control"] = TILE_CACHING
    return res
