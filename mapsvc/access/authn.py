"""Authentication before every view: a bearer token or the session cookie, closed by default.

Either way it is one prepared statement that finds the live token or session and its active
user together (accounts.user_for_token / user_for_session).

Views are closed by default: `@public` opens one to everyone, `@aggregate` marks one that
returns totals only (reachable by kiosk accounts, and by anyone when KIOSK_OPEN is set).
"""

from __future__ import annotations

from flask import current_app, g, redirect, request, session, url_for

from mapsvc.access import accounts
from mapsvc.access.principal import ANONYMOUS, Principal
from mapsvc.access.scope import area_prefix
from mapsvc.access.sessions import UNSAFE_METHODS, check_csrf, start_session
from mapsvc.domain.errors import Forbidden, NotLoggedIn
from mapsvc.infra import db


def _principal_from_user(row: dict, via: str) -> Principal:
    return Principal(
        role=row["role"],
        name=row["name"],
        user_id=row["id"],
        scope_code=row.get("scope_code"),
        scope_path=str(row["scope_path"]) if row.get("scope_path") else None,
        scope_area=area_prefix(row.get("scope_area_code")),
        grid_codes=tuple(row.get("grid_codes") or ()),
        via=via,
        session_id=row.get("session_id"),
    )


def _resolve(cur) -> Principal:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotLoggedIn("bad_authorization_header")
        row = accounts.user_for_token(cur, token.strip())
        if row is None:
            raise NotLoggedIn("token_invalid")
        return _principal_from_user(row, "token")
    sid = session.get("sid")
    if sid is None:
        return ANONYMOUS
    row = accounts.user_for_session(cur, sid)
    if row is None:  # logged out, revoked, expired, or the account disabled
        session.clear()
        g.session_ended = True
        return ANONYMOUS
    return _principal_from_user(row, "session")


def _wants_page() -> bool:
    return not request.path.startswith(("/api/", "/ogc")) and request.method == "GET"


def authenticate():
    """before_request: find the caller and refuse what their role may not reach."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    mode = (
        "public"
        if view is None or request.endpoint == "static"
        else getattr(view, "access", "login")
    )
    if mode == "public" and not request.headers.get("Authorization") and "sid" not in session:
        g.principal = ANONYMOUS
        return None
    if mode == "aggregate" and request.method == "GET" and request.args.get("kiosk"):
        with db.cursor(current_app.config["DATABASE_URL"]) as cur:
            return _kiosk_link(cur)
    # one autocommit statement on the read pool: this runs before every request (map tiles
    # come dozens at a time), and a transaction plus a pre-ping tripled its round trips
    p = db.read(current_app.config["DATABASE_URL"], _resolve)
    g.principal = p
    if mode == "public":
        return None
    if p.role == "anonymous":
        if mode == "aggregate" and current_app.config.get("KIOSK_OPEN"):
            return None
        if _wants_page():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        raise NotLoggedIn("session_ended" if g.get("session_ended") else "login_required")
    if p.role == "kiosk" and mode != "aggregate":
        raise Forbidden("kiosk_aggregate_only")
    if request.method in UNSAFE_METHODS and p.via == "session":
        check_csrf()
    return None


def _kiosk_link(cur):
    """A screen opened with ?kiosk=TOKEN: a session for the kiosk account, then the same
    address without the token (so it is not left in the address bar or in bookmarks)."""
    row = accounts.user_for_token(cur, request.args["kiosk"])
    if row is None or row["role"] != "kiosk":
        raise NotLoggedIn("kiosk_token_invalid")
    # the session ends with the token (revoked or expired)
    session_id = start_session(cur, row, via_token_id=row["token_id"])
    accounts.record_audit(
        cur,
        row["name"],
        "kiosk_login",
        f"user:{row['name']}",
        {"token_id": row["token_id"], "session": session_id},
        request.remote_addr,
    )
    args = {k: v for k, v in request.args.items() if k != "kiosk"}
    return redirect(url_for(request.endpoint, **(request.view_args or {}), **args))
