"""Backups of the database with PostgreSQL's own tools: pg_dump (custom format) and
pg_restore into a fresh database that replaces the old one only once it is complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from mapsvc.domain.errors import Conflict, Rejected, Unavailable
from mapsvc.infra.config import cluster_settings, libpq_dsn


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program: the private cluster's bindir, else PATH."""
    own = cluster_settings().bindir / name
    if own.exists():
        return str(own)
    found = shutil.which(name)
    if not found:
        raise Unavailable("pg_tool_missing", tool=name)
    return found


def _split(url: str) -> tuple[str, dict]:
    """A URL without its password (command lines are visible to every local user) and the
    environment carrying the password instead."""
    u = make_url(url)
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    # _replace, not set(): set() keeps the password when given None
    bare = u._replace(password=None, drivername="postgresql").render_as_string(hide_password=False)
    return bare, env


def _run(cmd: list[str], env: dict) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip()[-1500:]
        raise Unavailable("pg_tool_failed", tool=Path(cmd[0]).name, detail=detail)
    return res


def backup(url: str, file: str | Path) -> int:
    """Dump the database at url to file (custom format, compressed); its size in bytes."""
    bare, env = _split(url)
    target = Path(file)
    partial = target.with_name(target.name + ".partial")
    # written beside the target and renamed: a failed dump never leaves a truncated backup
    _run([pg_tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={bare}"], env)
    partial.replace(target)
    return target.stat().st_size


def dump_revision(file: str | Path) -> str | None:
    """The schema revision (alembic_version) stored in a dump, None when it holds none."""
    res = _run(
        [pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(file)],
        dict(os.environ),
    )
    lines = res.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            return None if value == "\\." else value
    return None


def _maintenance(url: str):
    maint = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    conn = psycopg2.connect(libpq_dsn(maint))
    conn.autocommit = True
    return conn


def is_empty(url: str) -> bool:
    """Whether the database is missing or holds no table of its own (extensions' aside)."""
    try:
        conn = psycopg2.connect(libpq_dsn(url), connect_timeout=5)
    except psycopg2.OperationalError as exc:
        if "does not exist" in str(exc):
            return True
        raise
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT count(*) FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog',
                         'information_schema', 'pg_toast')
                     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid =
                         'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"""
            )
            return cur.fetchone()[0] == 0
    finally:
        conn.close()


def restore(url: str, file: str | Path, *, replace: bool) -> None:
    """Restore the dump into a new database, then swap it in for the one at url.

    Refused when the database holds tables and replace is False. The old database is
    dropped only after the restore succeeded, so a failed one leaves it as it was.
    """
    if not Path(file).is_file():
        raise Rejected("restore_no_file", file=str(file))
    target = make_url(url).database
    if not replace and not is_empty(url):
        raise Conflict("restore_not_empty", db=target)
    scratch = f"{target[:40]}_restore_{uuid.uuid4().hex[:8]}"
    bare, env = _split(make_url(url).set(database=scratch).render_as_string(hide_password=False))
    conn = _maintenance(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(scratch)
                )
            )
        try:
            # --no-owner: everything belongs to whoever restores (the owner role), as the
            # migrations made it; grants (the service role's) come back as dumped
            _run(
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={bare}",
                    str(file),
                ],
                env,
            )
        except BaseException:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(scratch)
                    )
                )
            raise
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
            )
            cur.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(scratch), sql.Identifier(target)
                )
            )
    finally:
        conn.close()


def is_known_revision(revision: str) -> bool:
    """Whether the revision is one of the project's migrations (not a newer version's)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from mapsvc.infra.migrate import alembic_config

    try:
        return ScriptDirectory.from_config(alembic_config("")).get_revision(revision) is not None
    except CommandError:
        return False
