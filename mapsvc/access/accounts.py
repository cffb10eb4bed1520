"""Accounts, API tokens, sessions and the audit log: the service functions (each takes a cursor).

mapsvc.access enforces them on every request. Passwords are hashed with
Argon2id (argon2-cffi); API tokens and session ids are random (secrets.token_urlsafe(32)) and
only their SHA-256 is stored, so the database never holds a usable one. Disabling an account,
a new password, a new role or scope, and logging out end every session and token of the
account at once (their rows are kept, revoked, for the audit); enabling it again revives none.
The audit log is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mapsvc.infra import sql as sqlmod
from mapsvc.records.validation import Invalid, Problem

ROLES = ("admin", "org_admin", "secretary", "grid_worker", "viewer", "kiosk")
UNSCOPED_ROLES = ("admin", "kiosk")  # admins see everything; kiosks only totals
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing is deliberately slow; do not hash megabytes
MAX_TOKEN_DAYS = 3650
SESSION_SECONDS = 8 * 3600  # a working day from login; then the session is refused
MAX_USER_AGENT = 512

_hasher = PasswordHasher()  # Argon2id, the library's current recommended parameters
# verified against when the user is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

_USER_COLUMNS = (
    "u.id, u.name, u.display_name, u.role, u.scope_org_code AS scope_code, "
    "o.id AS scope_org_id, o.path::text AS scope_path, o.admin_area_code AS scope_area_code, "
    "u.grid_codes, u.active, u.created_at"
)
# an account whose scope org was dissolved or removed keeps no scope: it sees nothing personal
_USER_FROM = "users u LEFT JOIN party_orgs o ON o.code = u.scope_org_code AND o.status = 'active'"


def _rows(cur) -> list[dict]:
    """Rows of the last statement as dicts, whatever the cursor's factory."""
    rows = cur.fetchall()
    if rows and isinstance(rows[0], dict):
        return [dict(r) for r in rows]
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in rows]


