"""One vocabulary: the domain's words and rules stand alone, every catalog and service reads
them, and services refuse with domain errors whose words are the ones clients always got."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_domain_loads_nothing_else_of_the_service():
    code = (
        "import sys, mapsvc.domain, mapsvc.domain.vocabulary, mapsvc.domain.rules, "
        "mapsvc.domain.errors, mapsvc.domain.messages\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    ours = [m for m in out if m.split(".")[0] in ("mapsvc", "layers", "geodata")]
    outside = [m for m in ours if m != "mapsvc" and not m.startswith("mapsvc.domain")]
    assert not outside, outside
    assert "mapsvc.domain.rules" in ours and "mapsvc.domain.vocabulary" in ours
    io = [m for m in out if m.split(".")[0] in ("flask", "werkzeug", "psycopg2", "sqlalchemy")]
    assert not io, io


# modules that do the work behind the routes: they raise domain errors, never HTTP ones
_SERVICE_NAMES = ("service.py", "search.py", "summary.py", "imports.py")


def _service_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "mapsvc").rglob("*.py") if p.name in _SERVICE_NAMES)


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_services_import_neither_flask_nor_mapsvc_http():
    modules = _service_modules()
    assert len(modules) >= 8, modules
    for path in modules:
        imported = _imported(ast.parse(path.read_text(encoding="utf-8")))
        web = {
            m
            for m in imported
            if m.split(".")[0] in ("flask", "werkzeug") or m.startswith("mapsvc.http")
        }
        assert not web, (path.relative_to(ROOT), web)


def _raised_codes() -> list[tuple[str, str]]:
    """(module, code) of every DomainError subclass raised with a literal code in mapsvc."""
    from mapsvc.domain import errors

    classes = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, errors.DomainError)
    }
    found = []
    for path in sorted((ROOT / "mapsvc").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in classes
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append((str(path.relative_to(ROOT)), node.args[0].value))
    return found


def test_every_code_raised_has_its_words():
    from mapsvc.domain.messages import MESSAGES

    raised = _raised_codes()
    assert any(m.endswith("coverage/service.py") for m, _ in raised)
    missing = [(m, c) for m, c in raised if c not in MESSAGES]
    assert not missing, missing


def _body(exc_class, code, **kw) -> dict:
    return exc_class(code, **kw).as_dict()


def test_service_refusals_read_as_they_always_did():
    """The wire words of the converted services, against the texts they were written as."""
    from mapsvc.domain.errors import BadInput, NotFound, Unavailable

    r, lo, hi = 5e-324, 1.0, 20_000.0
    assert _body(BadInput, "radius_out_of_range", lo=lo, hi=hi, radius_m=r) == {
        "code": "out_of_range",
        "message": f"radius_m 应在 {lo:.0f} 到 {hi:.0f} 米之间：{r:g}",
        "message_en": f"radius_m must be between {lo:.0f} and {hi:.0f} metres: {r:g}",
    }
    assert _body(BadInput, "radius_and_minutes")["code"] == "conflicting_parameters"
    assert _body(BadInput, "minutes_not_positive", minutes=-2.5) == {
        "code": "out_of_range",
        "message": "minutes 应大于 0：-2.5",
        "message_en": "minutes must be > 0: -2.5",
    }
    assert _body(BadInput, "minutes_too_short", lo=lo, minutes=0.001)["message_en"] == (
        "minutes is too short: a walk under 1 m: 0.001"
    )
    walk = _body(BadInput, "beyond_walk_reach", longest=3000.0, horizon=2250.0, most=30.0)
    assert walk["message"] == "步行范围 3000 米超过预先计算的路网步行范围 2250 米（最多约 30 分钟）"
    assert walk["message_en"] == (
        "a walk of 3000 m exceeds the precomputed road walks of 2250 m (at most about 30 minutes)"
    )
    many = _body(
        BadInput,
        "too_many_reports",
        most=1000,
        got=1001,
        extra={"kept": False, "max_reports": 1000},
    )
    assert many == {
        "code": "too_many_reports",
        "message": "一次最多提交 1000 条位置报告，本次 1001 条；本批次未保存任何记录，请分批提交",
        "message_en": "at most 1000 position reports per request, got 1001; nothing was stored, "
        "send them in smaller batches",
        "kept": False,
        "max_reports": 1000,
    }
    body = _body(BadInput, "reports_not_an_object", extra={"kept": False})
    assert body["code"] == "invalid_body"
    assert body["message"] == '请求体应为 JSON 对象 {"reports": [...]}；本批次未保存任何记录'
    assert body["message_en"] == (
        'the body must be a JSON object {"reports": [...]}; nothing was stored'
    )
    naive = _body(
        BadInput, "time_parameter", as_code="naive_time", problem_zh="since {x}", problem_en="x"
    )
    assert naive == {"code": "naive_time", "message": "参数 since {x}", "message_en": "parameter x"}
    assert _body(BadInput, "unknown_street", street="610802999000", district="榆阳区") == {
        "code": "unknown_street",
        "message": "榆阳区没有代码为 610802999000 的街道（镇）",
        "message_en": "610802999000 is not a street or town of 榆阳区",
    }
    assert _body(NotFound, "no_district")["code"] == "no_district"
    busy = _body(Unavailable, "figures_computing", extra={"retry_after_s": 3})
    assert busy["retry_after_s"] == 3 and busy["message"] == "统计数据正在计算，请稍后再试"


def test_the_rules_are_stated_once():
    from layers import catalog as layer_catalog
    from mapsvc.coverage import service as cov
    from mapsvc.domain import rules
    from mapsvc.lookup import service as lookup
    from mapsvc.records import validation
    from mapsvc.stats import service as stats

    for module in (cov, validation):
        assert module.MIN_FULL_MEMBERS is rules.MIN_FULL_MEMBERS == 3
        assert module.MAX_BRANCH_MEMBERS is rules.MAX_BRANCH_MEMBERS == 50
    assert cov.LEVEL_REACH_M is rules.LEVEL_REACH_M
    assert json.loads(layer_catalog.REACH["reach"]) == rules.LEVEL_REACH_M
    assert cov.WALKING_SPEED_M_PER_MIN is lookup.WALKING_SPEED_M_PER_MIN
    assert stats.CIRCLE_RADIUS_M == stats.CIRCLE_MINUTES * rules.WALKING_SPEED_M_PER_MIN


def test_the_site_kinds_are_the_vocabularys():
    from mapsvc.domain import vocabulary as words
    from mapsvc.lookup import routes
    from mapsvc.lookup import service as lookup

    assert lookup.KINDS.keys() == words.SITE_KINDS.keys()
    assert routes.KIND_LABELS is words.SITE_KINDS


def test_roads_are_importable_but_not_served():
    from mapsvc.domain import vocabulary as words
    from mapsvc.exchange import imports
    from mapsvc.records import catalog

    assert imports.KINDS["roads"] is catalog.ROADS
    assert "roads" not in catalog.RESOURCES and "roads" not in catalog.BY_KIND
    assert catalog.ROADS.field("kind").enum is words.ROAD_KINDS


# each layer and the record kind its rows are
_LAYER_RECORDS = {
    "admin_areas": "admin-areas",
    "grids": "grids",
    "service_points": "service-points",
    "service_circles": "service-points",
    "branches": "orgs",
    "migrant_groups": "orgs",
    "mobile_member_points": "members",
    "roads": "roads",
}


@pytest.mark.parametrize("layer_id", sorted(_LAYER_RECORDS))
def test_a_layer_and_its_record_kind_label_a_field_alike(layer_id):
    from layers import all_layers
    from mapsvc.domain import vocabulary as words
    from mapsvc.records import catalog

    kinds = {**catalog.RESOURCES, "roads": catalog.ROADS}
    resource = kinds[_LAYER_RECORDS[layer_id]]
    fields = {f.name: f for f in resource.fields}
    shared = [p for p in all_layers()[layer_id].properties if p.name in fields]
    assert shared, layer_id
    vocabularies = [v for v in vars(words).values() if isinstance(v, dict)]
    for p in shared:
        f = fields[p.name]
        assert p.zh == f.zh, (layer_id, p.name, p.zh, f.zh)
        if p.enum or f.enum:
            assert p.enum is f.enum and any(p.enum is v for v in vocabularies), (layer_id, p.name)
