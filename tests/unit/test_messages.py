"""The one message table: every key the code names exists, and fills with the values given.

The service's source is read with `ast`: calls of the domain errors (mapsvc.domain.errors),
of the records' problem constructors (Problem.of, Problem.about, _Bad.of), of `words` and of
the file readers' refuse/warn, whose message key is a literal. Also: no Chinese is left in the strings of the modules that now speak
through the table, and Invalid answers exactly as the records API always has.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from mapsvc.domain import errors as domain
from mapsvc.domain.messages import MESSAGES, Words
from mapsvc.domain.vocabulary import FILE_UNITS
from mapsvc.exchange import formats
from mapsvc.http.errors import status_of
from mapsvc.records import validation
from mapsvc.records.catalog import Field

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "mapsvc").rglob("*.py"))
DOMAIN_ERRORS = {
    name
    for name, obj in vars(domain).items()
    if isinstance(obj, type) and issubclass(obj, domain.DomainError)
}
# (receiver, method) → position of the message key among the positional arguments
CONSTRUCTORS = {
    ("Problem", "of"): 1,
    ("Problem", "about"): 1,
    ("_Bad", "of"): 0,
    ("exchange", "refuse"): 0,
}
# functions called by name → position of the message key (messages.words; exchange.table's
# refuse and warn, which the file readers import)
FUNCTIONS = {"words": 0, "refuse": 0, "warn": 0}
NOT_VALUES = {"as_code", "extra", "severity", "field_name"}  # keywords, not template values
# Han ideographs, CJK punctuation (、。「」…) and full-width forms (：，（）…)
CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
SPEAKING_MODULES = {
    "mapsvc/records/validation.py": {
        # words the service reads, not says: yes/no answers, Chinese dates, list separators;
        # and the roads' line field, whose label is vocabulary like the catalog's
        "_TRUE_WORDS",
        "_FALSE_WORDS",
        "_DATE_RE",
        "_LIST_SEPARATORS",
        "_ROAD_LINE",
    },
    "mapsvc/records/members.py": set(),
    "mapsvc/access/accounts.py": set(),
    "mapsvc/positions/service.py": set(),
    # the import/export modules: every word a person reads comes from the table, every word
    # the service reads (header aliases, unit names, job statuses) from domain.vocabulary
    **{f"mapsvc/exchange/{p.name}": set() for p in (ROOT / "mapsvc/exchange").glob("*.py")},
}


def _domain_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names a module binds to domain error classes, and to the domain.errors module."""
    classes, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "mapsvc.domain.errors":
            classes |= {a.asname or a.name for a in node.names if a.name in DOMAIN_ERRORS}
        elif isinstance(node, ast.ImportFrom) and node.module == "mapsvc.domain":
            modules |= {a.asname or a.name for a in node.names if a.name == "errors"}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == "mapsvc.domain.errors"}
    return classes, modules


def _key_position(call: ast.Call, classes: set[str], modules: set[str]) -> int | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in classes:
        return 0
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        return FUNCTIONS[func.id]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in modules and func.attr in DOMAIN_ERRORS:
            return 0
        return CONSTRUCTORS.get((func.value.id, func.attr))
    return None


def _message_calls() -> list[tuple[str, str, set[str] | None]]:
    """(where, key, value names or None when some are passed as **values) for each call."""
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes, modules = _domain_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            pos = _key_position(node, classes, modules)
            if pos is None or len(node.args) <= pos:
                continue
            key = node.args[pos]
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            names = {k.arg for k in node.keywords}
            values = None if None in names else names - NOT_VALUES
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append((where, key.value, values))
    return found


CALLS = _message_calls()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


class _Any:
    """A value that accepts any format spec, to fill templates whatever their specs."""

    def __format__(self, spec: str) -> str:
        return "x"


def test_the_scan_finds_the_calls():
    keys = {key for _, key, _ in CALLS}
    # one of each kind of call: a domain error, Problem.of, Problem.about, _Bad.of, words,
    # exchange.refuse, the readers' refuse and warn
    assert {"missing_parameter", "has_members", "unknown_reference", "bad_date"} <= keys
    assert {"import_worker_gone", "unreadable_file", "no_known_columns", "crs_assumed"} <= keys
    assert len(CALLS) > 80


@pytest.mark.parametrize(("where", "key", "values"), CALLS, ids=[c[0] for c in CALLS])
def test_every_key_exists_and_fills(where, key, values):
    assert key in MESSAGES, f"{where}: no message {key!r} in domain.messages.MESSAGES"
    words = MESSAGES[key]
    if values is None:
        return  # values passed as **kwargs: checked where they are built
    wanted = _fields(words.zh) | _fields(words.en)
    assert wanted <= values, f"{where}: {key} needs {sorted(wanted - values)}"
    assert values <= wanted, f"{where}: {key} does not use {sorted(values - wanted)}"
    filled = {name: _Any() for name in values}
    assert words.zh.format(**filled) and words.en.format(**filled)


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_templates(key):
    words = MESSAGES[key]
    assert isinstance(words, Words)
    assert words.zh.strip() and words.en.strip(), key
    _fields(words.zh), _fields(words.en)  # well-formed braces
    assert not CJK.search(words.en), f"{key}: Chinese in the English template"
    assert words.code is None or re.fullmatch(r"[a-z][a-z0-9_]*", words.code)


