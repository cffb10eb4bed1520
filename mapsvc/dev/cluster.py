"""The private development PostgreSQL cluster inside the project folder (var/pg).

It listens on loopback and its own socket folder only, on its own port, so it never
disturbs a PostgreSQL already running on the machine. When the process runs as root the
cluster is run by the `postgres` system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from mapsvc.infra.config import ClusterSettings, cluster_settings, libpq_dsn

EXTENSIONS = ("postgis", "pgrouting", "ltree")


class ClusterError(RuntimeError):
    """The private cluster could not be set up or started."""


@functools.lru_cache(maxsize=8)
def _postgres_can_reach(folder: Path) -> bool:
    res = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(folder)],
        check=False,
        capture_output=True,
    )
    return res.returncode == 0


def _root(cfg: ClusterSettings) -> Path:
    """var/pg, or a folder in /var/tmp when the postgres user cannot reach the project."""
    root = cfg.pg_dir
    if os.geteuid() == 0 and not _postgres_can_reach(cfg.var_dir.parent):
        # e.g. a checkout under a 0700 folder: keep the cluster private to this checkout anyway
        digest = hashlib.sha1(str(root).encode()).hexdigest()[:10]
        return Path("/var/tmp") / f"mapsvc-pg-{digest}"
    return root


def _paths(cfg: ClusterSettings) -> dict[str, Path]:
    root = _root(cfg)
    return {
        "root": root,
        "data": root / "data",
        "run": root / "run",
        "log": root / "postgres.log",
        "port": root / "port",
    }


def _run_as_owner(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a server command as the cluster owner (postgres when we are root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def _owner_uid() -> int | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError as exc:  # pragma: no cover - depends on the machine
        raise ClusterError(
            "running as root needs the 'postgres' system user (installed with the "
            "postgresql package): apt-get install postgresql-15"
        ) from exc


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port(cfg: ClusterSettings | None = None) -> int:
    """The port the cluster was initialised with (or will be)."""
    cfg = cfg or cluster_settings()
    p = _paths(cfg)["port"]
    return int(p.read_text().strip()) if p.exists() else cfg.port


def url(cfg: ClusterSettings | None = None) -> str:
    """Connection URL of the private cluster's application database."""
    cfg = cfg or cluster_settings()
    return f"postgresql://{cfg.superuser}@127.0.0.1:{port(cfg)}/{cfg.dbname}"


def is_initialised(cfg: ClusterSettings | None = None) -> bool:
    """Whether initdb has run in var/pg."""
    cfg = cfg or cluster_settings()
    return (_paths(cfg)["data"] / "PG_VERSION").exists()


def is_running(cfg: ClusterSettings | None = None) -> bool:
    """Whether the cluster's postmaster is up."""
    cfg = cfg or cluster_settings()
    if not is_initialised(cfg):
        return False
    res = _run_as_owner([str(cfg.bindir / "pg_ctl"), "status", "-D", str(_paths(cfg)["data"])])
    return res.returncode == 0


def _init(cfg: ClusterSettings) -> None:
    paths = _paths(cfg)
    initdb = cfg.bindir / "initdb"
    if not initdb.exists():
        raise ClusterError(
            f"{initdb} not found: install PostgreSQL 15 "
            "(apt-get install postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting) "
            "or set PG_BINDIR"
        )
    for d in (paths["root"], paths["run"]):
        d.mkdir(parents=True, exist_ok=True)
    uid = _owner_uid()
    if uid is not None:
        for d in (paths["root"], paths["run"]):
            os.chown(d, uid, -1)
        check = _run_as_owner(["test", "-w", str(paths["root"])])
        if check.returncode != 0:
            raise ClusterError(
                f"the postgres user cannot write to {paths['root']}: make every parent folder "
                "traversable (chmod o+x) or set MAPSVC_VAR to a folder it can use"
            )
    chosen = cfg.port
    while not _port_free(chosen):
        chosen += 1
    res = _run_as_owner(
        [
            str(initdb),
            "-D",
            str(paths["data"]),
            "-U",
            cfg.superuser,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]
    )
    if res.returncode != 0:
        raise ClusterError(f"initdb failed:\n{res.stdout}\n{res.stderr}")
    conf = paths["data"] / "postgresql.conf"
    with conf.open("a") as fh:
        # Loopback and a private socket only: this cluster is for this project alone.
        fh.write(
            "\n# mapsvc private cluster\n"
            f"port = {chosen}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{paths['run']}'\n"
            "shared_buffers = 512MB\n"
            "work_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
            "max_wal_size = 4GB\n"
            "max_connections = 200\n"
            "jit = off\n"
        )
    paths["port"].write_text(f"{chosen}\n")


def up(cfg: ClusterSettings | None = None) -> str:
    """Initialise (first time) and start the cluster, create the database; return its URL."""
    cfg = cfg or cluster_settings()
    paths = _paths(cfg)
    if not is_initialised(cfg):
        _init(cfg)
    if not is_running(cfg):
        res = _run_as_owner(
            [
                str(cfg.bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(paths["data"]),
                "-l",
                str(paths["log"]),
            ]
        )
        if res.returncode != 0:
            tail = paths["log"].read_text()[-2000:] if paths["log"].exists() else ""
            raise ClusterError(f"PostgreSQL did not start:\n{res.stdout}{res.stderr}\n{tail}")
    ensure_database(url(cfg))
    return url(cfg)


def down(cfg: ClusterSettings | None = None) -> bool:
    """Stop the cluster; False if it was not running."""
    cfg = cfg or cluster_settings()
    if not is_running(cfg):
        return False
    res = _run_as_owner(
        [str(cfg.bindir / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(_paths(cfg)["data"])]
    )
    if res.returncode != 0:
        raise ClusterError(f"pg_ctl stop failed: {res.stderr}")
    return True


def status(cfg: ClusterSettings | None = None) -> dict:
    """Facts about the cluster for `mapsvc db status`."""
    cfg = cfg or cluster_settings()
    return {
        "data_dir": str(_paths(cfg)["data"]),
        "initialised": is_initialised(cfg),
        "running": is_running(cfg),
        "port": port(cfg),
        "url": url(cfg),
    }


def destroy(cfg: ClusterSettings | None = None) -> None:
    """Stop the cluster and delete its files (used by `make clean-db`)."""
    cfg = cfg or cluster_settings()
    down(cfg)
    shutil.rmtree(_paths(cfg)["root"], ignore_errors=True)
    shutil.rmtree(cfg.pg_dir, ignore_errors=True)


def ensure_database(db_url: str, *, wait_s: float = 30.0) -> None:
    """Create the database named in db_url, when missing, and its extensions."""
    import psycopg2
    from psycopg2 import sql
    from sqlalchemy.engine import make_url

    deadline = time.monotonic() + wait_s
    while True:
        try:
            psycopg2.connect(libpq_dsn(db_url), connect_timeout=5).close()
            break
        except psycopg2.OperationalError as exc:
            if "does not exist" in str(exc):
                u = make_url(db_url)
                maint = u.set(database="postgres").render_as_string(hide_password=False)
                conn = psycopg2.connect(libpq_dsn(maint), connect_timeout=5)
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(u.database)))
                conn.close()
                continue
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    create_extensions(db_url)


def create_extensions(db_url: str) -> None:
    """Create PostGIS, pgRouting and ltree in the database (idempotent)."""
    import psycopg2

    conn = psycopg2.connect(libpq_dsn(db_url))
    conn.autocommit = True
    with conn.cursor() as cur:
        for ext in EXTENSIONS:
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    conn.close()
