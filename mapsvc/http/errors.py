"""The one place a refusal becomes an HTTP answer: JSON with a code and both languages.

Services raise mapsvc.domain.errors exceptions; STATUS maps each class to its status code.
Nothing a client receives carries a stack trace; unexpected failures are logged here.
"""

from __future__ import annotations

import psycopg2
import sqlalchemy.exc
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from geodata.crs import GeoInputError
from mapsvc.domain import errors as domain

STATUS: dict[type[domain.DomainError], int] = {
    domain.BadInput: 400,
    domain.NotLoggedIn: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.VersionMismatch: 412,
    domain.TooLarge: 413,
    domain.Rejected: 422,
    domain.VersionRequired: 428,
    domain.TooMany: 429,
    domain.Unavailable: 503,
}
RETRY_AFTER_S = 2  # a database that is down is asked again this soon


def headers_of(exc: domain.DomainError) -> dict[str, str]:
    """Response headers a refusal carries: when to try again, for one that will pass."""
    if isinstance(exc, domain.Unavailable):
        return {"Retry-After": str(exc.extra.get("retry_after_s", RETRY_AFTER_S))}
    return {}


def status_of(exc: domain.DomainError) -> int:
    """The HTTP status for a domain error (its nearest class in STATUS; 400 by default)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def register(app: Flask) -> None:
    """Install the JSON error handlers on app."""

    @app.errorhandler(domain.DomainError)
    def _domain_error(exc: domain.DomainError):
        return jsonify(exc.as_dict()), status_of(exc), headers_of(exc)

    @app.errorhandler(GeoInputError)
    def _geo_error(exc: GeoInputError):
        return jsonify(
            {"code": exc.code, "message": exc.message, "message_en": exc.message_en}
        ), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith(("/api/", "/ogc")):
            return exc
        key = _HTTP_CODES.get(exc.code or 500)
        err = domain.DomainError(key) if key else domain.DomainError("http_error", name=exc.name)
        return jsonify(err.as_dict()), exc.code

    # a database that is down, restarting or shutting down: the connection fails, is closed
    # under us (InterfaceError), or SQLAlchemy's pool reports it; each is a 503, never a 500
    @app.errorhandler(psycopg2.OperationalError)
    @app.errorhandler(psycopg2.InterfaceError)
    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    @app.errorhandler(sqlalchemy.exc.DisconnectionError)
    def _database_down(exc: Exception):
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        return _domain_error(domain.Unavailable("database_unavailable"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify(domain.DomainError("internal_error").as_dict()), 500
