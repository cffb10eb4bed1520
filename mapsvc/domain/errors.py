"""Refusals the service explains: domain exceptions, each naming a code of domain.messages.

Services raise these and know nothing of HTTP; mapsvc.http.errors turns each class into a
status code, and the code's two templates (中文, English) into the message a person reads.
"""

from __future__ import annotations

from mapsvc.domain.messages import MESSAGES


class DomainError(Exception):
    """A request the service refuses, with the code of its words and the values they need.

    `code` keys domain.messages.MESSAGES; `as_code` overrides the code the client sees when
    one message serves several codes (``unknown_kind``, ``unknown_mode`` …); `extra` goes into
    the answer beside code and messages (a list of problems, the current version …).
    """

    def __init__(
        self, code: str, /, *, as_code: str | None = None, extra: dict | None = None, **values
    ):
        zh, en, wire_code = MESSAGES[code]
        self.key = code
        self.code = as_code or wire_code or code
        self.values = values
        self.message = zh.format(**values)
        self.message_en = en.format(**values)
        self.extra = extra or {}
        super().__init__(self.message_en)

    def as_dict(self) -> dict:
        """The JSON body: code, message (中文), message_en, then the extras."""
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            **self.extra,
        }


class BadInput(DomainError):
    """The input cannot be understood or breaks a rule; nothing was changed."""


class NotLoggedIn(DomainError):
    """The caller is not authenticated (or their credentials are no longer good)."""


class Forbidden(DomainError):
    """The caller's role or scope does not allow this."""


class NotFound(DomainError):
    """No such record (or none the caller may see)."""


class Conflict(DomainError):
    """The request collides with the data as it is (a duplicate, a newer version)."""


class VersionMismatch(DomainError):
    """The record changed since the caller read it (optimistic concurrency)."""


class VersionRequired(DomainError):
    """A change to a record must say which version it was made against."""


class TooLarge(DomainError):
    """The request or file exceeds a configured limit."""


class Rejected(DomainError):
    """A well-formed request whose content was refused as a whole (an import's report)."""


class TooMany(DomainError):
    """Too many attempts in a short time."""


class Unavailable(DomainError):
    """The service cannot answer now (the database is down, figures are being counted)."""
