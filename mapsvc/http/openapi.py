"""The OpenAPI 3.1 document of /api/v1.

Each operation's words (summary, description, tags, request body, responses) are data here;
its query parameters come from the view's declaration (mapsvc.http.params.declare), so no
limit or choice is typed twice; the records' paths and schemas come from the catalog. A test
checks that every /api/v1 route of the app is described, and with its declared parameters.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable
from importlib import import_module

from flask import Flask

from mapsvc import __version__
from mapsvc.coverage.service import MAX_RADIUS_M, MIN_REACH_M
from mapsvc.exchange.formats import EXPORT_FORMATS
from mapsvc.http.params import Param
from mapsvc.records.catalog import ID, PHONE, RESOURCES, UPDATED, VERSION, Field, Resource

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


def field_schema(f: Field, *, read: bool = False) -> dict:
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
    props = {f.name: field_schema(f, read=True) for f in r.fields}
    writable = {f.name: field_schema(f) for f in r.writable}
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


def query_parameters(declared: Iterable[Param]) -> list[dict]:
    """The OpenAPI objects of declared query parameters, as the document lists them."""
    described = [d for p in declared for d in p.openapi()]
    for d in described:
        # an optional parameter sent empty (?radius_m=) counts as not sent (mapsvc.http.params)
        if not d.get("required"):
            d["allowEmptyValue"] = True
    return described


def _list_response(r: Resource, ref: dict) -> dict:
    """A list's 200: a page of items, a FeatureCollection (f=geojson) or a download."""
    return {
        "description": "items + total；f=geojson 为 FeatureCollection，f=csv/xlsx/gpkg 为下载文件",
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
                media.split(";")[0]: {"schema": {"type": "string", "contentMediaType": media}}
                for _label, media, _ext in EXPORT_FORMATS.values()
                if media != "application/geo+json"
            },
        },
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
                "responses": {"200": _list_response(r, ref), "400": ERROR},
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


