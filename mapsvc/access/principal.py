"""Who is asking: the caller of a request, and the markers that open views beyond a login."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g

from mapsvc.domain.vocabulary import ROLE_LABELS


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
    session_id: int | None = None  # the sessions row of a cookie login (for the audit)

    @property
    def is_admin(self) -> bool:
        """Admins see and change everything."""
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
        """Who the caller is, as /api/v1/me shows it (nothing secret)."""
        return {
            "name": self.name,
            "role": self.role,
            "scope": self.scope_code,
            "grids": list(self.grid_codes),
        }


ANONYMOUS = Principal()


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


def role_label(role: str) -> str:
    """The role's Chinese name."""
    return ROLE_LABELS.get(role, role)
