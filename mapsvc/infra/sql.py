"""The service's SQL, one file a query in each feature's sql/ folder, run as prepared statements.

Queries on hot paths (nearest, walking distance) take longer to plan than to run, so
`execute` prepares each one once per database session and then only EXECUTEs it.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from functools import cache
from pathlib import Path

_NAMED = re.compile(r"%\((\w+)\)s")
# connection → statements prepared on it: a new connection (after a database restart, or one
# the pool opened anew) starts with none; keyed by the object, since backend pids get reused
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Queries:
    """The SQL files of one feature folder: `query = Queries(__file__)`, then `query("nearest")`."""

    def __init__(self, module_file: str):
        self.folder = Path(module_file).resolve().parent / "sql"

    def __call__(self, name: str) -> str:
        """The text of <feature>/sql/<name>.sql."""
        return _read(self.folder / f"{name}.sql")


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def _positional(text: str) -> tuple[str, str, tuple[str, ...]]:
    """(statement name, text with $n placeholders, parameter names in $n order)."""
    names: list[str] = []

    def number(m: re.Match) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    body = _NAMED.sub(number, text).replace("%%", "%")
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    return f"q_{digest}", body, tuple(names)


def execute(cur, text: str, params: dict) -> None:
    """Run text (with %(name)s placeholders) as a prepared statement on cur's session."""
    name, body, names = _positional(text)
    done = _prepared.setdefault(cur.connection, set())
    if name not in done:
        cur.execute(f"PREPARE {name} AS {body}")
        done.add(name)
    if names:
        cur.execute(
            f"EXECUTE {name} ({', '.join(['%s'] * len(names))})", [params[n] for n in names]
        )
    else:
        cur.execute(f"EXECUTE {name}")
