"""Logging in and out, who am I, and the audit log for admins (pages and /api/v1)."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session

from mapsvc import access
from mapsvc.access import accounts
from mapsvc.domain.errors import DomainError, Forbidden
from mapsvc.http import params
from mapsvc.http.errors import status_of
from mapsvc.http.params import Duration, Integer, Text, declare
from mapsvc.infra import db

bp = Blueprint("auth", __name__)

FAIL_WINDOW_S = 15 * 60
MAX_FAILS_PER_NAME = 5  # then that account waits; a wrong guess costs the guesser, not others
MAX_FAILS_PER_ADDR = 20

# the audit log's filters, for /api/v1/audit and the /audit page
AUDIT = (
    Duration("since", "时间范围，如 30m、1h、7d（默认 24h） / how far back", default=24 * 3600),
    Text("user", "用户名 / user name", max_length=64),
    Integer("limit", "条数 / how many", default=500, lo=1, hi=10000),
)

TEXT = {
    "zh": {
        "title": "登录 · 党建电子地图",
        "heading": "党建电子地图",
        "sub": "请使用组织部门分配的账号登录",
        "name": "用户名",
        "password": "密码",
        "submit": "登录",
        "bad": "用户名或密码不正确",
        "limited": "失败次数过多，请 15 分钟后再试",
        "expired": "页面已过期，请重新登录",
        "other": "English",
        "other_lang": "en",
        "note": "党员信息属于个人敏感信息，所有查看与修改均记入审计日志。",
    },
    "en": {
        "title": "Log in · Party-building map",
        "heading": "Party-building electronic map",
        "sub": "Log in with the account your org department gave you",
        "name": "User name",
        "password": "Password",
        "submit": "Log in",
        "bad": "Wrong user name or password",
        "limited": "Too many failed attempts: try again in 15 minutes",
        "expired": "The page expired: please log in again",
        "other": "中文",
        "other_lang": "zh",
        "note": "Members' data is sensitive personal data: every view and change is audited.",
    },
}


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "zh"


def _login_page(error: str | None = None, status: int = 200, name: str = ""):
    lang = _lang()
    html = render_template(
        "login.html",
        t=TEXT[lang],
        lang=lang,
        error=TEXT[lang][error] if error else None,
        name=name,
        next=access.safe_next(request.values.get("next")),
        csrf=access.csrf_token(),
    )
    return html, status


@bp.get("/login")
@access.public
def login():
    """The login page (Chinese; ?lang=en for English)."""
    return _login_page()


@bp.post("/login")
@access.public
def login_post():
    """Check the password (rate-limited per account and per address) and start a session."""
    name = (request.form.get("name") or "").strip()[:64]
    password = request.form.get("password") or ""
    sent = request.form.get("csrf_token", "")
    if not session.get("csrf") or not secrets.compare_digest(str(sent), str(session["csrf"])):
        return _login_page("expired", 400, name)
    addr = access.remote_addr()
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        by_name, by_addr = accounts.recent_login_failures(cur, name, addr, FAIL_WINDOW_S)
        if by_name >= MAX_FAILS_PER_NAME or by_addr >= MAX_FAILS_PER_ADDR:
            accounts.record_audit(cur, None, "login_limited", f"user:{name}", {}, addr)
            html, _ = _login_page("limited", 429, name)
            return html, 429, {"Retry-After": str(FAIL_WINDOW_S)}
        user = accounts.verify_password(cur, name, password) if name else None
        if user is None:
            accounts.record_audit(cur, None, "login_failed", f"user:{name}", {}, addr)
            return _login_page("bad", 401, name)
        if user["role"] == "kiosk":  # kiosks use tokens; nobody logs in as a screen
            accounts.record_audit(cur, None, "login_failed", f"user:{name}", {"kiosk": True}, addr)
            return _login_page("bad", 401, name)
        session_id = access.start_session(cur, user)
        accounts.record_audit(cur, name, "login", f"user:{name}", {"session": session_id}, addr)
    return redirect(access.safe_next(request.form.get("next")))


@bp.post("/logout")
@access.public
def logout():
    """Log out (a form post with the CSRF token): every session AND every API token of the
    account ends, on every browser and script, not only this cookie (issue 13)."""
    p = access.principal()
    if p.via == "session":
        access.check_csrf()
        with db.cursor(current_app.config["DATABASE_URL"]) as cur:
            ended = accounts.end_access(cur, p.user_id, "logout")
            accounts.record_audit(
                cur,
                p.name,
                "logout",
                f"user:{p.name}",
                {"session": p.session_id, **ended},
                access.remote_addr(),
            )
    session.clear()
    return redirect("/login")


@bp.get("/api/v1/me")
@access.aggregate
@declare()
def me():
    """Who the caller is: name, role, scope (kiosks too); the CSRF token for page scripts."""
    p = access.principal()
    body = {**p.public_dict(), "role_label": access.role_label(p.role)}
    if p.via == "session":
        body["csrf_token"] = access.csrf_token()
    return jsonify(body)


def _require_admin() -> None:
    if not access.principal().is_admin:
        raise Forbidden("admins_only_audit")


def _audit_rows(p: dict) -> list[dict]:
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        return accounts.audit_entries(
            cur, since_seconds=p["since"], user=p["user"], limit=p["limit"]
        )


@bp.get("/api/v1/audit")
@declare(*AUDIT)
def audit_api():
    """The audit log, newest last (admins only): ?since=1h|7d, ?user=NAME, ?limit."""
    _require_admin()
    rows = _audit_rows(params.parsed())
    for r in rows:
        r["at"] = r["at"].isoformat()
    return jsonify({"items": rows, "total": len(rows)})


@bp.get("/audit")
def audit_page():
    """The audit log as a page for admins."""
    try:  # a refusal is shown as text on the page, not as JSON
        _require_admin()
        p = params.parse(request.args, AUDIT)
        rows = _audit_rows(p)
    except DomainError as exc:
        return f"{exc.message} / {exc.message_en}", status_of(exc)
    user = p["user"]
    return render_template(
        "audit.html",
        rows=list(reversed(rows)),
        since=request.args.get("since", "24h"),
        user=user or "",
        csrf=access.csrf_token(),
        me=access.principal(),
    )