_JSON = {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}
_XLSX = {
    "description": "XLSX",
    "content": {EXPORT_FORMATS["xlsx"][1]: {"schema": {"type": "string", "format": "binary"}}},
}
_MEMBER = {"name": "member_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}


def _json_body(schema: dict, media: str = "application/json") -> dict:
    return {"required": True, "content": {media: {"schema": schema}}}


def _action(summary: str, props: dict, required: list[str]) -> dict:
    return {
        "post": {
            "summary": summary,
            "tags": ["党员"],
            "parameters": [_MEMBER, _IF_MATCH],
            "requestBody": _json_body(
                {"type": "object", "properties": props, "required": required}
            ),
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


_STATS_RULES = (
    "只含汇总数，不含任何个人信息；数据变更后即重新统计，统计完成前返回上一次的数字（stale=true），"
    "首次统计完成前返回 503。任意一级区划（省、市、区县、街道、镇乡、社区、村）均可统计，area 缺省为"
    "调用者自己的区划；党员按所在党组织的区划（组织未标区划时取上级组织的）归入区划，上级区划的数字"
    "等于各下级之和加上直接设在本级的部分；缺少的层级在 missing 中说明，不报错；流出：目的地在本区划"
    "以外的流动党员；流入：组织关系在区划外、由区划内组织协助管理或目的地在区划内的流动党员；"
    "15 分钟生活圈：步行路网 15 分钟（75 米/分钟，1125 米），无路网时直线 1125 米。"
    " / Aggregates only, no person's data; recounted after every change. "
    "While figures are recounted after a change, answers carry the previous ones with "
    "stale=true; 503 only before the first count is done. Any area at any level (province, "
    "city, county, street, town, community, village); without area: the caller's own area. "
    "Members count in the area of their org (or of the nearest org above it with one); an "
    "area's figure is the sum over its children plus what sits on the area itself; levels "
    "not loaded are named in `missing`, never an error. Mobile out: destination outside the "
    "area; mobile in: org outside, helped by an org of the area or living in it; 15-minute "
    "circle: a 15-minute walk along the roads (75 m/min, 1125 m), or 1125 m straight when no "
    "walking network is loaded."
)


def _coverage_paths() -> dict:
    return {
        path: {
            "get": {
                "summary": summary,
                "description": _COVERAGE_RULES,
                "tags": ["覆盖分析"],
                "responses": {
                    "200": _XLSX if path.endswith(".xlsx") else _JSON,
                    "400": ERROR,
                    "404": ERROR,
                },
            }
        }
        for path, summary in (
            ("/api/v1/coverage", "服务圈覆盖：网格、社区、街道 / coverage by service circles"),
            ("/api/v1/coverage/gaps", "覆盖缺口排名 / uncovered grids and communities ranked"),
            ("/api/v1/coverage/service-areas", "服务范围图层 service_areas / service areas"),
            ("/api/v1/coverage/export.xlsx", "覆盖分析导出 XLSX / coverage workbook"),
        )
    }


def _plan_body() -> dict:
    from mapsvc.coverage.routes import MAX_CANDIDATES, PLAN_MAX_SITES

    return _json_body(
        {
            "type": "object",
            "required": ["k"],
            "properties": {
                "k": {"type": "integer", "minimum": 1, "maximum": PLAN_MAX_SITES},
                "radius_m": {"type": "number", "minimum": MIN_REACH_M, "maximum": MAX_RADIUS_M},
                "minutes": {"type": "number", "exclusiveMinimum": 0},
                "candidates": {
                    "description": '"grid_centroids" 或点列表 [[lon, lat], …]',
                    "oneOf": [
                        {"type": "string", "enum": ["grid_centroids"]},
                        {"type": "array", "maxItems": MAX_CANDIDATES},
                    ],
                },
                "crs": {"type": "string"},
                "keep_existing": {"type": "boolean"},
            },
        }
    )


def _stats_paths() -> dict:
    return {
        path: {
            "get": {
                "summary": summary,
                "description": _STATS_RULES,
                "tags": ["大屏统计"],
                "responses": {"200": _JSON, "400": ERROR, "404": ERROR, "503": ERROR},
            }
        }
        for path, summary in (
            (
                "/api/v1/stats/overview",
                "总览：党员、党组织、服务点、生活圈与组织覆盖 / headline figures",
            ),
            ("/api/v1/stats/areas", "下一级区划排名 / the areas one level below, ranked"),
            ("/api/v1/stats/streets", "各街道（镇）排名 / streets and towns ranked"),
            ("/api/v1/stats/flows", "流动党员去向城市 / mobile members' destinations"),
            (
                "/api/v1/stats/map",
                "大屏地图：边界、党员密度、支部分布、服务点 / the screen's map layers",
            ),
        )
    }


def _map_paths() -> dict:
    """Behind the map page (mapsvc.webmap)."""
    return {
        "/api/v1/orgs/{org_id}/summary": {
            "get": {
                "summary": "党组织概况（地图侧栏）/ an org's record for the map panel",
                "description": "名称、编码、层级、类别、上级组织链（自上而下）、书记、党员人数（正式、预备，"
                "含全部下级组织）、流动党员（外出、流入）、最近的党群服务中心。 / Name, code, level, "
                "category, the chain of parent orgs (root first), secretary, members by status over "
                "the org's subtree, mobile members (away, coming in), the nearest service point.",
                "tags": ["党组织"],
                "parameters": [
                    {
                        "name": "org_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"200": _JSON, "404": ERROR},
            }
        },
        "/api/v1/branch-counts": {
            "get": {
                "summary": "各区划党支部与党员数 / branches and members per area of a level",
                "description": "地图低缩放级别的党支部汇总：level=city、county 或 street（缺省，"
                "街道与镇乡）的每个区划一个点（面内一点），不含个人信息。 / The branches layer at "
                "low zoom: one point per area of the level (city, county, or street and town by "
                "default; a point on its surface) with counts; no personal data.",
                "tags": ["查询"],
                "responses": {
                    "200": {
                        "description": "GeoJSON FeatureCollection",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def _lookup_paths() -> dict:
    return {
        "/api/v1/nearest": {
            "get": {
                "summary": "最近的党支部、服务点、流动党员党支部 / nearest sites",
                "tags": ["查询"],
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
                "responses": {"200": _JSON, "400": ERROR, "404": ERROR},
            }
        },
        "/api/v1/search": {
            "get": {
                "summary": "按名称、编码、拼音首字母搜索 / search",
                "tags": ["查询"],
                "responses": {"200": _JSON, "400": ERROR},
            }
        },
    }


def _member_paths() -> dict:
    return {
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
    }


def _report_schema() -> dict:
    from mapsvc.positions.service import MAX_REPORT_ID, MAX_REPORTS, SOURCES

    report = {
        "type": "object",
        "required": ["report_id", "member_id", "lon", "lat", "reported_at"],
        "properties": {
            "report_id": {"type": "string", "minLength": 1, "maxLength": MAX_REPORT_ID},
            "member_id": {"type": "integer", "minimum": 1},
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "crs": {"type": "string"},
            "reported_at": {"type": "string", "format": "date-time"},
            "accuracy_m": {"type": "number", "minimum": 0},
            "source": {"type": "string", "enum": list(SOURCES)},
        },
    }
    return {
        "type": "object",
        "required": ["reports"],
        "properties": {
            "reports": {"type": "array", "minItems": 1, "maxItems": MAX_REPORTS, "items": report}
        },
    }


def _position_paths() -> dict:
    return {
        "/api/v1/positions": {
            "post": {
                "summary": "上报位置（批量，report_id 去重）/ report positions",
                "tags": ["位置"],
                "requestBody": _json_body(_report_schema()),
                "responses": {"200": _JSON, "400": ERROR},
            }
        },
        "/api/v1/members/{member_id}/positions": {
            "get": {
                "summary": "党员位置历史 / a member's positions",
                "tags": ["位置"],
                "parameters": [_MEMBER],
                "responses": {"200": _JSON, "400": ERROR, "404": ERROR},
            }
        },
    }


def _import_body() -> dict:
    from mapsvc.exchange.imports import KINDS

    return _json_body(
        {
            "type": "object",
            "required": ["file", "kind"],
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "kind": {"type": "string", "enum": list(KINDS)},
                "crs": {"type": "string"},
                "dry_run": {"type": "boolean"},
                "partial": {"type": "boolean"},
            },
        },
        "multipart/form-data",
    )


_JOB = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _import_paths() -> dict:
    """Imports are jobs: upload (202), poll, list, cancel."""
    tags = ["导入导出"]
    cancel = {
        "summary": "取消导入任务 / cancel an import job",
        "tags": tags,
        "parameters": [_JOB],
        "responses": {"200": _JSON, "202": _JSON, "404": ERROR, "409": ERROR},
    }
    return {
        "/api/v1/imports": {
            "post": {
                "summary": "导入文件（GeoJSON、GeoPackage、Shapefile、CSV、XLSX），"
                "作为后台任务运行 / import a file as a background job (202: poll the job)",
                "tags": tags,
                "requestBody": _import_body(),
                "responses": {"202": _JSON, "400": ERROR, "409": ERROR, "413": ERROR},
            },
            "get": {
                "summary": "我的导入任务 / my import jobs (admins: all)",
                "tags": tags,
                "responses": {"200": _JSON},
            },
        },
        "/api/v1/imports/{job_id}": {
            "get": {
                "summary": "导入任务：状态、进度、报告 / an import job: status, progress, report",
                "tags": tags,
                "parameters": [_JOB],
                "responses": {"200": _JSON, "404": ERROR},
            },
            "delete": cancel,
        },
        "/api/v1/imports/{job_id}/cancel": {"post": cancel},
    }


def _other_paths() -> dict:
    """Every /api/v1 operation besides the records', without its query parameters."""
    return {
        **_coverage_paths(),
        "/api/v1/coverage/plan": {
            "post": {
                "summary": "新服务点选址（最大覆盖）/ site suggestions (maximal covering)",
                "tags": ["覆盖分析"],
                "requestBody": _plan_body(),
                "responses": {"200": _JSON, "400": ERROR},
            }
        },
        **_stats_paths(),
        "/api/v1/org-coverage": {
            "get": {
                "summary": "组织覆盖（两个覆盖）/ organisation coverage",
                "tags": ["覆盖分析"],
                "responses": {"200": _JSON, "400": ERROR, "404": ERROR},
            }
        },
        **_map_paths(),
        **_lookup_paths(),
        **_member_paths(),
        **_position_paths(),
        **_import_paths(),
        "/api/v1/openapi.json": {
            "get": {
                "summary": "本文档 / this document",
                "tags": ["文档"],
                "responses": {"200": _JSON},
            }
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
                "responses": {"200": _JSON, "400": ERROR, "401": ERROR, "403": ERROR},
            }
        },
    }


# paths anyone may call without logging in
OPEN_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /members/<int:member_id> → /members/{member_id}."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


@functools.cache
def api_views() -> dict[tuple[str, str], Callable]:
    """Every /api/v1 operation of the service, (path, method) → its view function.

    Read from the blueprints the app registers (mapsvc.app.BLUEPRINTS) on an app of its own,
    so the document is the same with or without a running app.
    """
    from mapsvc.app import BLUEPRINTS

    app = Flask(__name__)
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    views = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                views[openapi_path(rule.rule), method.lower()] = app.view_functions[rule.endpoint]
    return views


def _add_query_parameters(paths: dict) -> None:
    """Each operation's query parameters, from its view's declaration."""
    for (path, method), view in api_views().items():
        op = paths.get(path, {}).get(method)
        declared = query_parameters(getattr(view, "params", ()))
        if op is None or not declared:
            continue
        op["parameters"] = [*op.get("parameters", []), *declared]
        op["responses"].setdefault("400", ERROR)  # a parameter refused


def _paths() -> tuple[dict, dict]:
    paths: dict = {}
    schemas: dict = {}
    for r in RESOURCES.values():
        paths.update(_record_paths(r))
        schemas.update(_record_schemas(r))
    paths.update(_other_paths())
    paths = copy.deepcopy(paths)  # the shared pieces (ERROR, _JSON …) stay as they are
    _add_query_parameters(paths)
    for path, ops in paths.items():
        for op in ops.values():
            if path in OPEN_PATHS:
                op["security"] = []
            else:  # no login: 401; a role or scope that may not: 403
                op["responses"].setdefault("401", ERROR)
                op["responses"].setdefault("403", ERROR)
    return paths, schemas


def document() -> dict:
    """The whole OpenAPI document."""
    paths, schemas = _paths()
    schemas = {
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
        **schemas,
    }
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