def _one(cur) -> dict | None:
    """The first row of the last statement as a dict, or None."""
    rows = _rows(cur)
    return rows[0] if rows else None


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_password() -> str:
    """A strong random password (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)


def get_user(cur, name: str) -> dict | None:
    """The user called name (active or not), without the password hash."""
    cur.execute(f"SELECT {_USER_COLUMNS} FROM {_USER_FROM} WHERE u.name = %s", (name,))
    return _one(cur)


def get_user_by_id(cur, user_id: int) -> dict | None:
    """The user with this id (active or not), without the password hash."""
    cur.execute(f"SELECT {_USER_COLUMNS} FROM {_USER_FROM} WHERE u.id = %s", (user_id,))
    return _one(cur)


def end_access(cur, user_id: int, why: str, tokens: bool = True) -> dict:
    """Revoke every live session (and, unless tokens=False, every token) of the account.

    Returns how many ended: {"sessions": n, "tokens": m}. The rows stay, revoked, for the audit.
    """
    cur.execute(
        "WITH s AS (UPDATE sessions SET revoked_at = now(), revoked_why = %(why)s"
        "           WHERE user_id = %(uid)s AND revoked_at IS NULL RETURNING 1),"
        " t AS (UPDATE api_tokens SET revoked_at = now(), revoked_why = %(why)s"
        "       WHERE %(tokens)s AND user_id = %(uid)s AND revoked_at IS NULL RETURNING 1)"
        " SELECT (SELECT count(*) FROM s) AS sessions, (SELECT count(*) FROM t) AS tokens",
        {"why": why, "uid": user_id, "tokens": tokens},
    )
    return dict(_one(cur))


def set_active(cur, name: str, active: bool) -> dict | None:
    """Enable or disable an account; None if unknown, else what ended.

    Disabling ends every session and token of the account; enabling starts it with none (the
    tokens disabling revoked stay revoked: issue new ones).
    """
    cur.execute("UPDATE users SET active = %s WHERE name = %s RETURNING id", (active, name))
    row = _one(cur)
    if row is None:
        return None
    return end_access(cur, row["id"], "enabled" if active else "disabled")


def set_password(cur, name: str, password: str) -> dict:
    """A new password; ends every session and token of the account. Raises Invalid.

    Returns what ended: {"sessions": n, "tokens": m}.
    """
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            [Problem.of("password", "bad_password", least=MIN_PASSWORD, most=MAX_PASSWORD)]
        )
    cur.execute(
        "UPDATE users SET password_hash = %s WHERE name = %s RETURNING id",
        (_hasher.hash(password), name),
    )
    row = _one(cur)
    if row is None:
        raise Invalid([Problem.of("name", "unknown_user", name=name)])
    return end_access(cur, row["id"], "password")


def _grants(role: str, scope: str | None, grids) -> dict:
    """What an account may see, for comparing before and after a change."""
    return {"role": role, "scope": scope, "grids": sorted(grids or ())}


def set_role(
    cur, name: str, role: str, scope_code: str | None, grid_codes: list[str] | tuple = ()
) -> dict:
    """Give the account a new role, scope or grids. Raises Invalid.

    A change ends every session and token of the account (what they were given was for the old
    role); the same role, scope and grids change nothing. Returns {"changed", "before",
    "after", "sessions", "tokens"}.
    """
    user = get_user(cur, name)
    if user is None:
        raise Invalid([Problem.of("name", "unknown_user", name=name)])
    grid_codes = sorted(set(grid_codes or ()))
    problems = [] if role in ROLES else [Problem.of("role", "bad_role", roles=", ".join(ROLES))]
    scope_id, scope_problems = _scope(cur, role, scope_code)
    problems += scope_problems + _grid_problems(cur, role, grid_codes)
    if problems:
        raise Invalid(problems)
    before = _grants(user["role"], user["scope_code"], user["grid_codes"])
    after = _grants(role, scope_code if scope_id else None, grid_codes)
    if before == after:
        return {"changed": False, "before": before, "after": after, "sessions": 0, "tokens": 0}
    cur.execute(
        "UPDATE users SET role = %s, scope_org_code = %s, grid_codes = %s WHERE id = %s",
        (role, after["scope"], grid_codes, user["id"]),
    )
    return {
        "changed": True,
        "before": before,
        "after": after,
        **end_access(cur, user["id"], "role"),
    }


def recent_login_failures(cur, name: str, remote_addr: str | None, seconds: int) -> tuple[int, int]:
    """Failed logins in the last `seconds`: (for this account name, from this address)."""
    cur.execute(
        "SELECT (SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND target = %s"
        "        AND at > now() - make_interval(secs => %s)) AS by_name,"
        "       (SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND remote_addr = %s"
        "        AND at > now() - make_interval(secs => %s)) AS by_addr",
        (f"user:{name}", seconds, remote_addr, seconds),
    )
    row = _one(cur)
    return row["by_name"], row["by_addr"]


def list_users(cur) -> list[dict]:
    """Every user, with how many usable tokens each has."""
    cur.execute(
        f"SELECT {_USER_COLUMNS}, u.password_hash IS NOT NULL AS has_password, "
        "(SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > now())) AS tokens "
        f"FROM {_USER_FROM} ORDER BY u.name"
    )
    return _rows(cur)


def _scope(cur, role: str, scope_code: str | None) -> tuple[int | None, list[Problem]]:
    """The id of the account's scope org and the problems with it (admins take none)."""
    if role == "admin":
        return None, [Problem.of("scope", "admin_scope")] if scope_code else []
    if role not in ROLES or (role == "kiosk" and not scope_code):
        return None, []  # a kiosk shows the whole city's totals unless given a scope
    if not scope_code:
        return None, [Problem.of("scope", "scope_required", role=role)]
    cur.execute("SELECT id, status FROM party_orgs WHERE code = %s", (scope_code,))
    org = _one(cur)
    if org is None:
        return None, [Problem.of("scope", "unknown_scope", code=scope_code)]
    if org["status"] != "active":
        return None, [Problem.of("scope", "dissolved_scope", code=scope_code)]
    return org["id"], []


def _grid_problems(cur, role: str, grid_codes: list[str]) -> list[Problem]:
    """Only grid workers have grids, and theirs exist."""
    if not grid_codes:
        return []
    if role != "grid_worker":
        return [Problem.of("grids", "grids_for_grid_workers")]
    cur.execute("SELECT array_agg(code) AS found FROM grids WHERE code = ANY(%s)", (grid_codes,))
    missing = sorted(set(grid_codes) - set(_one(cur)["found"] or []))
    return [Problem.of("grids", "unknown_grid", grids=", ".join(missing))] if missing else []


def _password_problems(password: str | None) -> list[Problem]:
    """A new password's length (None: a token-only account)."""
    if password is None:
        return []
    if len(password) < MIN_PASSWORD:
        return [Problem.of("password", "short_password", least=MIN_PASSWORD)]
    if len(password) > MAX_PASSWORD:
        return [Problem.of("password", "long_password", most=MAX_PASSWORD)]
    return []


