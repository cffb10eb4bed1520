"""Search by name, code and pinyin (full or initials: "gldj" finds 鼓楼街道).

Names are read from the database into an in-memory index with their pinyin, rebuilt when it
is older than REFRESH_S, so edits show up within minutes without a pinyin column in the DB.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from mapsvc.infra.sql import Queries

query = Queries(__file__)

REFRESH_S = 120.0


@dataclass(frozen=True)
class Entry:
    """One searchable thing."""

    kind: str
    id: int | None
    code: str
    name: str
    level: str | None
    detail: str | None
    lon: float
    lat: float
    initials: str
    spelled: str


def _entry(row: dict) -> Entry:
    name = row["name"]
    return Entry(
        row["kind"],
        row["id"],
        row["code"],
        name,
        row["level"],
        row["detail"],
        float(row["lon"]),
        float(row["lat"]),
        "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower(),
        "".join(lazy_pinyin(name)).lower(),
    )


class NameIndex:
    """The searchable names of one database."""

    def __init__(self):
        """An empty index, built on first use."""
        self._entries: list[Entry] = []
        self._built = 0.0
        self._lock = threading.Lock()

    def entries(self, cur) -> list[Entry]:
        """The index, rebuilt from the database when stale."""
        with self._lock:
            if time.monotonic() - self._built > REFRESH_S or not self._entries:
                cur.execute(query("search_names"))
                self._entries = [_entry(r) for r in cur.fetchall()]
                self._built = time.monotonic()
            return self._entries

    def search(self, cur, q: str, limit: int) -> tuple[list[Entry], int]:
        """Best matches for q and how many matched in all."""
        q = q.strip().lower()
        scored = []
        for e in self.entries(cur):
            score = _score(e, q)
            if score is not None:
                scored.append((score, len(e.name), e.code, e))
        scored.sort(key=lambda t: t[:3])
        return [t[3] for t in scored[:limit]], len(scored)


_KIND_RANK = {"admin_area": 0, "grid": 1, "service_point": 2, "org": 3}


def _transpositions(q: str) -> list[str]:
    """q with one pair of neighbouring letters swapped, every way."""
    return [q[:i] + q[i + 1] + q[i] + q[i + 2 :] for i in range(len(q) - 1) if q[i] != q[i + 1]]


def _score(e: Entry, q: str) -> float | None:
    """Lower is better; None when e does not match q."""
    if e.name == q or e.code == q:
        base = 0
    elif e.name.startswith(q) or e.initials.startswith(q) or e.spelled.startswith(q):
        base = 1
    elif e.code.startswith(q):
        base = 2
    elif q in e.name or q in e.initials or q in e.spelled:
        base = 3
    elif e.detail and q in e.detail:
        base = 4  # an address
    elif len(q) >= 3 and any(e.initials.startswith(t) for t in _transpositions(q)):
        base = 5  # two initials typed the wrong way round ("gldj" for 鼓楼街道, gljd)
    else:
        return None
    return base + _KIND_RANK[e.kind] / 10
