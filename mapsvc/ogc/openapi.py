"""The OpenAPI 3.0 document of /ogc (served at /ogc/api), built from the layer definitions."""

from __future__ import annotations

from layers import Layer
from mapsvc import __version__

_ERROR = {
    "description": "错误 / error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _param(name: str, description: str, schema: dict, where: str = "query", **extra) -> dict:
    return {"name": name, "in": where, "description": description, "schema": schema, **extra}


def document(base: str, layers: dict[str, Layer]) -> dict:
    """The document, with the server at base (the absolute /ogc address)."""
    f = _param("f", "格式", {"type": "string", "enum": ["json", "html"]})
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
    item_params = [
        f,
        _param(
            "limit",
            "每页要素数（1–10000，默认 10）",
            {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10},
        ),
        _param("offset", "跳过的要素数", {"type": "integer", "minimum": 0, "default": 0}),
        _param(
            "bbox",
            "范围：最小经度,最小纬度,最大经度,最大纬度",
            {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
            style="form",
            explode=False,
        ),
        _param("bbox-crs", "bbox 的坐标系（只支持 CRS84）", {"type": "string"}),
        _param("datetime", "时间（图层无时间属性，忽略）", {"type": "string"}),
    ]
    filters = sorted({p.name for layer in layers.values() for p in layer.properties if p.filter})
    item_params += [
        _param(name, f"按属性 {name} 精确筛选（图层有该属性时）", {"type": "string"})
        for name in filters
    ]
    geojson = {
        "description": "GeoJSON",
        "content": {"application/geo+json": {"schema": {"type": "object"}}, "text/html": {}},
    }
    tile_path = [
        _param(n, d, {"type": "integer", "minimum": 0}, "path", required=True)
        for n, d in (("z", "缩放级别 0–24"), ("x", "列"), ("y", "行"))
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
                    "parameters": [f],
                    "responses": {"200": ok_json},
                }
            },
            "/conformance": {
                "get": {"summary": "符合的标准", "parameters": [f], "responses": {"200": ok_json}}
            },
            "/api": {"get": {"summary": "本文档", "responses": {"200": ok_json}}},
            "/tileMatrixSets": {"get": {"summary": "瓦片矩阵集", "responses": {"200": ok_json}}},
            "/tileMatrixSets/WebMercatorQuad": {
                "get": {"summary": "WebMercatorQuad", "responses": {"200": ok_json}}
            },
            "/collections": {
                "get": {
                    "summary": "图层列表（含样式）",
                    "parameters": [f],
                    "responses": {"200": ok_json},
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "summary": "图层说明",
                    "parameters": [cid, f],
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
                        f,
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
                    "parameters": [
                        cid,
                        _param("f", "格式", {"type": "string", "enum": ["json", "tilejson"]}),
                    ],
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
