"""Database connection: one engine per URL, shared by the service, the CLI and the tests."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg2
from psycopg2.extras import RealDictCursor
from sqlalchemy import Engine, create_engine

from mapsvc.infra.config import (  # noqa: F401 (re-exported)
    app_database_url,
    external_database_url,
    libpq_dsn,
)

T = TypeVar("T")


def database_url() -> str:
    """DATABASE_URL when set, otherwise the private cluster's URL."""
    from mapsvc.dev import cluster

    return external_database_url() or cluster.url()


def service_database_url() -> str:
    """The web service's URL: its own role's (see config.app_database_url), never the owner's
    that database_url() gives migrations and the command line."""
    return app_database_url(database_url())


@functools.lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """A pooled engine; pre-ping so the service recovers by itself after a database restart."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": 3,
            "application_name": "mapsvc",
            # hot-path statements are prepared once (mapsvc.infra.sql.execute); their plans do not
            # depend on the values, and planning them anew each time cost more than running them
            "options": "-c plan_cache_mode=force_generic_plan",
        },
    )


@contextmanager
def cursor(url: str) -> Iterator[RealDictCursor]:
    """A dict cursor on a pooled connection: committed on success, rolled back on error."""
    conn = engine_for(url).raw_connection()
    try:
        cur = conn.cursor(cursor_factory=RealDictCursor)
        yield cur
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()  # back to the pool


@functools.lru_cache(maxsize=8)
def _read_engine(url: str) -> Engine:
    """A pool of autocommit connections for hot read-only paths (tiles, features): no
    BEGIN/COMMIT and no pre-ping round trips; `read` replaces a connection found broken."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
        connect_args={
            "connect_timeout": 3,
            "application_name": "mapsvc-read",
            "options": "-c plan_cache_mode=force_generic_plan",
        },
    )


def read(url: str, work: Callable[[RealDictCursor], T]) -> T:
    """work(cursor) on an autocommit pooled connection, for read-only statements.

    Without a pre-ping, a connection may turn out dead (the database restarted): it is
    dropped from the pool and work runs once more on a fresh one, so the service recovers
    by itself as it does on the pinged pool.
    """
    for attempt in (1, 2):
        conn = _read_engine(url).raw_connection()
        try:
            return work(conn.cursor(cursor_factory=RealDictCursor))
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            conn.invalidate()
            if attempt == 2:
                raise
        finally:
            conn.close()
    raise AssertionError("unreachable")


@contextmanager
def savepoint(cur, name: str = "write") -> Iterator[None]:
    """Run a block so that a failure undoes only it, not the caller's transaction."""
    cur.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cur.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cur.execute(f"RELEASE SAVEPOINT {name}")
        raise
    cur.execute(f"RELEASE SAVEPOINT {name}")
