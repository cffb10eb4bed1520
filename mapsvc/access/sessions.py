"""Browser sessions: starting one, CSRF tokens for cookie writes, and where to go after login.

A session lives in the database (accounts.open_session); the signed cookie holds only its
random id (`sid`) and the CSRF token, so revoking the row ends the session at once, copies of
the cookie included.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import request, session, url_for

from mapsvc.access import accounts
from mapsvc.access.accounts import SESSION_SECONDS  # noqa: F401 (re-exported)
from mapsvc.domain.errors import Forbidden

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


def start_session(cur, user: dict, via_token_id: int | None = None) -> int:
    """Log user in on this browser: a fresh session (new id and CSRF token, no fixation); the
    session this browser had before ends. Returns the session's row id (for the audit)."""
    old = session.get("sid")
    if isinstance(old, str):
        accounts.end_session(cur, old, "replaced")
    sid, row_id = accounts.open_session(
        cur,
        user["id"],
        request.headers.get("User-Agent"),
        request.remote_addr,
        via_token_id,
    )
    session.clear()
    session.permanent = True
    session["sid"] = sid
    session["csrf"] = secrets.token_urlsafe(32)
    return row_id


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
