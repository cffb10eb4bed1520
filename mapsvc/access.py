"""Who is asking and what they may see or change: the one place for access control.

Every request is authenticated before its view runs (a bearer token, or the session cookie set
by the login page). Views are closed by default: `@public` opens one to everyone, `@aggregate`
marks one that returns totals only (reachable by kiosk accounts, and by anyone when KIOSK_OPEN
is set). Personal data is filtered in SQL with `member_filter`; writes are checked with
`require_write`. Everything personal that is read, and every write, goes to the audit log.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from psycopg2 import sql

from mapsvc import accounts, db
from mapsvc.errors import ApiError

SESSION_SECONDS = 8 * 3600  # a working day; the cookie is refused after this
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# who may change which kind of record (within their scope; admins everywhere)
WRITERS = {
    "admin_areas": {"admin"},
    "orgs": {"admin", "org_admin"},
    "members": {"admin", "org_admin", "secretary"},
    "grids": {"admin", "org_admin"},
    "service_points": {"admin", "org_admin"},
    "positions": {"admin", "org_admin", "secretary", "grid_worker"},
    "roads": {"admin"},
}


@dataclass(frozen=True)
class Principal:
    """The caller of this request."""

    role: str = "anonymous"
    name: str | None = None
    user_id: int | None = None
    scope_code: str | None = None
    scope_path: str | None = None  # ltree path of the scope org; None for admins (or gone)
    scope_area: str | None = None  # division-code prefix of the scope org's area
    grid_codes: tuple[str, ...] = field(default_factory=tuple)
    via: str | None = None  # "session" or "token"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_personal(self) -> bool:
        """May see some person's record at all (kiosk screens and strangers never do)."""
        return self.role not in ("anonymous", "kiosk")

    @property
    def sees_phones(self) -> bool:
        """Viewers read member records with phones masked."""
        return self.sees_personal and self.role != "viewer"

    def public_dict(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "scope": self.scope_code,
            "grids": list(self.grid_codes),
        }


ANONYMOUS = Principal()


# ------------------------------------------------------------------ view markers
def public(view):
    """Open to everyone, logged in or not."""
    view.access = "public"
    return view


def aggregate(view):
    """Returns totals only: for any account including kiosks, and anyone when KIOSK_OPEN."""
    view.access = "aggregate"
    return view


def principal() -> Principal:
    """The caller of the current request."""
    return g.get("principal", ANONYMOUS)


# ------------------------------------------------------------------ scope in SQL
def member_filter(p: Principal, alias: str = "m") -> sql.Composable:
    """A predicate on `members` rows (aliased `alias`) whose personal data p may see.

    Scoped users see members of orgs in their subtree, mobile members who flowed into it, and
    (grid workers) members living in their grids.
    """
    if p.is_admin:
        return sql.SQL("TRUE")
    if not p.sees_personal:
        return sql.SQL("FALSE")
    a = sql.Identifier(alias)
    parts = []
    if p.scope_path:
        path = sql.Literal(p.scope_path)
        parts.append(
            sql.SQL(
                "EXISTS (SELECT 1 FROM party_orgs scope_o WHERE scope_o.id IN ({a}.org_id, "
                "{a}.inflow_org_id) AND scope_o.path OPERATOR(public.<@) {path}::ltree)"
            ).format(a=a, path=path)
        )
    if p.grid_codes:
        parts.append(
            sql.SQL(
                "EXISTS (SELECT 1 FROM grids scope_g WHERE scope_g.code = ANY({codes}) "
                "AND ST_Intersects(scope_g.geom, {a}.home_geom))"
            ).format(a=a, codes=sql.Literal(list(p.grid_codes)))
        )
    if not parts:
        return sql.SQL("FALSE")
    return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))


def org_filter(p: Principal, alias: str = "o") -> sql.Composable:
    """A predicate on `party_orgs` rows (aliased `alias`) in p's subtree."""
    if p.is_admin:
        return sql.SQL("TRUE")
    if not p.sees_personal or not p.scope_path:
        return sql.SQL("FALSE")
    return sql.SQL("{}.path OPERATOR(public.<@) {}::ltree").format(
        sql.Identifier(alias), sql.Literal(p.scope_path)
    )


def area_prefix(code: str | None) -> str | None:
    """The part of a 12-digit division code that names the area (trailing zero groups cut)."""
    if not code:
        return None
    for cut in (9, 6, 4, 2):  # village/community, street/town, county, city
        if code[cut:] == "0" * (12 - cut):
            return code[:cut]
    return code


