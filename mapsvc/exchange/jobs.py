"""Imports as jobs: an upload waits in import_jobs until a background worker runs it.

`submit` stores the job (one queued or running job per account: a second is a Conflict
naming the first); worker threads of any process claim queued jobs with FOR UPDATE SKIP
LOCKED, run `execute` (the same code the command line runs in its own process) and keep
heartbeat, progress and the cancel flag in step once a second; the bounded report lands in
the row when the job ends, and the upload is deleted. A running job whose heartbeat is older
than the stale limit (its process died) is marked failed at the next claim. `cancel` ends a
queued job at once and asks a running one to stop at its next page: everything is one
transaction, so a cancelled import writes nothing, partial or not.

The job runs as its account: the scope check and the audit entry use the principal stored
with the job, never a request's (a worker has no request).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg2
from psycopg2.extras import Json, RealDictCursor

from mapsvc.access import accounts
from mapsvc.access.principal import Principal
from mapsvc.access.scope import refused_writes
from mapsvc.domain.errors import Conflict, NotFound
from mapsvc.domain.messages import MESSAGES, words
from mapsvc.domain.vocabulary import IMPORT_JOB_STATUSES
from mapsvc.exchange import imports
from mapsvc.infra.config import ImportSettings, import_settings
from mapsvc.infra.db import libpq_dsn

log = logging.getLogger(__name__)

STATUS_ZH = IMPORT_JOB_STATUSES
ACTIVE = ("queued", "running")
_ENDED_BY = {"written": "succeeded", "dry_run": "succeeded", "rejected": "rejected"}
BEAT_S = 1.0  # heartbeat, progress and the cancel flag travel this often
IDLE_S = 2.0  # an idle worker looks for jobs queued by other processes this often
DOWN_S = 30.0  # and this often while the database does not answer


@dataclass(frozen=True)
class Owner:
    """Who submitted a job: it runs with their role and scope."""

    principal: Principal
    remote_addr: str | None = None


def _connect(url: str):
    conn = psycopg2.connect(libpq_dsn(url))
    conn.autocommit = True
    return conn


def _one(url: str, query: str, args=()) -> dict | None:
    conn = _connect(url)
    try:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(query, args)
            return cur.fetchone() if cur.description else None
    finally:
        conn.close()


def _all(url: str, query: str, args=()) -> list[dict]:
    conn = _connect(url)
    try:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(query, args)
            return cur.fetchall()
    finally:
        conn.close()


def _failure(reason_zh: str, reason_en: str) -> dict:
    words = MESSAGES["import_failed"]
    return {
        "code": "import_failed",
        "message": words.zh.format(reason=reason_zh),
        "message_en": words.en.format(reason=reason_en),
    }


# ------------------------------------------------------------------------- the job as shown
def present(job: dict) -> dict:
    """A job as the API shows it: the report once it has ended."""
    ended = job["status"] not in ACTIVE
    out = {
        "id": job["id"],
        "status": job["status"],
        "status_zh": STATUS_ZH[job["status"]],
        "kind": job["kind"],
        "file": job["file_name"],
        "size_bytes": job["size_bytes"],
        "options": job["options"],
        "user": job["user_name"],
        "progress": job["progress"],
        "cancel_requested": job["cancel_requested"],
        "created_at": job["created_at"].isoformat(),
        "started_at": job["started_at"].isoformat() if job["started_at"] else None,
        "finished_at": job["finished_at"].isoformat() if job["finished_at"] else None,
        "links": {"self": f"/api/v1/imports/{job['id']}"},
    }
    if ended:
        out["report"] = job["report"]
        if job["error"]:
            out["error"] = job["error"]
    return out


def _visible(job: dict | None, viewer: Principal, job_id) -> dict:
    if job is None or not (viewer.is_admin or job["user_name"] == viewer.name):
        raise NotFound("import_job_not_found", id=job_id)
    return job


# ------------------------------------------------------------------------- the API's side
def submit(
    url: str,
    upload: Path,
    *,
    file_name: str,
    kind: str,
    options: dict,
    owner: Owner,
    settings: ImportSettings,
) -> dict:
    """Queue the stored upload as a job of the owner's; Conflict when they have one going."""
    p = owner.principal
    try:
        job = _one(
            url,
            "INSERT INTO import_jobs (user_id, user_name, principal, remote_addr, kind, options,"
            " file_name, file_path, size_bytes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " RETURNING *",
            (
                p.user_id,
                p.name,
                Json({**asdict(p), "grid_codes": list(p.grid_codes)}),
                owner.remote_addr,
                kind,
                Json(options),
                file_name,
                str(upload),
                upload.stat().st_size,
            ),
        )
    except psycopg2.errors.UniqueViolation:
        upload.unlink(missing_ok=True)
        going = _one(
            url,
            "SELECT id, file_name, status FROM import_jobs "
            "WHERE user_name = %s AND status IN ('queued', 'running')",
            (p.name,),
        ) or {"id": "?", "file_name": "?", "status": "running"}
        raise Conflict(
            "import_job_running",
            id=going["id"],
            file=going["file_name"],
            status=going["status"],
            status_zh=STATUS_ZH[going["status"]],
            extra={"job": {"id": going["id"], "links": {"self": f"/api/v1/imports/{going['id']}"}}},
        ) from None
    wake(url, settings)
    return job


