"""The layout keeps its promises: no import cycle, a domain that imports no service, a small
top level, services that know nothing of HTTP, and every SQL file used by its feature."""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mapsvc", "layers", "geodata")


@pytest.fixture(scope="module")
def graph():
    """The import graph of the project's packages (function-level imports included)."""
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _source(module: str) -> str:
    """The text of a module (a package's __init__.py)."""
    path = ROOT / module.replace(".", "/")
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return file.read_text(encoding="utf-8")


def _cycle(graph) -> list[str] | None:
    """One import cycle among the project's modules, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.find_modules_directly_imported_by(m)):
            if state.get(n) == 1:
                return path[path.index(n) :] + [n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph.modules):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle(graph):
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_domain_imports_nothing_of_the_service(graph):
    domain = {m for m in graph.modules if m.startswith("mapsvc.domain")}
    outside = {
        (m, n)
        for m in domain
        for n in graph.find_modules_directly_imported_by(m)
        if n not in domain
    }
    assert not outside, outside
    # nor any I/O or web library: the words and rules stand alone
    for m in domain:
        source = _source(m)
        assert not re.search(r"^\s*(from|import) (flask|psycopg2|sqlalchemy)\b", source, re.M), m


def test_the_top_level_of_mapsvc_is_small():
    modules = sorted(p.name for p in (ROOT / "mapsvc").glob("*.py"))
    assert len(modules) <= 12, modules


def test_services_know_nothing_of_http(graph):
    services = [m for m in graph.modules if m.endswith(".service")]
    assert len(services) >= 5, services
    for m in services:
        imported = graph.find_modules_directly_imported_by(m)
        http = {n for n in imported if n.startswith("mapsvc.http") or n.endswith("routes")}
        assert not http, (m, http)
        source = _source(m)
        assert not re.search(r"^\s*(from|import) flask\b", source, re.M), m


def test_every_sql_file_is_read_by_its_feature():
    for folder in sorted((ROOT / "mapsvc").glob("*/sql")):
        code = "\n".join(p.read_text(encoding="utf-8") for p in folder.parent.glob("*.py"))
        for sql in sorted(folder.glob("*.sql")):
            assert f'"{sql.stem}"' in code, f"{sql.relative_to(ROOT)} is read by nothing"
