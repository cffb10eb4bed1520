"""Health of the service and its database, for /health and `mapsvc db status`."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mapsvc import access
from mapsvc.infra.db import engine_for

bp = Blueprint("health", __name__)

_FACTS = text(
    """
    SELECT postgis_lib_version() AS postgis,
           (SELECT extversion FROM pg_extension WHERE extname = 'pgrouting') AS pgrouting,
           current_setting('server_version') AS postgresql,
           CASE WHEN to_regclass('alembic_version') IS NOT NULL
                THEN (SELECT version_num FROM alembic_version) END AS schema_revision
    """
)


def database_health(url: str) -> dict:
    """Database state and versions; never raises for a database that is down."""
    try:
        with engine_for(url).connect() as conn:
            row = conn.execute(_FACTS).mappings().one()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return {"database": "down", "error": reason}
    return {"database": "up", **row}


@bp.get("/health")
@access.public
def health():
    """200 with the versions when the database answers, 503 while it is down.

    Open to everyone (monitors do not log in), so the driver's reason for an outage (host,
    port, user) goes to the service's log and to `mapsvc db status`, never into the answer.
    """
    facts = database_health(current_app.config["DATABASE_URL"])
    up = facts["database"] == "up"
    reason = facts.pop("error", None)
    if reason:
        current_app.logger.warning("health: database down: %s", reason)
    body = {"status": "ok" if up else "unavailable", **facts}
    if not up:
        body["message"] = "数据库不可用 / database unavailable"
    return jsonify(body), 200 if up else 503