def add_user(
    cur,
    name: str,
    role: str,
    scope_code: str | None,
    password: str | None,
    display_name: str | None = None,
    grid_codes: list[str] | tuple[str, ...] = (),
) -> dict:
    """Create an account; password None makes a token-only account. Raises Invalid."""
    grid_codes = sorted(set(grid_codes or ()))
    problems: list[Problem] = []
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.append(Problem.of("name", "bad_name"))
    if role not in ROLES:
        problems.append(Problem.of("role", "bad_role", roles=", ".join(ROLES)))
    scope_id, scope_problems = _scope(cur, role, scope_code)
    problems += scope_problems
    problems += _grid_problems(cur, role, grid_codes)
    problems += _password_problems(password)
    if display_name is not None and not 1 <= len(display_name) <= 128:
        problems.append(Problem.of("display_name", "bad_display_name"))
    if not problems:
        cur.execute("SELECT 1 FROM users WHERE name = %s", (name,))
        if cur.fetchone():
            problems.append(Problem.of("name", "name_taken", name=name))
    if problems:
        raise Invalid(problems)
    pw_hash = _hasher.hash(password) if password is not None else None
    cur.execute(
        "INSERT INTO users (name, display_name, role, scope_org_code, password_hash, grid_codes) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (name, display_name, role, scope_code if scope_id else None, pw_hash, grid_codes),
    )
    return get_user(cur, name)


def verify_password(cur, name: str, password: str) -> dict | None:
    """The active user when name and password match, else None (same cost either way)."""
    cur.execute(
        f"SELECT {_USER_COLUMNS}, u.password_hash FROM {_USER_FROM} WHERE u.name = %s AND u.active",
        (name,),
    )
    row = _one(cur)
    stored = row["password_hash"] if row else None
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if stored is None:  # unknown user or token-only account: the dummy hash can't match
        return None
    if _hasher.check_needs_rehash(stored):
        cur.execute(
            "UPDATE users SET password_hash = %s WHERE id = %s", (_hasher.hash(password), row["id"])
        )
    row.pop("password_hash")
    return row


def issue_token(cur, name: str, expires_days: int | None = None, label: str | None = None) -> str:
    """A new API token for the active user name; only its hash is stored. Raises Invalid."""
    problems: list[Problem] = []
    cur.execute("SELECT id FROM users WHERE name = %s AND active", (name,))
    user = _one(cur)
    if user is None:
        problems.append(Problem.of("name", "unknown_active_user", name=name))
    if expires_days is not None and (
        isinstance(expires_days, bool)
        or not isinstance(expires_days, int)
        or not 1 <= expires_days <= MAX_TOKEN_DAYS
    ):
        problems.append(Problem.of("expires", "bad_expiry", most=MAX_TOKEN_DAYS))
    if problems:
        raise Invalid(problems)
    token = secrets.token_urlsafe(32)
    cur.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label, expires_at) VALUES "
        "(%s, %s, %s, CASE WHEN %s::int IS NULL THEN NULL "
        "ELSE now() + make_interval(days => %s::int) END) RETURNING id",
        (user["id"], hash_token(token), label, expires_days, expires_days),
    )
    return token


def token_info(cur, token: str) -> dict | None:
    """The stored row of a token (id, user, label, dates), found by its hash; not its use."""
    cur.execute(
        "SELECT t.id, u.name AS user_name, t.label, t.created_at, t.expires_at, t.revoked_at,"
        " t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = %s",
        (hash_token(token),),
    )
    return _one(cur)


_TOKEN_USER = (
    f"WITH found AS (SELECT {_USER_COLUMNS}, t.id AS token_id, t.last_used_at "
    f"FROM api_tokens t JOIN {_USER_FROM} ON t.user_id = u.id "
    "WHERE t.token_hash = %(token_hash)s AND t.revoked_at IS NULL "
    "AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.active), "
    "touched AS (UPDATE api_tokens t SET last_used_at = now() FROM found "
    "WHERE t.id = found.token_id AND (found.last_used_at IS NULL "
    "OR found.last_used_at < now() - interval '1 minute')) "
    "SELECT * FROM found"
)


def user_for_token(cur, token: str) -> dict | None:
    """The active user a usable (unexpired, unrevoked) token belongs to, else None.

    Marks the token as used now.
    """
    if not isinstance(token, str) or not 1 <= len(token) <= 256:
        return None
    # prepared (it runs before every request); last_used_at is written at most once a
    # minute: a write and a row lock on every request serialised a client's parallel
    # requests, e.g. a map's tiles
    sqlmod.execute(cur, _TOKEN_USER, {"token_hash": hash_token(token)})
    row = _one(cur)
    if row is not None:
        row.pop("last_used_at")
    return row


def revoke_token(cur, token_id: int) -> dict | None:
    """Revoke a token by its id, and the kiosk sessions it opened: {"user", "sessions"}, or
    None when there is no such unrevoked token."""
    cur.execute(
        "WITH t AS (UPDATE api_tokens SET revoked_at = now(), revoked_why = 'revoked'"
        "           WHERE id = %(id)s AND revoked_at IS NULL RETURNING id, user_id),"
        " s AS (UPDATE sessions SET revoked_at = now(), revoked_why = 'token_revoked'"
        "       WHERE via_token_id IN (SELECT id FROM t) AND revoked_at IS NULL RETURNING 1)"
        " SELECT u.name AS user, (SELECT count(*) FROM s) AS sessions"
        " FROM t JOIN users u ON u.id = t.user_id",
        {"id": token_id},
    )
    return _one(cur)


