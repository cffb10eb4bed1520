"""Property-based fuzz of /ogc with schemathesis, from the document /ogc/api serves.

Every operation is called with generated requests, valid and invalid, as an admin, on the
session database (/ogc only reads). Whatever the input: no 5xx, a status the document
describes, and errors in the described shape.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from layers import all_layers
from mapsvc.ogc.openapi import document

SEED = 20261125
MAX_EXAMPLES = 15
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(
    document("http://localhost/ogc", all_layers()), config=CONFIG
)


@pytest.fixture()
def ogc_app(app, admin_token):
    app.config["FUZZ_TOKEN"] = admin_token
    return app


def test_served_document_is_fuzzed(client):
    served = client.get("/ogc/api").get_json()
    assert served["paths"].keys() == document("http://localhost/ogc", all_layers())["paths"].keys()


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_ogc_fuzz(case, ogc_app):
    case.call_and_validate(
        app=ogc_app,
        headers={"Authorization": f"Bearer {ogc_app.config['FUZZ_TOKEN']}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
