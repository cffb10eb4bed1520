"""Test setup: a database of the tests' own, created and dropped here, never the served one.

The server is the private cluster (started when needed) or the one DATABASE_URL names; the
test database gets a unique name on it, the migrations, and the `small` demo city.

Tests live in one folder per kind; the folder gives their markers (KINDS), so a new file is
marked by where it is put: `pytest -m "not browser and not slow"` is the fast loop.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from mapsvc.dev import cluster
from mapsvc.infra import migrate
from mapsvc.infra.config import app_database_url, external_database_url
from mapsvc.infra.db import database_url, engine_for, libpq_dsn

DEMO_SEED = 7

# the markers each folder's tests get; the markers are registered in pyproject.toml
KINDS: dict[str, tuple[str, ...]] = {
    "unit": (),
    "api": ("db",),
    "pages": ("db", "browser"),
    "fuzz": ("db", "fuzz", "slow"),
    "durability": ("db", "durability", "slow"),
}
TESTS = Path(__file__).parent
# a test that asks for one of these fixtures needs PostgreSQL, whatever its folder
DB_FIXTURES = frozenset({"server_url"})


def kind_of(path: Path) -> str | None:
    """The kind folder (unit, api, …) a test file lies in, None outside tests/<kind>/."""
    try:
        parts = Path(path).resolve().relative_to(TESTS.resolve()).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in KINDS else None


def markers_for(path: Path, fixturenames) -> list[str]:
    """The markers a test gets from its folder and from the fixtures it uses."""
    names = list(KINDS.get(kind_of(path) or "", ()))
    if "db" not in names and DB_FIXTURES.intersection(fixturenames):
        names.append("db")
    return names


def pytest_collection_modifyitems(config, items):
    """Mark every test by its folder (see KINDS) and by whether it needs the database."""
    for item in items:
        for name in markers_for(item.path, getattr(item, "fixturenames", ())):
            item.add_marker(name)


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the served database; its server hosts the test database too."""
    if not external_database_url():
        cluster.up()
    return database_url()


def _drop_database(server_url: str, name: str) -> None:
    maint = make_url(server_url).set(database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(libpq_dsn(maint))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _migrated_database(server_url: str, purpose: str):
    name = f"mapsvc_test_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    cluster.ensure_database(url)
    migrate.upgrade(url)
    return name, url


@contextmanager
def own_database(server_url: str, purpose: str, *, demo: bool = True) -> Iterator[str]:
    """A migrated database of its own (the small demo city in it unless demo=False), dropped
    afterwards: for a session, or a test module that writes."""
    name, url = _migrated_database(server_url, purpose)
    try:
        if demo:
            from geodata.demo import loader

            loader.load(url, scale="small", seed=DEMO_SEED, progress=lambda _msg: None)
        yield url
    finally:
        engine_for(url).dispose()
        _drop_database(server_url, name)


@pytest.fixture(scope="session")
def db_url(server_url: str):
    """A fresh, migrated database loaded with the small demo city; dropped at the end."""
    with own_database(server_url, "demo") as url:
        yield url


@pytest.fixture(scope="session")
def empty_db_url(server_url: str):
    """A fresh, migrated database with no rows, for tests that build their own records."""
    with own_database(server_url, "empty", demo=False) as url:
        yield url


def _rolled_back(url: str):
    c = psycopg2.connect(libpq_dsn(url))
    try:
        yield c
    finally:
        c.rollback()
        c.close()


@pytest.fixture()
def empty_conn(empty_db_url: str):
    """A psycopg2 connection to the empty database whose work is rolled back after the test."""
    yield from _rolled_back(empty_db_url)


@pytest.fixture()
def conn(db_url: str):
    """A psycopg2 connection whose work is rolled back after the test."""
    yield from _rolled_back(db_url)


def service_url(url: str) -> str:
    """The test database at url as the service's own role sees it (migration 0013 made it):
    the apps of the fixtures below run as that role, so the suite proves it is enough."""
    name = make_url(url).database
    return make_url(app_database_url(url)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture()
def app(db_url: str):
    """The Flask app pointed at the test database, connected as the service's role."""
    from mapsvc.app import create_app

    return create_app({"DATABASE_URL": service_url(db_url), "TESTING": True})


# ------------------------------------------------------------------ who is asking
def token_for(
    url: str,
    role: str = "admin",
    scope: str | None = None,
    grids: tuple[str, ...] = (),
    name: str | None = None,
) -> str:
    """A bearer token for a new account of the given role and scope in the database at url."""
    from mapsvc.access import accounts
    from mapsvc.infra.db import cursor

    name = name or f"t-{role}-{uuid.uuid4().hex[:10]}"
    with cursor(url) as cur:
        accounts.add_user(cur, name, role, scope, None, grid_codes=grids)
        return accounts.issue_token(cur, name)


def authorized(test_client, token: str):
    """test_client sending `Authorization: Bearer token` on every request."""
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test_client


def client_of(url: str, config: dict | None = None, **who):
    """A test client of an app on url, logged in (an admin unless role/scope say otherwise)."""
    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": service_url(url), "TESTING": True, **(config or {})})
    return authorized(app.test_client(), token_for(url, **who))


@pytest.fixture(scope="session")
def admin_token(db_url: str) -> str:
    """A token of an admin account in the test database."""
    return token_for(db_url, name="test-admin")


@pytest.fixture(scope="session")
def auth_headers(admin_token: str) -> dict:
    """Headers logging a browser context in as the admin (pages and their API calls)."""
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture()
def client(app, admin_token):
    """A test client of the app, logged in as an admin."""
    return authorized(app.test_client(), admin_token)


@pytest.fixture()
def anon_client(app):
    """A test client of the app with no login."""
    return app.test_client()


@pytest.fixture(scope="session")
def client_for(db_url: str):
    """client_for(role, scope=ORG_CODE, grids=(...)): a test client for such an account."""
    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": service_url(db_url), "TESTING": True})
    made: dict = {}

    def make(role: str, scope: str | None = None, grids: tuple[str, ...] = ()):
        key = (role, scope, tuple(grids))
        if key not in made:
            made[key] = token_for(db_url, role, scope, tuple(grids))
        return authorized(app.test_client(), made[key])

    return make


# ------------------------------------------------------------------ a live HTTP server (pages, OGC clients)
@pytest.fixture(scope="session")
def base_url(db_url: str):
    """The app on a free local port, served by a real HTTP server in a background thread."""
    import threading

    from werkzeug.serving import make_server

    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": service_url(db_url), "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
