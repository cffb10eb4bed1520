"""The OpenAPI 3.1 document of /api/v1, built from the catalog and a table of the other
endpoints; a test checks that every /api/v1 route of the app is described here.
"""

from __future__ import annotations

from mapsvc import __version__
from mapsvc.records.catalog import ID, PHONE, RESOURCES, UPDATED, VERSION, Field, Resource
from mapsvc.coverage.service import MAX_RADIUS_M, MIN_REACH_M
from mapsvc.exchange.formats import EXPORT_FORMATS

_TYPES = {
    "text": {"type": "string"},
    "ref": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "bool": {"type": "boolean"},
    "text_list": {"type": "array", "items": {"type": "string"}},
    "point": {"$ref": "#/components/schemas/GeoJSONGeometry"},
    "multipolygon": {"$ref": "#/components/schemas/GeoJSONGeometry"},
}

ERROR = {
    "description": "错误 / error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _field_schema(f: Field, *, read: bool = False) -> dict:
    """The schema of a field as written, or as read (read=True): a field that is not required
    may be null there, and phone numbers come masked (138****1234), so without their pattern."""
    schema = dict(_TYPES[f.type]) if f.type != "enum" else {"type": "string", "enum": list(f.enum)}
    if f.pattern and not (read and f.pattern == PHONE):
        schema["pattern"] = f.pattern
    if f.minimum is not None:
        schema["minimum"] = f.minimum
    if f.maximum is not None:
        schema["maximum"] = f.maximum
    nullable = read and not f.required and f not in (ID, VERSION, UPDATED)
    if "$ref" in schema:
        return {
            "anyOf" if nullable else "allOf": [schema, *nullable * [{"type": "null"}]],
            "description": f.zh,
        }
    schema["description"] = (
        f.zh
        + (f"（{'、'.join(f'{k}={v}' for k, v in f.enum.items())}）" if f.enum else "")
        + ("（读取时脱敏，如 138****1234）" if read and f.pattern == PHONE else "")
    )
    if nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _record_schemas(r: Resource) -> dict:
    name = r.kind.title().replace("_", "")
    props = {f.name: _field_schema(f, read=True) for f in r.fields}
    writable = {f.name: _field_schema(f) for f in r.writable}
    writable["crs"] = {
        "type": "string",
        "description": "输入坐标系 wgs84/cgcs2000/gcj02/bd09/EPSG:n",
    }
    if r.geometry is not None and r.geometry.type == "point":
        writable["lon"] = {"type": "number", "description": "经度（可代替 geometry）"}
        writable["lat"] = {"type": "number", "description": "纬度（可代替 geometry）"}
    return {
        name: {"type": "object", "properties": props, "description": r.zh},
        f"{name}New": {
            "type": "object",
            "properties": writable,
            "required": [f.name for f in r.writable if f.required],
        },
        f"{name}Change": {
            "type": "object",
            "properties": {
                **writable,
                "version": {"type": "integer", "description": "可代替 If-Match"},
            },
        },
    }


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    # an optional parameter sent empty (?radius_m=) counts as not sent (mapsvc.http.params)
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
        **({} if required else {"allowEmptyValue": True}),
    }


