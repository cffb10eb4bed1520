"""The audit trail of requests: every read of personal data and every write, with who and where."""

from __future__ import annotations

from flask import current_app, request

from mapsvc.access import accounts
from mapsvc.access.principal import principal
from mapsvc.infra import db


def remote_addr() -> str | None:
    """The caller's address (None outside a request)."""
    return request.remote_addr if request else None


def audit(cur, action: str, target: str | None, detail: dict | None = None) -> None:
    """Record, in the caller's transaction, what the current principal did."""
    accounts.record_audit(cur, principal().name, action, target, detail, remote_addr())


def audit_read(action: str, target: str | None, detail: dict | None = None) -> None:
    """Record a read of personal data (its own short transaction)."""
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        audit(cur, action, target, {"path": request.full_path.rstrip("?"), **(detail or {})})
