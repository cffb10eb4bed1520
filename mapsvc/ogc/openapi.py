"""The OpenAPI 3.0 document of /ogc (served at /ogc/api), built from the layer definitions.

Query parameters come from the declarations the routes parse with (mapsvc.ogc.parameters).
"""

from __future__ import annotations

from collections.abc import Iterable

from layers import Layer
from mapsvc import __version__
from mapsvc.http.params import Param
from mapsvc.ogc import parameters
from mapsvc.ogc.features import MAX_ZOOM

_ERROR = {
    "description": "错误 / error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _param(name: str, description: str, schema: dict, where: str = "query", **extra) -> dict:
    return {"name": name, "in": where, "description": description, "schema": schema, **extra}


def _query(declared: Iterable[Param]) -> list[dict]:
    """The OpenAPI parameter objects of declared query parameters."""
    return [d for p in declared for d in p.openapi()]


def _filters(layers: dict[str, Layer]) -> list[Param]:
    """Every layer's property filters, once each by name."""
    by_name = {p.name: p for layer in layers.values() for p in parameters.filters(layer)}
    return [by_name[name] for name in sorted(by_name)]


def document(base: str, layers: dict[str, Layer]) -> dict:
    """The document, with the server at base (the absolute /ogc address)."""
    page = _query(parameters.PAGE)
    cid = _param(
        "collectionId",
        "图层（集合）",
        {"type": "string", "enum": list(layers)},
        "path",
        required=True,
    )
    ok_json = {
        "description": "成功",
        "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {}},
    }
    item_params = _query(parameters.ITEMS) + _query(_filters(layers))
    geojson = {
        "description": "GeoJSON",
        "content": {"application/geo+json": {"schema": {"type": "object"}}, "text/html": {}},
    }
    tile_path = [
        _param(n, d, {"type": "integer", "minimum": 0}, "path", required=True)
        for n, d in (("z", f"缩放级别 0–{MAX_ZOOM}"), ("x", "列"), ("y", "行"))
    ]
    doc = {
        "openapi": "3.0.3",
        "info": {
            "title": "党建电子地图 OGC API",
            "version": __version__,
            "description": "OGC API Features 与 Tiles：图层定义见 layers/",
        },
        "servers": [{"url": base}],
        "paths": {
            "/": {
                "get": {
                    "summary": "首页 landing page",
                    "parameters": page,
                    "responses": {"200": ok_json},
                }
            },
            "/conformance": {
                "get": {"summary": "符合的标准", "parameters": page, "responses": {"200": ok_json}}
            },
            "/api": {
                "get": {"summary": "本文档", "parameters": page, "responses": {"200": ok_json}}
            },
            "/tileMatrixSets": {"get": {"summary": "瓦片矩阵集", "responses": {"200": ok_json}}},
            "/tileMatrixSets/WebMercatorQuad": {
                "get": {"summary": "WebMercatorQuad", "responses": {"200": ok_json}}
            },
            "/collections": {
                "get": {
                    "summary": "图层列表（含样式）",
                    "parameters": page,
                    "responses": {"200": ok_json},
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "summary": "图层说明",
                    "parameters": [cid, *page],
                    "responses": {"200": ok_json, "404": _ERROR},
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "summary": "要素（分页、范围、属性筛选）",
                    "parameters": [cid, *item_params],
                    "responses": {
                        "200": geojson,
                        "400": _ERROR,
                        "401": _ERROR,
                        "403": _ERROR,
                        "404": _ERROR,
                    },
                }
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "单个要素（编号即数据库编号）",
                    "parameters": [
                        cid,
                        _param("featureId", "要素编号", {"type": "string"}, "path", required=True),
                        *_query(parameters.ITEM),
                    ],
                    "responses": {"200": geojson, "404": _ERROR},
                }
            },
            "/collections/{collectionId}/tiles": {
                "get": {
                    "summary": "瓦片集列表",
                    "parameters": [cid],
                    "responses": {"200": ok_json, "404": _ERROR},
                }
            },
            "/collections/{collectionId}/tiles/WebMercatorQuad": {
                "get": {
                    "summary": "瓦片集说明（f=tilejson：TileJSON）",
                    "parameters": [cid, *_query(parameters.TILESET)],
                    "responses": {"200": ok_json, "404": _ERROR},
                }
            },
            "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}": {
                "get": {
                    "summary": "矢量瓦片（Mapbox Vector Tile）",
                    "parameters": [cid, *tile_path],
                    "responses": {
                        "200": {
                            "description": "瓦片",
                            "content": {"application/vnd.mapbox-vector-tile": {}},
                        },
                        "204": {"description": "空瓦片"},
                        "400": _ERROR,
                        "404": _ERROR,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string", "description": "中文说明"},
                        "message_en": {"type": "string"},
                    },
                    "required": ["code", "message", "message_en"],
                }
            }
        },
    }
    # every operation may refuse: bad parameters, no login, a layer the account may not
    # read, an unknown collection or feature
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for status in ("400", "401", "403") + (("404",) if "{" in path else ()):
                op["responses"].setdefault(status, _ERROR)
    return doc