def _record_paths(r: Resource) -> dict:
    name = r.kind.title().replace("_", "")
    ref = {"$ref": f"#/components/schemas/{name}"}
    key = {
        "name": "key",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"} if r.field(r.key).type == "int" else {"type": "string"},
        "description": r.field(r.key).zh,
    }
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "读取时得到的 ETag（版本号）/ the ETag from GET",
    }
    filters = [_query(f.name, _field_schema(f), f"按{f.zh}筛选") for f in r.fields if f.filter]

    def body(schema):
        return {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }

    one = {"description": r.zh, "content": {"application/json": {"schema": ref}}}
    return {
        f"/api/v1/{r.name}": {
            "get": {
                "summary": f"{r.zh}列表 / list {r.en}s",
                "tags": [r.zh],
                "parameters": [
                    *filters,
                    _query("q", {"type": "string"}, "名称搜索"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "每页条数"),
                    _query("offset", {"type": "integer", "minimum": 0}, "偏移"),
                    _query(
                        "f",
                        {"type": "string", "enum": ["json", "geojson", "csv", "xlsx", "gpkg"]},
                        "格式（csv/xlsx/gpkg 为下载文件）",
                    ),
                    _query("headers", {"type": "string", "enum": ["en", "zh"]}, "下载文件的列名"),
                    _query(
                        "geometry",
                        {"type": "string", "enum": ["full", "simplified", "none"]},
                        "几何",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "items + total；f=geojson 为 FeatureCollection，"
                        "f=csv/xlsx/gpkg 为下载文件",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {
                                            "type": "object",
                                            "required": ["items", "total"],
                                            "properties": {
                                                "items": {"type": "array", "items": ref},
                                                "total": {"type": "integer"},
                                            },
                                        },
                                        {
                                            "type": "object",
                                            "required": ["type", "features"],
                                            "properties": {
                                                "type": {"const": "FeatureCollection"},
                                                "features": {"type": "array"},
                                            },
                                        },
                                    ]
                                }
                            },
                            **{
                                media.split(";")[0]: {
                                    "schema": {"type": "string", "contentMediaType": media}
                                }
                                for _label, media, _ext in EXPORT_FORMATS.values()
                                if media != "application/geo+json"
                            },
                        },
                    },
                    "400": ERROR,
                },
            },
            "post": {
                "summary": f"新建{r.zh} / create a {r.en}",
                "tags": [r.zh],
                "requestBody": body(f"{name}New"),
                "responses": {"201": one, "400": ERROR, "409": ERROR},
            },
        },
        f"/api/v1/{r.name}/{{key}}": {
            "get": {
                "summary": f"读取{r.zh} / get a {r.en}",
                "tags": [r.zh],
                "parameters": [key],
                "responses": {"200": one, "304": {"description": "未变化"}, "404": ERROR},
            },
            "patch": {
                "summary": f"修改{r.zh} / change a {r.en}",
                "tags": [r.zh],
                "parameters": [key, if_match],
                "requestBody": body(f"{name}Change"),
                "responses": {"200": one, "400": ERROR, "404": ERROR, "412": ERROR, "428": ERROR},
            },
            "delete": {
                "summary": (
                    f"撤销{r.zh} / dissolve an {r.en}"
                    if r.dissolve
                    else f"删除{r.zh} / delete a {r.en}"
                ),
                "tags": [r.zh],
                "parameters": [key, if_match],
                "responses": {
                    "204": {"description": "完成"},
                    "400": ERROR,
                    "404": ERROR,
                    "409": ERROR,
                    "412": ERROR,
                },
            },
        },
    }


_LONLAT = [
    _query("lon", {"type": "number"}, "经度 / longitude", True),
    _query("lat", {"type": "number"}, "纬度 / latitude", True),
    _query("crs", {"type": "string"}, "坐标系 wgs84/cgcs2000/gcj02/bd09/EPSG:n（默认 wgs84）"),
]
_JSON = {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}
_XLSX = {
    "description": "XLSX",
    "content": {EXPORT_FORMATS["xlsx"][1]: {"schema": {"type": "string", "format": "binary"}}},
}
_MEMBER = {"name": "member_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}


def _action(summary: str, props: dict, required: list[str]) -> dict:
    return {
        "post": {
            "summary": summary,
            "tags": ["党员"],
            "parameters": [_MEMBER, _IF_MATCH],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": props, "required": required}
                    }
                },
            },
            "responses": {"200": _JSON, "400": ERROR, "404": ERROR, "412": ERROR, "428": ERROR},
        }
    }


