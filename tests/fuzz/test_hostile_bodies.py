"""The classes of hostile input (tests/fuzz/strategies.py) thrown at every POST and PATCH of
/api/v1 that takes a JSON body, as the OpenAPI document lists them: each answer is a 4xx with
a message in both languages, never a 5xx, and no table's row count changes.

The database is this file's own (the small demo city). PATCH and member operations aim at an
existing record, with its current version, so the hostile value reaches validation.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapsvc.infra.db import libpq_dsn
from tests.conftest import client_of, own_database
from tests.fuzz import strategies as hostile

TABLES = (
    "party_orgs",
    "members",
    "grids",
    "service_points",
    "admin_areas",
    "member_positions",
    "member_events",
)


@pytest.fixture(scope="module")
def url(server_url):
    """A database of this module's own with the small demo city."""
    with own_database(server_url, "hostile") as u:
        yield u


def _counts(url: str) -> dict:
    import psycopg2

    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        out = {}
        for t in TABLES:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (t,))
            if cur.fetchone()[0]:
                cur.execute(f"SELECT * FROM {t} LIMIT 0")  # names above, not input
                versioned = "version" in [c.name for c in cur.description]
                total = "sum(version)" if versioned else "0"
                cur.execute(f"SELECT count(*), {total} FROM {t}")
                out[t] = tuple(cur.fetchone())  # rows, and versions: no update either
        return out


def _schema_properties(doc: dict, op: dict) -> dict:
    schema = op["requestBody"]["content"]["application/json"].get("schema", {})
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    props = dict(schema.get("properties", {}))
    return props or {"name": {"type": "string"}, "lon": {"type": "number"}}


@pytest.fixture(scope="module")
def routes(url):
    """(method, path with keys filled, {property: JSON type}, version) of every JSON write."""
    client = client_of(url)
    doc = client.get("/api/v1/openapi.json").get_json()
    member = client.get("/api/v1/members?limit=1").get_json()["items"][0]
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {})
            if method not in ("post", "patch") or "application/json" not in body:
                continue
            version = None
            if "{key}" in path:
                kind = path.split("/")[3]
                item = client.get(f"/api/v1/{kind}?limit=1").get_json()["items"][0]
                key = item.get("id", item.get("code"))
                path, version = path.replace("{key}", str(key)), item["version"]
            if "{member_id}" in path:
                path, version = path.replace("{member_id}", str(member["id"])), member["version"]
            props = {
                name: (p.get("type") if isinstance(p.get("type"), str) else "string")
                for name, p in _schema_properties(doc, op).items()
                if name != "version"  # If-Match (sent) wins over a body's version
            }
            out.append((method, path, props, version))
    assert len(out) >= 12, out
    return out


@st.composite
def hostile_body(draw, props: dict) -> str:
    """A whole broken body, or one property given a hostile value of its type's class."""
    if draw(st.booleans()):
        return draw(hostile.whole_bodies)
    name = draw(st.sampled_from(sorted(props)))
    kind = props[name] if props[name] in ("number", "integer") else "string"
    return "{" + json.dumps(name) + ": " + draw(hostile.value_for(name, kind)) + "}"


def test_hostile_bodies_are_refused_with_words_and_write_nothing(url, routes):
    client = client_of(url)
    before = _counts(url)

    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def throw(data):
        for method, path, props, version in routes:
            body = data.draw(hostile_body(props), label=f"{method} {path}")
            headers = {"Content-Type": "application/json"}
            if version is not None:
                headers["If-Match"] = f'"{version}"'
            res = getattr(client, method)(
                path, data=body.encode("utf-8", "surrogatepass"), headers=headers
            )
            assert 400 <= res.status_code < 500, (method, path, body[:200], res.status_code)
            answer = res.get_json()
            assert answer and answer.get("message") and answer.get("message_en"), (
                method,
                path,
                body[:200],
                answer,
            )

    throw()
    assert _counts(url) == before