# ------------------------------------------------------------------ writes
def forbidden(zh: str, en: str) -> ApiError:
    return ApiError(403, "forbidden", zh, en)


def require_write(kind: str, p: Principal | None = None) -> Principal:
    """p (the caller) may write records of kind somewhere in their scope, or 403."""
    p = p or principal()
    if p.role not in WRITERS.get(kind, ()):
        raise forbidden(
            f"角色“{role_label(p.role)}”无权修改此类记录",
            f"the role {p.role} may not change {kind}",
        )
    return p


def out_of_scope(what_zh: str, what_en: str) -> ApiError:
    return forbidden(
        f"{what_zh}不在您的管辖范围内，未做任何修改",
        f"{what_en} is outside your scope; nothing was changed",
    )


def members_outside(cur, p: Principal, member_ids) -> list[int]:
    """Those of member_ids that are members whose data p may not see (unknown ids are not
    listed: they are for the caller's validation to report)."""
    ids = sorted({int(i) for i in member_ids})
    if p.is_admin or not ids:
        return []
    cur.execute(
        sql.SQL("SELECT m.id FROM members m WHERE m.id = ANY(%s) AND NOT {} ORDER BY m.id").format(
            member_filter(p)
        ),
        (ids,),
    )
    return [r["id"] for r in cur.fetchall()]


def area_in_scope(p: Principal, code: str | None) -> bool:
    if p.is_admin:
        return True
    return bool(code and p.scope_area and code.startswith(p.scope_area))


def org_codes_in_scope(cur, p: Principal, codes) -> set[str]:
    """Those of the org codes that name orgs in p's subtree."""
    codes = sorted({c for c in codes if isinstance(c, str)})
    if not codes:
        return set()
    cur.execute(
        sql.SQL("SELECT code FROM party_orgs o WHERE code = ANY(%s) AND {}").format(
            org_filter(p, "o")
        ),
        (codes,),
    )
    return {r["code"] for r in cur.fetchall()}


def refused_writes(cur, p: Principal, kind: str, changes: list[tuple[dict | None, dict | None]]):
    """Indexes of the changes p may not make, each (record as it is, new values): None for
    a new record, or for a deletion.

    An existing record must be in p's scope; new values must keep it there: a member's org,
    an org's parent, a grid's community or a service point's area (or operating org). New
    orgs count by their parent, which may itself be new (imports list parents anywhere).
    """
    if p.is_admin:
        return []
    if p.role not in WRITERS.get(kind, ()):
        return list(range(len(changes)))
    if kind in ("grids", "service_points"):
        area_field = "community_code" if kind == "grids" else "admin_area_code"

        def ok_area(d):
            if kind == "service_points" and d.get("operating_org_code") in scoped:
                return True
            return area_in_scope(p, d.get(area_field))

        scoped = org_codes_in_scope(
            cur,
            p,
            [d.get("operating_org_code") for pair in changes for d in pair if d],
        )
        return [
            i
            for i, (cur_rec, new) in enumerate(changes)
            if (cur_rec is not None and not ok_area(cur_rec))
            or (new is not None and not ok_area({**(cur_rec or {}), **new}))
        ]
    if kind == "members":
        scoped = org_codes_in_scope(
            cur, p, [d.get("org_code") for pair in changes for d in pair if d]
        )
        return [
            i
            for i, (cur_rec, new) in enumerate(changes)
            if (cur_rec is not None and cur_rec.get("org_code") not in scoped)
            or (new is not None and {**(cur_rec or {}), **new}.get("org_code") not in scoped)
        ]
    if kind == "orgs":
        scoped = org_codes_in_scope(
            cur,
            p,
            [d.get(f) for pair in changes for d in pair if d for f in ("code", "parent_code")],
        )
        new_orgs = {
            new["code"]: new.get("parent_code")
            for cur_rec, new in changes
            if cur_rec is None and new and new.get("code")
        }
        grew = True
        while grew:  # new orgs under orgs in scope (or under new ones that are) are in scope
            grew = False
            for code, parent in new_orgs.items():
                if code not in scoped and parent in scoped:
                    scoped.add(code)
                    grew = True
        return [
            i
            for i, (cur_rec, new) in enumerate(changes)
            if (cur_rec is not None and cur_rec.get("code") not in scoped)
            or (cur_rec is None and new is not None and new.get("code") not in scoped)
            or (
                new is not None
                and "parent_code" in new
                and cur_rec is not None
                and new["parent_code"] not in scoped
            )
        ]
    return list(range(len(changes)))  # admin areas, roads: admins only


