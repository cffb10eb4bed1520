"""Who is asking and what they may see or change: the one place for access control.

principal: the caller and the view markers (`public`, `aggregate`); authn: who the caller is,
before every view; scope: what they may read (SQL predicates) and write; sessions: login
sessions, CSRF and redirects; audit: the audit trail; headers: CSP and friends; accounts:
accounts, tokens and the audit log's storage; routes: login, logout, me, the audit page.
"""

from mapsvc.access.audit import audit, audit_read, remote_addr
from mapsvc.access.authn import authenticate
from mapsvc.access.headers import csp_nonce, security_headers
from mapsvc.access.principal import ANONYMOUS, Principal, aggregate, principal, public, role_label
from mapsvc.access.scope import (
    WRITERS,
    area_in_scope,
    area_prefix,
    member_filter,
    members_outside,
    org_codes_in_scope,
    org_filter,
    out_of_scope,
    refused_writes,
    require_in_scope,
    require_write,
)
from mapsvc.access.sessions import (
    SESSION_SECONDS,
    UNSAFE_METHODS,
    check_csrf,
    csrf_token,
    safe_next,
    start_session,
)

__all__ = [
    "ANONYMOUS",
    "SESSION_SECONDS",
    "UNSAFE_METHODS",
    "WRITERS",
    "Principal",
    "aggregate",
    "area_in_scope",
    "area_prefix",
    "audit",
    "audit_read",
    "authenticate",
    "check_csrf",
    "csp_nonce",
    "csrf_token",
    "member_filter",
    "members_outside",
    "org_codes_in_scope",
    "org_filter",
    "out_of_scope",
    "principal",
    "public",
    "refused_writes",
    "remote_addr",
    "require_in_scope",
    "require_write",
    "role_label",
    "safe_next",
    "security_headers",
    "start_session",
]