def upload_path(settings: ImportSettings, ext: str) -> Path:
    """A new file name in var/imports for an upload (ext like .csv, or empty)."""
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    return settings.upload_dir / f"{uuid.uuid4().hex}{ext}"


def get(url: str, job_id: int, viewer: Principal) -> dict:
    """One job the viewer may see (their own; admins: any); NotFound otherwise."""
    return _visible(_one(url, "SELECT * FROM import_jobs WHERE id = %s", (job_id,)), viewer, job_id)


def list_jobs(url: str, viewer: Principal, limit: int = 50) -> list[dict]:
    """The viewer's latest jobs (admins: everyone's), newest first, without reports."""
    rows = _all(
        url,
        "SELECT * FROM import_jobs WHERE %s OR user_name = %s ORDER BY id DESC LIMIT %s",
        (viewer.is_admin, viewer.name, limit),
    )
    return [{k: v for k, v in present(r).items() if k != "report"} for r in rows]


def cancel(url: str, job_id: int, viewer: Principal) -> dict:
    """Cancel a queued job at once, or ask a running one to stop at its next page."""
    job = get(url, job_id, viewer)
    done = _one(
        url,
        """
        UPDATE import_jobs SET
            cancel_requested = true,
            status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
        WHERE id = %s AND status IN ('queued', 'running') RETURNING *""",
        (job_id,),
    )
    if done is None:
        raise Conflict(
            "import_job_ended",
            id=job_id,
            status=job["status"],
            status_zh=STATUS_ZH[job["status"]],
        )
    if done["status"] == "cancelled":
        _forget_upload(url, done)
    return done


def _forget_upload(url: str, job: dict) -> None:
    if job.get("file_path"):
        Path(job["file_path"]).unlink(missing_ok=True)
        _one(url, "UPDATE import_jobs SET file_path = NULL WHERE id = %s", (job["id"],))


# ------------------------------------------------------------------------- running a job
def execute(
    url: str,
    path: str | os.PathLike,
    kind: str,
    options: dict,
    *,
    owner: Owner | None = None,
    file_name: str | None = None,
    limits: imports.Limits | None = None,
    progress=None,
    cancelled=None,
) -> dict:
    """Run one import (the worker's job, or the command line's); audited when written.

    owner None: the command line, which checks no scope and audits nothing (as before).
    """
    authorize = None
    if owner is not None:
        p = owner.principal

        def authorize(cur, kind, changes):
            return refused_writes(cur, p, kind, changes)

    report = imports.import_file(
        url,
        path,
        kind,
        crs=options.get("crs"),
        dry_run=bool(options.get("dry_run")),
        partial=bool(options.get("partial")),
        filename=file_name,
        authorize=authorize,
        limits=limits,
        progress=progress,
        cancelled=cancelled,
    )
    if report["status"] == "written" and owner is not None:
        conn = psycopg2.connect(libpq_dsn(url))
        try:
            with conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
                accounts.record_audit(
                    cur,
                    owner.principal.name,
                    f"import_{kind.replace('-', '_')}",
                    kind,
                    {
                        "file": report.get("file"),
                        "inserted": report["inserted"],
                        "updated": report["updated"],
                        "rejected": report["rejected"],
                    },
                    owner.remote_addr,
                )
        finally:
            conn.close()
    return report


def _owner_of(job: dict) -> Owner:
    p = dict(job["principal"])
    p["grid_codes"] = tuple(p.get("grid_codes") or ())
    return Owner(Principal(**p), job["remote_addr"])