# ------------------------------------------------------------------ sessions
_SESSION_USER = (
    f"WITH found AS (SELECT {_USER_COLUMNS}, s.id AS session_id, s.last_seen_at "
    f"FROM sessions s JOIN {_USER_FROM} ON s.user_id = u.id "
    "WHERE s.token_hash = %(token_hash)s AND s.revoked_at IS NULL AND s.expires_at > now() "
    "AND u.active), "
    "touched AS (UPDATE sessions s SET last_seen_at = now() FROM found "
    "WHERE s.id = found.session_id AND found.last_seen_at < now() - interval '1 minute') "
    "SELECT * FROM found"
)


def open_session(
    cur,
    user_id: int,
    user_agent: str | None = None,
    remote_addr: str | None = None,
    via_token_id: int | None = None,
) -> tuple[str, int]:
    """A new session for the account: (its id for the cookie, shown only now; its row id).

    It lasts SESSION_SECONDS, and no longer than the token that opened it (kiosks).
    """
    token = secrets.token_urlsafe(32)
    cur.execute(
        "INSERT INTO sessions (user_id, token_hash, via_token_id, expires_at, user_agent,"
        " remote_addr) VALUES (%(uid)s, %(hash)s, %(via)s, LEAST(now() + make_interval("
        "secs => %(secs)s), (SELECT expires_at FROM api_tokens WHERE id = %(via)s)),"
        " %(ua)s, %(addr)s) RETURNING id",
        {
            "uid": user_id,
            "hash": hash_token(token),
            "via": via_token_id,
            "secs": SESSION_SECONDS,
            "ua": (user_agent or None) and user_agent[:MAX_USER_AGENT],
            "addr": remote_addr,
        },
    )
    return token, _one(cur)["id"]


def user_for_session(cur, token: str) -> dict | None:
    """The active user of a live (unexpired, unrevoked) session, with its session_id; else None.

    Marks the session as seen now (at most once a minute).
    """
    if not isinstance(token, str) or not 1 <= len(token) <= 256:
        return None
    # one prepared statement, as for tokens: it runs before every request of a browser
    sqlmod.execute(cur, _SESSION_USER, {"token_hash": hash_token(token)})
    row = _one(cur)
    if row is not None:
        row.pop("last_seen_at")
    return row


def end_session(cur, token: str, why: str) -> bool:
    """Revoke one session by the id its cookie holds; False when it was not live."""
    cur.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_why = %s"
        " WHERE token_hash = %s AND revoked_at IS NULL RETURNING 1",
        (why, hash_token(token)),
    )
    return cur.fetchone() is not None


def record_audit(
    cur,
    user_name: str | None,
    action: str,
    target: str | None,
    detail: dict | None = None,
    remote_addr: str | None = None,
) -> int:
    """Append one row to the audit log (in the caller's transaction); its id."""
    cur.execute(
        "INSERT INTO audit_log (user_name, action, target, detail, remote_addr) "
        "VALUES (%s, %s, %s, %s::jsonb, %s) RETURNING id",
        (
            user_name,
            action,
            target,
            json.dumps(detail or {}, ensure_ascii=False, default=str),
            remote_addr,
        ),
    )
    return _one(cur)["id"]


def audit_entries(
    cur, since_seconds: int | None = None, user: str | None = None, limit: int = 1000
) -> list[dict]:
    """Audit rows, oldest first: newer than since_seconds ago, by or about user (the actor,
    or the target `user:NAME`), the last `limit` of them."""
    cur.execute(
        "SELECT * FROM (SELECT id, at, user_name, action, target, detail, remote_addr "
        "FROM audit_log WHERE (%s::int IS NULL OR at >= now() - make_interval(secs => %s::int))"
        " AND (%s::text IS NULL OR user_name = %s OR target = 'user:' || %s)"
        " ORDER BY at DESC, id DESC LIMIT %s) last ORDER BY at, id",
        (since_seconds, since_seconds, user, user, user, limit),
    )
    return _rows(cur)


def purge_positions(cur, older_than_seconds: int, actor: str | None = None, detail=None) -> dict:
    """Delete the position reports older than the period and record it in the audit log."""
    cur.execute("SELECT now() - make_interval(secs => %s::int) AS cutoff", (older_than_seconds,))
    cutoff = _one(cur)["cutoff"]
    cur.execute("DELETE FROM member_positions WHERE reported_at < %s", (cutoff,))
    count = cur.rowcount
    info = {"count": count, "cutoff": cutoff.isoformat(), **(detail or {})}
    record_audit(cur, actor, "purge_positions", "member_positions", info)
    return info