def require_in_scope(
    cur, kind: str, current: dict | None, new: dict | None, label_zh: str, label_en: str
) -> None:
    """403 unless the caller may make this one change (see refused_writes)."""
    p = require_write(kind)
    if refused_writes(cur, p, kind, [(current, new)]):
        raise out_of_scope(label_zh, label_en)


ROLE_LABELS = {
    "admin": "系统管理员",
    "org_admin": "组织部门管理员",
    "secretary": "支部书记",
    "grid_worker": "网格员",
    "viewer": "查看者",
    "kiosk": "大屏",
    "anonymous": "未登录",
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


# ------------------------------------------------------------------ audit
def remote_addr() -> str | None:
    return request.remote_addr if request else None


def audit(cur, action: str, target: str | None, detail: dict | None = None) -> None:
    """Record, in the caller's transaction, what the current principal did."""
    accounts.record_audit(cur, principal().name, action, target, detail, remote_addr())


def audit_read(action: str, target: str | None, detail: dict | None = None) -> None:
    """Record a read of personal data (its own short transaction)."""
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        audit(cur, action, target, {"path": request.full_path.rstrip("?"), **(detail or {})})


# ------------------------------------------------------------------ authentication
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
    )


def _unauthorized(zh: str, en: str) -> ApiError:
    return ApiError(401, "unauthorized", zh, en)


def _resolve(cur) -> Principal:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(
                "Authorization 头应为 “Bearer 令牌”",
                "the Authorization header must be 'Bearer TOKEN'",
            )
        row = accounts.user_for_token(cur, token.strip())
        if row is None:
            raise _unauthorized(
                "令牌无效、已过期或已吊销", "the token is invalid, expired or revoked"
            )
        return _principal_from_user(row, "token")
    uid = session.get("uid")
    if uid is None:
        return ANONYMOUS
    started = session.get("at", 0)
    row = accounts.get_user_by_id(cur, uid)
    if (
        row is None
        or not row["active"]
        or not isinstance(started, int | float)
        or time.time() - started > SESSION_SECONDS
        or session.get("gen") != row["session_gen"]
    ):
        session.clear()
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
    if mode == "public" and not request.headers.get("Authorization") and "uid" not in session:
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
        raise _unauthorized("请先登录", "please log in first")
    if p.role == "kiosk" and mode != "aggregate":
        raise forbidden("大屏账号只能查看汇总数据", "a kiosk account sees aggregate data only")
    if request.method in UNSAFE_METHODS and p.via == "session":
        check_csrf()
    return None


def _kiosk_link(cur):
    """A screen opened with ?kiosk=TOKEN: a session for the kiosk account, then the same
    address without the token (so it is not left in the address bar or in bookmarks)."""
    row = accounts.user_for_token(cur, request.args["kiosk"])
    if row is None or row["role"] != "kiosk":
        raise _unauthorized(
            "大屏令牌无效、已过期或已吊销", "the kiosk token is invalid, expired or revoked"
        )
    start_session(row)
    args = {k: v for k, v in request.args.items() if k != "kiosk"}
    return redirect(url_for(request.endpoint, **(request.view_args or {}), **args))


# ------------------------------------------------------------------ sessions and CSRF
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
        raise forbidden("请求来源不是本站", "the request comes from another origin")
    if not expected or not secrets.compare_digest(str(sent), str(expected)):
        raise forbidden(
            "页面已过期（CSRF 校验失败），请刷新后重试",
            "the page has expired (CSRF check failed): reload it and try again",
        )


def start_session(user: dict) -> None:
    """Log user in on this browser: a fresh session (new CSRF token, no fixation)."""
    session.clear()
    session.permanent = True
    session["uid"] = user["id"]
    session["gen"] = user["session_gen"]
    session["at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def csp_nonce() -> str:
    """A per-response nonce for the few inline scripts (folium's)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def security_headers(response):
    """after_request: headers every response carries."""
    h = response.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    if response.mimetype == "text/html":
        tiles = current_app.config.get("BASEMAP_ORIGINS", "")
        nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self'{nonce}; "
            "style-src 'self' 'unsafe-inline'; "  # Leaflet positions everything with style=""
            f"img-src 'self' data: blob:{(' ' + tiles) if tiles else ''}; "
            "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
    if principal().sees_personal or request.path.startswith(("/api/", "/ogc")):
        h.setdefault("Cache-Control", "private, no-store")
    return response


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.index")
    return target