class _Beat(threading.Thread):
    """Once a second: heartbeat and progress out, the cancel flag in."""

    def __init__(self, url: str, job_id: int):
        super().__init__(daemon=True, name=f"import-job-{job_id}-beat")
        self.url, self.job_id = url, job_id
        self.progress: dict = {}
        self.cancelled = threading.Event()
        self.stopped = threading.Event()

    def run(self) -> None:
        conn = _connect(self.url)
        try:
            while not self.stopped.wait(BEAT_S):
                self.beat(conn)
        except psycopg2.Error:
            log.exception("import job %s: heartbeat failed", self.job_id)
        finally:
            conn.close()

    def beat(self, conn) -> None:
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE import_jobs SET heartbeat_at = now(), progress = %s "
                "WHERE id = %s RETURNING cancel_requested",
                (Json(self.progress), self.job_id),
            )
            row = cur.fetchone()
        if row is None or row[0]:
            self.cancelled.set()


def run_job(url: str, job: dict, settings: ImportSettings) -> str:
    """Run a claimed job to its end; the status it ended with."""
    beat = _Beat(url, job["id"])
    beat.progress = dict(job["progress"] or {})
    beat.start()
    report, error = None, None
    try:
        report = execute(
            url,
            job["file_path"],
            job["kind"],
            job["options"],
            owner=_owner_of(job),
            file_name=job["file_name"],
            limits=imports.Limits(**job["options"]["limits"])
            if "limits" in job["options"]
            else imports.Limits(settings.max_rows, settings.report_per_code),
            progress=lambda state: setattr(beat, "progress", state),  # a new dict each time
            cancelled=beat.cancelled.is_set,
        )
        status = _ENDED_BY.get(report["status"], "cancelled")
    except Exception as exc:  # noqa: BLE001 - whatever broke, the job ends failed, not stuck
        log.exception("import job %s failed", job["id"])
        status = "failed"
        error = _failure(type(exc).__name__, f"{type(exc).__name__}: {exc}")
    finally:
        beat.stopped.set()
        beat.join()
    Path(job["file_path"]).unlink(missing_ok=True)
    _one(
        url,
        "UPDATE import_jobs SET status = %s, report = %s, error = %s, progress = %s, "
        "finished_at = now(), heartbeat_at = now(), file_path = NULL "
        "WHERE id = %s AND status = 'running'",
        (
            status,
            Json(report) if report is not None else None,
            Json(error) if error else None,
            Json({**beat.progress, "phase": "done"}),
            job["id"],
        ),
    )
    return status


def claim(url: str, settings: ImportSettings) -> dict | None:
    """Fail the jobs whose process died, then take the oldest queued job (None: none)."""
    stale = _all(
        url,
        "UPDATE import_jobs SET status = 'failed', error = %s, finished_at = now() "
        "WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => %s) "
        "RETURNING id, file_path",
        (
            Json(_failure(*words("import_worker_gone")[1:])),
            settings.stale_s,
        ),
    )
    for job in stale:
        _forget_upload(url, job)
    return _one(
        url,
        """
        UPDATE import_jobs SET status = 'running', started_at = now(), heartbeat_at = now(),
            progress = '{"phase": "queued"}'
        WHERE id = (SELECT id FROM import_jobs WHERE status = 'queued'
                    ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING *""",
    )


# ------------------------------------------------------------------------- the workers
class _Pool:
    """This process's worker threads for one database, started at its first job."""

    def __init__(self, url: str, settings: ImportSettings):
        self.url, self.settings = url, settings
        self.wake = threading.Event()
        self.threads = [
            threading.Thread(target=self.loop, daemon=True, name=f"import-worker-{i}")
            for i in range(settings.workers)
        ]
        for t in self.threads:
            t.start()

    def loop(self) -> None:
        while True:
            idle = IDLE_S
            try:
                job = claim(self.url, self.settings)
            except psycopg2.Error as exc:
                log.warning("import worker: cannot claim a job: %s", exc)
                job, idle = None, DOWN_S
            if job is None:
                self.wake.wait(idle)
                self.wake.clear()
                continue
            run_job(self.url, job, self.settings)


_pools: dict[str, _Pool] = {}
_pools_lock = threading.Lock()


def wake(url: str, settings: ImportSettings | None = None) -> None:
    """Start this process's workers for url if need be, and have one look for work now."""
    settings = settings or import_settings()
    if settings.workers <= 0:
        return  # jobs wait for a process that has workers
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            pool = _pools[url] = _Pool(url, settings)
    pool.wake.set()
