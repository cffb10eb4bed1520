"""The service's role (migration 0013): owns nothing, writes rows, only appends to the audit log."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import errors

from mapsvc.infra.config import app_role
from mapsvc.infra.db import libpq_dsn
from tests.conftest import service_url


@pytest.fixture()
def as_app(empty_db_url):
    """A connection to the empty test database as the service's role; rolled back after."""
    conn = psycopg2.connect(libpq_dsn(service_url(empty_db_url)))
    yield conn
    conn.rollback()
    conn.close()


def _refused(conn, statement: str) -> None:
    with conn.cursor() as cur, pytest.raises(errors.InsufficientPrivilege) as caught:
        cur.execute(statement)
    conn.rollback()
    assert "permission denied" in str(caught.value) or "must be owner" in str(caught.value)


def test_the_service_connects_as_its_own_role_which_owns_nothing(as_app, empty_db_url):
    with as_app.cursor() as cur:
        cur.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
            " WHERE rolname = current_user"
        )
        assert cur.fetchone() == (app_role(), False, False, False)
        cur.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
            " WHERE rolname = current_user)"
        )
        assert cur.fetchone()[0] == 0
    with psycopg2.connect(libpq_dsn(empty_db_url)) as owner, owner.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone()[0] != app_role()  # migrations and the CLI stay the owner


def test_the_audit_log_is_read_and_appended_never_rewritten(as_app):
    with as_app.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_log (user_name, action, target) VALUES ('t', 'probe', 'x')"
            " RETURNING id"
        )
        cur.execute("SELECT count(*) FROM audit_log WHERE action = 'probe'")
        assert cur.fetchone()[0] == 1
    as_app.commit()
    for statement in (
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        _refused(as_app, statement)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "ALTER TABLE members ADD COLUMN x int",
        "DROP TABLE audit_log",
        "DROP TABLE members",
        "DROP FUNCTION audit_log_append_only() CASCADE",
        "TRUNCATE members",
        "CREATE TABLE public.intruder (id int)",
        "UPDATE alembic_version SET version_num = '0001'",
        "CREATE SCHEMA intruder",
    ],
)
def test_the_role_cannot_change_the_schema(as_app, statement):
    _refused(as_app, statement)


COLUMNS = {
    "party_orgs": "name",
    "members": "name",
    "grids": "name",
    "service_points": "name",
    "users": "active",
    "import_jobs": "status",
}


def test_the_role_reads_and_writes_the_data(as_app):
    # privileges are checked whether or not a row matches: no rows needed
    with as_app.cursor() as cur:
        for table, column in COLUMNS.items():
            cur.execute(f"SELECT count(*) FROM {table}")
            cur.execute(f"UPDATE {table} SET {column} = {column} WHERE false")
            cur.execute(f"DELETE FROM {table} WHERE false")
        cur.execute("INSERT INTO members (name) SELECT name FROM members WHERE false")
        cur.execute("SELECT refresh_road_walks()")  # a road import empties road_walks
    as_app.rollback()


def test_tables_of_later_migrations_come_granted(empty_db_url, as_app):
    owner = psycopg2.connect(libpq_dsn(empty_db_url))
    try:
        with owner.cursor() as cur:
            cur.execute("CREATE TABLE later_feature (id serial PRIMARY KEY, note text)")
        owner.commit()
        with as_app.cursor() as cur:
            cur.execute("INSERT INTO later_feature (note) VALUES ('ok') RETURNING id")
            cur.execute("SELECT count(*) FROM later_feature")
            assert cur.fetchone()[0] == 1
        as_app.rollback()
        _refused(as_app, "DROP TABLE later_feature")
    finally:
        with owner.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS later_feature")
        owner.commit()
        owner.close()


def test_the_service_url_is_the_owners_server_as_the_role(monkeypatch):
    from mapsvc.infra.config import app_database_url

    owner = "postgresql://owner:secret@db.example:5432/mapsvc"
    monkeypatch.delenv("MAPSVC_APP_DATABASE_URL", raising=False)
    monkeypatch.delenv("MAPSVC_APP_DB_PASSWORD", raising=False)
    monkeypatch.delenv("MAPSVC_APP_ROLE", raising=False)
    assert app_database_url(owner) == "postgresql://mapsvc_app@db.example:5432/mapsvc"
    monkeypatch.setenv("MAPSVC_APP_DB_PASSWORD", "pw")
    monkeypatch.setenv("MAPSVC_APP_ROLE", "map_web")
    assert app_database_url(owner) == "postgresql://map_web:pw@db.example:5432/mapsvc"
    monkeypatch.setenv("MAPSVC_APP_DATABASE_URL", "postgresql://x:y@h/d")
    assert app_database_url(owner) == "postgresql://x:y@h/d"
