"""POST /api/v1/imports: a file upload into the import service (mapsvc.exchange.imports).

multipart/form-data with `file` and `kind`, optional `crs`, `dry_run`, `partial` (true/false).
200 with the report when written or a dry run passed; 422 with the report when rejected
(nothing written); 413 when the upload is over the limit (IMPORT_MAX_BYTES, 50 MB).
"""

from __future__ import annotations

import os
import re
import tempfile

import psycopg2
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from mapsvc import access
from mapsvc.domain.errors import BadInput, TooLarge, Unavailable
from mapsvc.exchange import imports
from mapsvc.http import params
from mapsvc.http.params import declare
from mapsvc.infra import db

bp = Blueprint("imports", __name__, url_prefix="/api/v1")

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _too_large(limit: int) -> TooLarge:
    return TooLarge("upload_too_large", mb=limit / (1024 * 1024))


@bp.post("/imports")
@declare()  # no query parameters: the form carries file, kind, crs, dry_run, partial
def create_import():
    """Import an uploaded file of records; all or nothing unless partial=true."""
    limit = current_app.config.get("IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES)
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise _too_large(limit)
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
    access.require_write(kind)
    dry_run = params.flag(form, "dry_run")
    partial = params.flag(form, "partial")
    crs = (form.get("crs") or "").strip() or None
    ext = os.path.splitext(upload.filename)[1].lower()
    ext = ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else ""
    with tempfile.TemporaryDirectory(prefix="mapsvc-import-") as tmp:
        path = os.path.join(tmp, f"upload{ext}")
        upload.save(path)
        if os.path.getsize(path) > limit:
            raise _too_large(limit)
        try:
            report = imports.import_file(
                current_app.config["DATABASE_URL"],
                path,
                kind,
                crs=crs,
                dry_run=dry_run,
                partial=partial,
                filename=os.path.basename(upload.filename),
                authorize=lambda cur, kind, changes: access.refused_writes(
                    cur, access.principal(), kind, changes
                ),
            )
        except psycopg2.OperationalError:
            raise Unavailable("import_database_unavailable") from None
    if report["status"] == "written":
        with db.cursor(current_app.config["DATABASE_URL"]) as cur:
            access.audit(
                cur,
                f"import_{kind.replace('-', '_')}",
                kind,
                {
                    "file": report.get("file"),
                    "inserted": report["inserted"],
                    "updated": report["updated"],
                    "rejected": report["rejected"],
                },
            )
    return jsonify(report), 422 if report["status"] == "rejected" else 200