_COVERAGE_RULES = (
    "服务半径默认按级别：服务站 500 米（10 分钟生活圈），社区中心 1000 米（15 分钟生活圈），"
    "街道和区级中心 1500 米；radius_m 覆盖所有级别。网格中心点（EPSG:4326 面的 ST_Centroid）"
    "到某服务点的椭球面距离不超过该服务点半径即为覆盖；党员按居住点（落在网格内）统计，"
    "居住点在半径内即为覆盖；社区、街道为其网格之和。mode=walk 用路网步行距离"
    "（pgRouting 预计算的 road_walks，75 米/分钟）。 / Reach by level: station 500 m, "
    "community centre 1000 m, street and district centres 1500 m; radius_m overrides every "
    "level. A grid is covered when the geodesic (WGS84) distance from its centroid (ST_Centroid "
    "of its EPSG:4326 polygon) to a service point is within that point's reach; a member is "
    "covered when their home point is (members count in the grid their home lies inside); "
    "communities and streets sum their grids. mode=walk uses network metres along the roads "
    "(precomputed pgRouting road_walks) at 75 m/min."
)


_STATS_STREET = _query(
    "street",
    {"type": "string", "pattern": "^[0-9]{12}$"},
    "只统计这个街道（镇），12 位区划代码 / only this street or town (12-digit code)",
)
_STATS_RULES = (
    "只含汇总数，不含任何个人信息；数据变更后即重新统计，统计完成前返回上一次的数字（stale=true），"
    "首次统计完成前返回 503。党员按所在党组织的区划归入街道"
    "（镇）；流出：目的地在本区以外的流动党员；流入：组织关系在区外、由本区组织协助管理或目的地在"
    "本区的流动党员；15 分钟生活圈：步行路网 15 分钟（75 米/分钟，1125 米），无路网时直线 1125 米。"
    " / Aggregates only, no person's data; recounted after every change. "
    "While figures are recounted after a change, answers carry the previous ones with "
    "stale=true; 503 only before the first count is done. "
    "Members count in the street of their org's area; mobile out: destination outside the "
    "district; mobile in: relationship kept outside, helped by an org of the district or living "
    "in it; 15-minute circle: a 15-minute walk along the roads (75 m/min, 1125 m), or 1125 m "
    "straight when no walking network is loaded."
)


