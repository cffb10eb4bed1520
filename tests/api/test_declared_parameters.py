"""/api/v1 query parameters are declared once: the declaration parses the request and is
the OpenAPI document's description, so the two cannot drift; refusals keep their words."""

from __future__ import annotations

import pytest

from mapsvc.app import create_app
from mapsvc.coverage import service as cov
from mapsvc.exchange.formats import EXPORT_MAX_ROWS
from mapsvc.http.openapi import api_views, document, openapi_path

OPS = sorted(api_views())


def _query_parameters(op: dict) -> list[dict]:
    return [p for p in op.get("parameters", []) if p["in"] == "query"]


def test_the_views_are_the_apps_api_routes():
    """The document walks the very routes the app serves."""
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(api_views())


@pytest.mark.parametrize(("path", "method"), OPS)
def test_every_api_route_of_ours_declares_its_query_parameters(path, method):
    """Every /api/v1 view says which query parameters it reads (possibly none)."""
    view = api_views()[path, method]
    assert hasattr(view, "params"), f"{method.upper()} {path}: no @declare"


@pytest.mark.parametrize(("path", "method"), OPS)
def test_the_documents_query_parameters_are_the_declaration(path, method):
    """The document lists exactly the declared query parameters, in their order."""
    view = api_views()[path, method]
    declared = [d for p in getattr(view, "params", ()) for d in p.openapi()]
    described = _query_parameters(document()["paths"][path][method])
    for d in described:
        # an optional parameter sent empty counts as not sent
        assert d.pop("allowEmptyValue", False) is (not d["required"]), d
    assert described == declared
    if declared:
        assert "400" in document()["paths"][path][method]["responses"]


def _schema(path: str, name: str, method: str = "get") -> dict:
    op = document()["paths"][path][method]
    return next(p["schema"] for p in _query_parameters(op) if p["name"] == name)


def test_limits_come_from_where_they_are_enforced():
    """Bounds and choices in the document are the constants the code checks."""
    radius = _schema("/api/v1/coverage", "radius_m")
    assert (radius["minimum"], radius["maximum"]) == (cov.MIN_REACH_M, cov.MAX_RADIUS_M)
    assert _schema("/api/v1/org-coverage", "min_full")["default"] == cov.MIN_FULL_MEMBERS
    assert _schema("/api/v1/orgs", "limit")["maximum"] == EXPORT_MAX_ROWS
    categories = _schema("/api/v1/nearest", "category")["enum"]
    assert {"station", "soe", "migrant"} <= set(categories)
    assert len(categories) == len(set(categories))


# ------------------------------------------------------------------ the words stay the same
@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        (
            "/api/v1/search",
            400,
            {
                "code": "missing_parameter",
                "message": "缺少参数 q（搜索词）",
                "message_en": "parameter q is missing",
            },
        ),
        (
            "/api/v1/search?q=" + "x" * 51,
            400,
            {
                "code": "too_long",
                "message": "搜索词不能超过 50 个字",
                "message_en": "q must be at most 50 characters",
            },
        ),
        (
            "/api/v1/locate?lon=110.5&lat=36.1",
            404,
            {
                "code": "outside_area",
                "message": "该位置（经度 110.500000，纬度 36.100000）不在本系统覆盖的任何行政区域内",
                "message_en": "the point (lon 110.500000, lat 36.100000) lies outside every "
                "administrative area this service covers",
            },
        ),
        (
            "/api/v1/org-coverage?distance_m=0.5",
            400,
            {
                "code": "out_of_range",
                "message": "distance_m 应在 1 到 200000 米之间：0.5",
                "message_en": "distance_m must be between 1 and 200000 metres: 0.5",
            },
        ),
        (
            "/api/v1/members/1/positions?since=2024-01-02T00:00:00Z&until=2024-01-01T00:00:00Z",
            400,
            {
                "code": "empty_range",
                "message": "参数 since 应早于 until",
                "message_en": "parameter since must be earlier than until",
            },
        ),
        (
            "/api/v1/members/999999999/positions",
            404,
            {
                "code": "unknown_member",
                "message": "没有 id 为 999999999 的党员",
                "message_en": "no member with id 999999999",
            },
        ),
        (
            "/api/v1/orgs/abc",
            404,
            {
                "code": "not_found",
                "message": "党组织 abc 不存在",
                "message_en": "org abc not found",
            },
        ),
        (
            "/api/v1/nearest?lon=109.7&lat=38.3&kind=service_point&category=soe",
            400,
            {
                "code": "unknown_category",
                "message": "未知的 category：soe（可选：district_centre、street_centre、"
                "community_centre、station）",
                "message_en": "unknown category: soe (one of: district_centre, street_centre, "
                "community_centre, station)",
            },
        ),
    ],
)
def test_refusals_of_query_parameters_keep_their_words(client, url, status, body):
    """A refused query parameter answers with the status and words it always had."""
    res = client.get(url)
    assert (res.status_code, res.get_json()) == (status, body)


def test_refusals_of_bodies_keep_their_words(client):
    """Refused bodies (plan, version, positions) keep their status and words."""
    res = client.post("/api/v1/coverage/plan", json={"k": 1, "x": 1, "a": 2})
    assert (res.status_code, res.get_json()) == (
        400,
        {
            "code": "unknown_field",
            "message": "未知字段：a、x",
            "message_en": "unknown fields: a, x",
        },
    )
    res = client.post("/api/v1/coverage/plan", json={"k": 1, "candidates": ["p"]})
    assert (res.status_code, res.get_json()) == (
        400,
        {
            "code": "invalid_candidates",
            "message": "第 1 个候选点无效：'p'",
            "message_en": "candidate 1 is not a point: 'p'",
        },
    )
    res = client.patch("/api/v1/orgs/1", json={"name": "x"}, headers={"If-Match": '"v1"'})
    assert (res.status_code, res.get_json()) == (
        400,
        {
            "code": "bad_version",
            "message": "版本号应为整数：v1",
            "message_en": "the version must be an integer: v1",
        },
    )
    res = client.post("/api/v1/positions", data=b"{", content_type="application/json")
    assert (res.status_code, res.get_json()) == (
        400,
        {
            "code": "invalid_json",
            "message": "请求体不是有效的 JSON；本批次未保存任何记录",
            "message_en": "the body is not valid JSON; nothing was stored",
            "kept": False,
        },
    )
