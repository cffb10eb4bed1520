"""/api/v1/imports: a file upload becomes an import job (mapsvc.exchange.jobs).

POST multipart/form-data with `file` and `kind`, optional `crs`, `dry_run`, `partial`
(true/false): 202 with {id, status, links: {self}} and a Location header; 413 when the upload
is over MAPSVC_IMPORT_MAX_MB (50 MB); 409 when the account already has a job queued or
running. GET /api/v1/imports/{id}: status, progress and, once ended, the report; GET
/api/v1/imports: the caller's jobs (admins: all); DELETE /api/v1/imports/{id} (or POST
…/cancel) cancels a queued or running job.
"""

from __future__ import annotations

import os
import re

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from mapsvc import access
from mapsvc.domain.errors import BadInput, TooLarge
from mapsvc.exchange import imports, jobs
from mapsvc.http import params
from mapsvc.http.params import declare
from mapsvc.infra.config import import_settings

bp = Blueprint("imports", __name__, url_prefix="/api/v1")


def _too_large(limit: int, size: int | None = None) -> TooLarge:
    mb = round(limit / (1024 * 1024), 3)
    if size is None:
        return TooLarge("upload_too_large", mb=mb)
    return TooLarge("import_upload_too_large", mb=mb, size_mb=size / (1024 * 1024))


def _settings():
    return import_settings(current_app.config)


def _url() -> str:
    return current_app.config["DATABASE_URL"]


@bp.post("/imports")
@declare()  # no query parameters: the form carries file, kind, crs, dry_run, partial
def create_import():
    """Queue an uploaded file of records as an import job; 202 with the job to poll."""
    settings = _settings()
    limit = current_app.config.get("IMPORT_MAX_BYTES") or settings.max_bytes
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise _too_large(limit, request.content_length)
    request.max_content_length = limit + 64 * 1024  # the form around the file
    try:
        upload = request.files.get("file")
        form = request.form
    except RequestEntityTooLarge:
        raise _too_large(limit) from None
    if upload is None or not upload.filename:
        raise BadInput("upload_missing_file")
    kind = params.choice(form, "kind", {k: r.zh for k, r in imports.KINDS.items()})
    if kind is None:
        raise BadInput("missing_parameter", name="kind")
    principal = access.require_write(kind)
    options = {
        "crs": (form.get("crs") or "").strip() or None,
        "dry_run": params.flag(form, "dry_run"),
        "partial": params.flag(form, "partial"),
        # the limits of the process that took the upload, whichever process runs it
        "limits": {"max_rows": settings.max_rows, "report_per_code": settings.report_per_code},
    }
    ext = os.path.splitext(upload.filename)[1].lower()
    path = jobs.upload_path(settings, ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else "")
    upload.save(path)
    size = path.stat().st_size
    if size > limit:
        path.unlink(missing_ok=True)
        raise _too_large(limit, size)
    job = jobs.submit(
        _url(),
        path,
        file_name=os.path.basename(upload.filename),
        kind=kind,
        options=options,
        owner=jobs.Owner(principal, access.remote_addr()),
        settings=settings,
    )
    shown = jobs.present(job)
    res = jsonify({k: shown[k] for k in ("id", "status", "status_zh", "kind", "file", "links")})
    res.status_code = 202
    res.headers["Location"] = shown["links"]["self"]
    return res


@bp.get("/imports")
@declare()
def list_imports():
    """The caller's import jobs, newest first (admins: everyone's)."""
    jobs.wake(_url(), _settings())  # a restarted process picks up jobs left queued
    return jsonify({"jobs": jobs.list_jobs(_url(), access.principal())})


@bp.get("/imports/<int:job_id>")
@declare()
def get_import(job_id: int):
    """One import job: status, progress and, once it has ended, the report."""
    job = jobs.get(_url(), job_id, access.principal())
    if job["status"] == "queued":
        jobs.wake(_url(), _settings())
    return jsonify(jobs.present(job))


@bp.delete("/imports/<int:job_id>")
@declare()
def delete_import(job_id: int):
    """Cancel a queued or running import job (a running one stops at its next page)."""
    job = jobs.cancel(_url(), job_id, access.principal())
    return jsonify(jobs.present(job)), 202 if job["status"] == "running" else 200


@bp.post("/imports/<int:job_id>/cancel")
@declare()
def cancel_import(job_id: int):
    """The same as DELETE /api/v1/imports/{id}, for clients that cannot send DELETE."""
    return delete_import(job_id)