def test_keys_chosen_at_run_time_exist():
    for name in validation._CONSTRAINTS:
        assert name in MESSAGES and not _fields(MESSAGES[name].zh)
    for reason, key in validation._GEOS_REASONS.items():
        assert MESSAGES[key].en == reason
    for key in ("about_field", "enum_choice", "choice_separator", "list_more"):
        assert key in MESSAGES
    # the import report's heads by status, and where a problem is (row or feature)
    for status in ("written", "dry_run", "rejected", "cancelled", "dry_run_rejected"):
        assert f"import_head_{status}" in MESSAGES
    for unit in FILE_UNITS:
        assert f"import_at_{unit}" in MESSAGES
    # a reader's refusal when its file names no coordinate system
    for module in formats.READERS.values():
        assert module.NO_CRS is None or module.NO_CRS in MESSAGES


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    return {
        id(n.body[0].value)
        for n in nodes
        if n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
        and isinstance(n.body[0].value.value, str)
    }


def _allowed(tree: ast.Module, names: set[str]) -> set[int]:
    """Ids of the nodes inside module-level assignments to the allowed names."""
    allowed = set()
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            allowed |= {id(n) for n in ast.walk(stmt)}
    return allowed


@pytest.mark.parametrize("module", sorted(SPEAKING_MODULES))
def test_no_chinese_left_in_the_code(module):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _allowed(tree, SPEAKING_MODULES[module])
    chinese = [
        f"{module}:{n.lineno}: {n.value!r}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in skip
        and CJK.search(n.value)
    ]
    assert not chinese, "words belong in domain.messages:\n" + "\n".join(chinese)


# ---------------------------------------------------------------- the answers stay the same
PHONE = Field("phone", "text", "手机号")


def test_problem_about_leads_with_the_field():
    p = validation.Problem.about(PHONE, "required")
    assert p.as_dict() == {
        "field": "phone",
        "code": "required",
        "message": "手机号：必填",
        "message_en": "phone: required",
        "severity": "error",
    }


def test_a_shared_wire_code():
    p = validation.Problem.of("x", "not_an_integer_value", value="1.5")
    assert (p.code, p.message, p.message_en) == (
        "not_a_number",
        "应为整数：1.5",
        "must be an integer: 1.5",
    )
    warn = validation.Problem.of(
        "org_code", "branch_over_50", severity="warning", code="B1", count=60, most=50
    )
    assert warn.severity == "warning" and warn.code == "branch_over_50"
    assert warn.message == "党支部 B1 有 60 名党员，超过 50 人，宜改设党总支"


def test_a_value_refused_says_why_in_both_languages():
    with pytest.raises(validation.Invalid) as exc:
        validation.filter_value(Field("n", "int", "数量", maximum=10), "12")
    (p,) = exc.value.problems
    assert (p.code, p.message, p.message_en) == (
        "out_of_range",
        "数量：不能大于 10：12",
        "n: must be at most 10: 12",
    )


def test_enum_choices_are_listed_in_each_language():
    f = Field("level", "enum", "级别", enum={"a": "甲", "b": "乙"})
    with pytest.raises(validation.Invalid) as exc:
        validation.filter_value(f, "c")
    (p,) = exc.value.problems
    assert p.message == "级别：未知的取值 c，可选：a（甲）、b（乙）"
    assert p.message_en == "level: unknown value c; one of: a, b"


def _two():
    return [
        validation.Problem.about(PHONE, "required"),
        validation.Problem.of("name", "unknown_field", name="name"),
    ]


def test_invalid_is_a_domain_error_answering_as_the_records_api_did():
    one, two = _two()
    err = validation.Invalid([one])
    assert isinstance(err, domain.BadInput) and status_of(err) == 400
    assert err.problems == [one]
    assert err.as_dict() == {
        "code": "invalid_record",
        "message": "手机号：必填；未做任何修改",
        "message_en": "phone: required; nothing was changed",
        "errors": [one.as_dict()],
    }
    many = validation.Invalid([one, two])
    assert many.as_dict() == {
        "code": "invalid_record",
        "message": "手机号：必填（共 2 处问题）；未做任何修改",
        "message_en": "phone: required (2 problems); nothing was changed",
        "errors": [one.as_dict(), two.as_dict()],
    }
    assert str(many) == "phone: required; unknown field: name"


def test_a_duplicate_is_invalid_and_a_conflict():
    err = validation.Duplicate(_two()[:1])
    assert isinstance(err, validation.Invalid) and isinstance(err, domain.Conflict)
    assert status_of(err) == 409 and err.as_dict()["code"] == "invalid_record"


def test_the_http_mapping_needs_no_special_case():
    from flask import Flask

    from mapsvc.http import errors as http_errors

    app = Flask(__name__)
    http_errors.register(app)
    problems = _two()

    @app.post("/api/v1/x")
    def _refuse():
        raise validation.Invalid(problems)

    res = app.test_client().post("/api/v1/x")
    assert res.status_code == 400
    assert res.get_json() == validation.Invalid(problems).as_dict()


def test_parse_value_types_or_refuses_in_the_given_crs():
    point = Field("destination_point", "point", "流入地位置")
    assert validation.parse_value(point, {"lon": 109.7, "lat": 38.3}).x == 109.7
    assert validation.parse_value(Field("since", "date", "外出日期"), "  ") is None
    with pytest.raises(validation.Invalid) as exc:
        validation.parse_value(point, {"lon": 38.3, "lat": 109.7})
    assert exc.value.problems[0].code == "swapped_lonlat"
    assert exc.value.problems[0].message.startswith("流入地位置：")
    gcj = validation.crsmod.parse_crs("gcj02")
    assert validation.parse_value(point, {"lon": 109.7, "lat": 38.3}, gcj).x != 109.7
