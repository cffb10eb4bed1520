"""The service's SQL, one file a query, loaded by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent


@cache
def query(name: str) -> str:
    """The text of mapsvc/sql/<name>.sql."""
    return (_DIR / f"{name}.sql").read_text(encoding="utf-8")
