"""Browser sessions: starting one, CSRF tokens for cookie writes, and where to go after login."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import request, session, url_for

from mapsvc.domain.errors import Forbidden

SESSION_SECONDS = 8 * 3600  # a working day; the cookie is refused after this
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's CSRF token (made on first use); pages put it in a meta tag."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a cookie-authenticated write without the session's CSRF token (and from
    another origin)."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        raise Forbidden("other_origin")
    if not expected or not secrets.compare_digest(str(sent), str(expected)):
        raise Forbidden("csrf_failed")


def start_session(user: dict) -> None:
    """Log user in on this browser: a fresh session (new CSRF token, no fixation)."""
    session.clear()
    session.permanent = True
    session["uid"] = user["id"]
    session["gen"] = user["session_gen"]
    session["at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def safe_next(target: str | None) -> str:
    r"""Where to go after login: only a path on this site, else the landing page.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    "/\t/evil.example" or "/\\evil.example" would leave the site; anything that is not a plain
    absolute path without a host is refused.
    """
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return url_for("pages.index")
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
    ):
        return url_for("pages.index")
    return target
