"""The service's login role on the server (migration 0013 grants it the rows)."""

from __future__ import annotations

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from mapsvc.infra.config import libpq_dsn


def ensure_app_role(owner_url: str, app_url: str) -> None:
    """As the owner: create app_url's role when absent (roles are cluster-wide: a restore
    onto a new server needs it before its grants), and give it app_url's password if any."""
    app = make_url(app_url)
    if app.username == make_url(owner_url).username:
        return  # the operator chose to serve as the owner (MAPSVC_APP_DATABASE_URL)
    # roles are the server's, not a database's: the target database may not exist yet
    maint = make_url(owner_url).set(database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(libpq_dsn(maint))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app.username,))
            if cur.fetchone() is None:
                try:
                    cur.execute(
                        sql.SQL(
                            "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                        ).format(sql.Identifier(app.username))
                    )
                except psycopg2.errors.DuplicateObject:
                    pass  # made meanwhile by another database's migration
            if app.password:
                cur.execute(
                    sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(app.username), sql.Literal(str(app.password))
                    )
                )
    finally:
        conn.close()
