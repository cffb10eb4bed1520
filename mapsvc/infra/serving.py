"""How `mapsvc serve` runs the service in production: gunicorn's command line, sized from
the machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# gunicorn's advice for its workers is (2 × cores) + 1; each of ours also runs THREADS
# threads, and each holds its own database pools, so more than 8 buys connections, not speed
MAX_DEFAULT_WORKERS = 8
DEFAULT_THREADS = 4
DEFAULT_TIMEOUT_S = 30
# the combined log format (Apache/nginx): host, ident, user, time, request line, status,
# bytes, referrer, user agent; what log tools read without configuration
COMBINED_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def cores() -> int:
    """CPU cores this process may run on (a container's cpuset included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_workers(n_cores: int | None = None) -> int:
    """Worker processes for n_cores: min(2 × cores + 1, 8)."""
    n = cores() if n_cores is None else n_cores
    return min(2 * n + 1, MAX_DEFAULT_WORKERS)


def gunicorn_argv(
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int = DEFAULT_TIMEOUT_S,
    graceful_timeout: int = DEFAULT_TIMEOUT_S,
) -> list[str]:
    """The command line starting gunicorn on the service.

    Threaded workers (gthread). SIGHUP is gunicorn's graceful reload: new workers load the
    code afresh (no --preload on purpose), old ones finish their requests within
    graceful_timeout. For threaded workers `timeout` is the worker's heartbeat: a worker
    silent that long is killed and replaced.
    """
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--name",
        "mapsvc",
        "--config",
        "python:mapsvc.infra.gunicorn_hooks",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        str(graceful_timeout),
        "--keep-alive",
        "5",
        "--access-logfile",
        "-",
        "--access-logformat",
        COMBINED_LOG_FORMAT,
        "--error-logfile",
        "-",
    ]
    # heartbeat files in memory: on a container's overlay /tmp their writes can stall workers
    if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):
        argv += ["--worker-tmp-dir", "/dev/shm"]
    return [*argv, "mapsvc.app:create_app()"]
