"""/health tells operators whether the database answers (outages: tests/durability)."""

from __future__ import annotations

from mapsvc.infra.migrate import head_revision


def test_health_names_database_state_and_postgis_version(client):
    res = client.get("/health")
    assert res.status_code == 200
    body = res.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "up"
    assert body["postgis"].startswith("3.")
    assert body["pgrouting"]
    assert body["schema_revision"] == head_revision()