OTHER_PATHS = {
    # ---- coverage for planners (mapsvc/coverage_api.py)
    **{
        path: {
            "get": {
                "summary": summary,
                "description": _COVERAGE_RULES,
                "tags": ["覆盖分析"],
                "parameters": [
                    _query("facility", {"type": "string", "enum": ["service_points"]}, "设施类型"),
                    _query("mode", {"type": "string", "enum": ["distance", "walk"]}, "直线或步行"),
                    _query(
                        "radius_m",
                        {"type": "number", "minimum": MIN_REACH_M, "maximum": MAX_RADIUS_M},
                        "覆盖半径（米），覆盖所有级别",
                    ),
                    _query(
                        "minutes",
                        {"type": "number", "exclusiveMinimum": 0},
                        "步行分钟（mode=walk，75 米/分钟，至少走 1 米）",
                    ),
                    *extra,
                ],
                "responses": {"200": _XLSX if path.endswith(".xlsx") else _JSON, "400": ERROR},
            }
        }
        for path, summary, extra in (
            (
                "/api/v1/coverage",
                "服务圈覆盖：网格、社区、街道 / coverage by service circles",
                [
                    _query(
                        "by",
                        {"type": "string", "enum": ["grid", "community", "street"]},
                        "统计单元",
                    ),
                    _query("f", {"type": "string", "enum": ["json", "geojson"]}, "格式"),
                ],
            ),
            (
                "/api/v1/coverage/gaps",
                "覆盖缺口排名 / uncovered grids and communities ranked",
                [
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}, "条数"),
                    _query("f", {"type": "string", "enum": ["json", "geojson"]}, "格式"),
                ],
            ),
            ("/api/v1/coverage/service-areas", "服务范围图层 service_areas / service areas", []),
            ("/api/v1/coverage/export.xlsx", "覆盖分析导出 XLSX / coverage workbook", []),
        )
    },
    "/api/v1/coverage/plan": {
        "post": {
            "summary": "新服务点选址（最大覆盖）/ site suggestions (maximal covering)",
            "tags": ["覆盖分析"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["k"],
                            "properties": {
                                "k": {"type": "integer", "minimum": 1, "maximum": 50},
                                "radius_m": {
                                    "type": "number",
                                    "minimum": MIN_REACH_M,
                                    "maximum": MAX_RADIUS_M,
                                },
                                "minutes": {"type": "number", "exclusiveMinimum": 0},
                                "candidates": {
                                    "description": '"grid_centroids" 或点列表 [[lon, lat], …]',
                                    "oneOf": [
                                        {"type": "string", "enum": ["grid_centroids"]},
                                        {"type": "array", "maxItems": 5000},
                                    ],
                                },
                                "crs": {"type": "string"},
                                "keep_existing": {"type": "boolean"},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _JSON, "400": ERROR},
        }
    },
    # ---- the leaders' screen (mapsvc/stats_api.py)
    **{
        path: {
            "get": {
                "summary": summary,
                "description": _STATS_RULES,
                "tags": ["大屏统计"],
                "parameters": [_STATS_STREET] if street else [],
                "responses": {"200": _JSON, "400": ERROR, "404": ERROR, "503": ERROR},
            }
        }
        for path, summary, street in (
            (
                "/api/v1/stats/overview",
                "总览：党员、党组织、服务点、生活圈与组织覆盖 / headline figures",
                True,
            ),
            ("/api/v1/stats/streets", "各街道（镇）排名 / streets and towns ranked", True),
            ("/api/v1/stats/flows", "流动党员去向城市 / mobile members' destinations", True),
            (
                "/api/v1/stats/map",
                "大屏地图：边界、党员密度、支部分布、服务点 / the screen's map layers",
                False,
            ),
        )
    },
    "/api/v1/org-coverage": {
        "get": {
            "summary": "组织覆盖（两个覆盖）/ organisation coverage",
            "tags": ["覆盖分析"],
            "parameters": [
                _query(
                    "distance_m",
                    {"type": "number", "minimum": MIN_REACH_M, "maximum": 200_000},
                    "流动党员聚集距离（米）",
                ),
                _query("min_full", {"type": "integer", "minimum": 1}, "正式党员数下限"),
                _query("max_members", {"type": "integer", "minimum": 1}, "支部人数上限"),
            ],
            "responses": {"200": _JSON, "400": ERROR},
        }
    },
    # ---- behind the map page (mapsvc/map_api.py)
    "/api/v1/orgs/{org_id}/summary": {
        "get": {
            "summary": "党组织概况（地图侧栏）/ an org's record for the map panel",
            "description": "名称、编码、层级、类别、上级组织链（自上而下）、书记、党员人数（正式、预备，"
            "含全部下级组织）、流动党员（外出、流入）、最近的党群服务中心。 / Name, code, level, "
            "category, the chain of parent orgs (root first), secretary, members by status over "
            "the org's subtree, mobile members (away, coming in), the nearest service point.",
            "tags": ["党组织"],
            "parameters": [
                {"name": "org_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"200": _JSON, "404": ERROR},
        }
    },
    "/api/v1/branch-counts": {
        "get": {
            "summary": "各街道（镇）党支部与党员数 / branches and members per street or town",
            "description": "地图低缩放级别的党支部汇总：每个街道、镇一个点（面内一点），"
            "不含个人信息。 / The branches layer at low zoom: one point per street or town "
            "(a point on its surface) with counts; no personal data.",
            "tags": ["查询"],
            "responses": {
                "200": {
                    "description": "GeoJSON FeatureCollection",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/v1/nearest": {
        "get": {
            "summary": "最近的党支部、服务点、流动党员党支部 / nearest sites",
            "tags": ["查询"],
            "parameters": [
                *_LONLAT,
                _query(
                    "kind",
                    {"type": "string", "enum": ["branch", "service_point", "migrant_group"]},
                    "类型",
                ),
                _query("k", {"type": "integer", "minimum": 1, "maximum": 50}, "个数"),
                _query(
                    "max_distance_m", {"type": "number", "exclusiveMinimum": 0}, "最大距离（米）"
                ),
                _query("category", {"type": "string"}, "组织类别或服务点级别"),
                _query("out_crs", {"type": "string"}, "输出坐标系"),
            ],
            "responses": {
                "200": {
                    "description": "GeoJSON FeatureCollection",
                    "content": {
                        "application/geo+json": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    },
                },
                "400": ERROR,
            },
        }
    },
    "/api/v1/locate": {
        "get": {
            "summary": "我在哪里：区县、街道、社区、网格、负责支部 / where is this",
            "tags": ["查询"],
            "parameters": [*_LONLAT, _query("with_geometry", {"type": "boolean"}, "附带边界")],
            "responses": {"200": _JSON, "400": ERROR, "404": ERROR},
        }
    },
    "/api/v1/search": {
        "get": {
            "summary": "按名称、编码、拼音首字母搜索 / search",
            "tags": ["查询"],
            "parameters": [
                _query("q", {"type": "string", "minLength": 1, "maxLength": 50}, "搜索词", True),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "条数"),
            ],
            "responses": {"200": _JSON, "400": ERROR},
        }
    },
    "/api/v1/members/{member_id}/transfer": _action(
        "组织关系转接 / transfer",
        {
            "to_org_code": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "note": {"type": "string"},
            "version": {"type": "integer"},
        },
        ["to_org_code"],
    ),
    "/api/v1/members/{member_id}/mobile": _action(
        "登记为流动党员 / mark mobile",
        {
            "destination": {"type": "string"},
            "since": {"type": "string", "format": "date"},
            "inflow_org_code": {"type": "string"},
            "destination_point": {"$ref": "#/components/schemas/GeoJSONGeometry"},
            "crs": {"type": "string"},
            "note": {"type": "string"},
            "version": {"type": "integer"},
        },
        ["destination", "since"],
    ),
    "/api/v1/members/{member_id}/return": _action(
        "流动结束 / back from mobile",
        {
            "date": {"type": "string", "format": "date"},
            "note": {"type": "string"},
            "version": {"type": "integer"},
        },
        [],
    ),
    "/api/v1/members/{member_id}/history": {
        "get": {
            "summary": "党员变动记录 / member history",
            "tags": ["党员"],
            "parameters": [_MEMBER],
            "responses": {"200": _JSON, "404": ERROR},
        }
    },
    "/api/v1/positions": {
        "post": {
            "summary": "上报位置（批量，report_id 去重）/ report positions",
            "tags": ["位置"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["reports"],
                            "properties": {
                                "reports": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 1000,
                                    "items": {
                                        "type": "object",
                                        "required": [
                                            "report_id",
                                            "member_id",
                                            "lon",
                                            "lat",
                                            "reported_at",
                                        ],
                                        "properties": {
                                            "report_id": {
                                                "type": "string",
                                                "minLength": 1,
                                                "maxLength": 128,
                                            },
                                            "member_id": {"type": "integer", "minimum": 1},
                                            "lon": {"type": "number"},
                                            "lat": {"type": "number"},
                                            "crs": {"type": "string"},
                                            "reported_at": {
                                                "type": "string",
                                                "format": "date-time",
                                            },
                                            "accuracy_m": {"type": "number", "minimum": 0},
                                            "source": {
                                                "type": "string",
                                                "enum": ["gps", "network", "manual", "import"],
                                            },
                                        },
                                    },
                                }
                            },
                        }
                    }
                },
            },
            "responses": {"200": _JSON, "400": ERROR},
        }
    },
    "/api/v1/members/{member_id}/positions": {
        "get": {
            "summary": "党员位置历史 / a member's positions",
            "tags": ["位置"],
            "parameters": [
                _MEMBER,
                _query("since", {"type": "string", "format": "date-time"}, "起"),
                _query("until", {"type": "string", "format": "date-time"}, "止"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "条数"),
                _query("offset", {"type": "integer", "minimum": 0}, "偏移"),
                _query("out_crs", {"type": "string"}, "输出坐标系"),
            ],
            "responses": {"200": _JSON, "400": ERROR, "404": ERROR},
        }
    },
    "/api/v1/imports": {
        "post": {
            "summary": "导入文件（GeoJSON、GeoPackage、Shapefile、CSV、XLSX）/ import a file",
            "tags": ["导入导出"],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file", "kind"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "kind": {
                                    "type": "string",
                                    "enum": [
                                        "admin_areas",
                                        "grids",
                                        "orgs",
                                        "members",
                                        "service_points",
                                        "roads",
                                    ],
                                },
                                "crs": {"type": "string"},
                                "dry_run": {"type": "boolean"},
                                "partial": {"type": "boolean"},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _JSON, "400": ERROR, "413": ERROR, "422": _JSON},
        }
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "本文档 / this document", "tags": ["文档"], "responses": {"200": _JSON}}
    },
    "/api/v1/docs": {
        "get": {
            "summary": "接口说明页 / readable docs",
            "tags": ["文档"],
            "responses": {"200": {"description": "HTML"}},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "当前用户：角色与管辖范围 / who am I (role, scope)",
            "tags": ["账号"],
            "responses": {"200": _JSON, "401": ERROR},
        }
    },
    "/api/v1/audit": {
        "get": {
            "summary": "审计日志（仅系统管理员）/ the audit log (admins only)",
            "tags": ["账号"],
            "parameters": [
                _query(
                    "since",
                    {"type": "string", "pattern": "^[0-9]{1,6}[mhd]$"},
                    "时间范围，如 1h、7d",
                ),
                _query("user", {"type": "string", "maxLength": 64}, "用户名"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 10000}, "条数"),
            ],
            "responses": {"200": _JSON, "400": ERROR, "401": ERROR, "403": ERROR},
        }
    },
}

