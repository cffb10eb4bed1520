"""`mapsvc serve` in production: gunicorn master and workers, graceful reload, clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from mapsvc.infra import serving

MAPSVC = [sys.executable, "-m", "mapsvc.cli"]
REPO = Path(__file__).parents[2]

pytestmark = pytest.mark.slow  # starts gunicorn and waits for its workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return set()
    return {int(p) for p in text.split()}


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _get(url: str, timeout: float = 10) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        r.read()
        return r.status


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        return _get(url, timeout=2) == 200
    except OSError:
        return False


def _start(args, db_url, log):
    env = {**os.environ, "DATABASE_URL": db_url}
    env.pop("WORKERS", None)
    return subprocess.Popen(
        [*MAPSVC, "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
    )


def test_the_workers_rule_follows_the_cores():
    assert [serving.default_workers(n) for n in (1, 2, 3, 4, 16)] == [3, 5, 7, 8, 8]
    assert serving.default_workers() == min(2 * serving.cores() + 1, 8)


def test_serve_runs_gunicorn_reloads_on_hup_without_a_failure_and_stops_on_term(db_url, tmp_path):
    port = _free_port()
    health = f"http://127.0.0.1:{port}/health"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = _start(["--port", str(port), "--threads", "2"], db_url, log)
    try:
        expected = serving.default_workers()
        _wait(lambda: _answers(health) or proc.poll() is not None, 60, "/health")
        assert proc.poll() is None, log_path.read_text()
        # the process tree: the command became gunicorn's master, with its workers below it
        assert "gunicorn" in _cmdline(proc.pid)
        _wait(lambda: len(_children(proc.pid)) == expected, 60, f"{expected} workers")
        before = _children(proc.pid)
        assert all("gunicorn" in _cmdline(w) for w in before)
        with urllib.request.urlopen(health, timeout=5) as r:
            assert json.load(r)["database"] == "up"

        # requests in a loop from 4 clients while the master reloads its workers
        failures: list[str] = []
        done = [0]
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                try:
                    status = _get(health)
                    if status != 200:
                        failures.append(str(status))
                    done[0] += 1
                except Exception as exc:  # noqa: BLE001 - every failure counts
                    failures.append(repr(exc))

        clients = [threading.Thread(target=hammer) for _ in range(4)]
        for t in clients:
            t.start()
        time.sleep(0.5)
        started = done[0]
        os.kill(proc.pid, signal.SIGHUP)
        _wait(
            lambda: len(_children(proc.pid)) == expected and not (_children(proc.pid) & before),
            90,
            "the reloaded workers",
        )
        time.sleep(0.5)
        stop.set()
        for t in clients:
            t.join(timeout=20)
        assert failures == []
        assert done[0] - started > 20  # requests kept being answered across the reload
        assert proc.poll() is None

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
        assert not _answers(health)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    log = log_path.read_text()
    # the access log, combined format: host - - [time] "request" status bytes "referrer" "agent"
    assert re.search(
        r'^127\.0\.0\.1 - - \[[^\]]+\] "GET /health HTTP/1\.1" 200 \d+ "-" "Python-urllib/',
        log,
        re.M,
    ), log[-2000:]
    assert "Handling signal: hup" in log and "Handling signal: term" in log


def test_dev_serves_with_flasks_server_in_one_process(db_url, tmp_path):
    port = _free_port()
    health = f"http://127.0.0.1:{port}/health"
    with (tmp_path / "dev.log").open("wb") as log:
        proc = _start(["--port", str(port), "--dev"], db_url, log)
    try:
        _wait(lambda: _answers(health) or proc.poll() is not None, 60, "/health")
        assert proc.poll() is None
        assert "gunicorn" not in _cmdline(proc.pid)
        assert _children(proc.pid) == set()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
