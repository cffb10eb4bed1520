"""Errors that reach people: JSON with a code and a message in Chinese and English.

Nothing a client receives carries a stack trace; unexpected failures are logged here.
"""

from __future__ import annotations

import psycopg2
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from geodata.crs import GeoInputError


class ApiError(Exception):
    """A request the service refuses, with the status and the words to say why."""

    def __init__(self, status: int, code: str, message: str, message_en: str, **extra):
        super().__init__(message_en)
        self.status = status
        self.body = {"code": code, "message": message, "message_en": message_en, **extra}


def bad_request(code: str, message: str, message_en: str, **extra) -> ApiError:
    """A 400 with the given code and messages."""
    return ApiError(400, code, message, message_en, **extra)


_HTTP_MESSAGES = {
    404: ("not_found", "找不到该地址", "no such resource"),
    405: ("method_not_allowed", "不支持该请求方法", "method not allowed"),
}


def register(app: Flask) -> None:
    """Install the JSON error handlers on app."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify(exc.body), exc.status

    @app.errorhandler(GeoInputError)
    def _geo_error(exc: GeoInputError):
        return jsonify(
            {"code": exc.code, "message": exc.message, "message_en": exc.message_en}
        ), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith(("/api/", "/ogc")):
            return exc
        code, zh, en = _HTTP_MESSAGES.get(exc.code or 500, ("http_error", exc.name, exc.name))
        return jsonify({"code": code, "message": zh, "message_en": en}), exc.code

    @app.errorhandler(psycopg2.OperationalError)
    def _database_down(exc: Exception):
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        body = {
            "code": "database_unavailable",
            "message": "数据库暂时不可用，请稍后再试",
            "message_en": "the database is unavailable for the moment, please try again",
        }
        return jsonify(body), 503, {"Retry-After": "2"}

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        body = {
            "code": "internal_error",
            "message": "服务器内部错误，请稍后再试",
            "message_en": "internal server error, please try again later",
        }
        return jsonify(body), 500