# paths anyone may call without logging in
OPEN_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def document() -> dict:
    """The whole OpenAPI document."""
    paths: dict = {}
    schemas: dict = {
        "Error": {
            "type": "object",
            "required": ["code", "message", "message_en"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "中文"},
                "message_en": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        },
        "GeoJSONGeometry": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"type": "string"}, "coordinates": {"type": "array"}},
        },
    }
    for r in RESOURCES.values():
        paths.update(_record_paths(r))
        schemas.update(_record_schemas(r))
    paths.update(OTHER_PATHS)
    for path, ops in paths.items():
        for op in ops.values():
            if path in OPEN_PATHS:
                op["security"] = []
            else:  # no login: 401; a role or scope that may not: 403
                op["responses"].setdefault("401", ERROR)
                op["responses"].setdefault("403", ERROR)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "党建电子地图 API / Party-building map API",
            "version": __version__,
            "description": "错误均为 JSON：code、message（中文）、message_en。"
            "Errors are JSON with code, message (Chinese) and message_en.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "mapsvc tokens issue NAME",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "mapsvc_session",
                    "description": "登录页面 /login 设置；写操作还须带 X-CSRF-Token 头",
                },
            },
        },
        # every call needs a login except the open paths; what it returns depends on the
        # account's role and scope (members outside the scope are not there)
        "security": [{"bearer": []}, {"session": []}],
    }
