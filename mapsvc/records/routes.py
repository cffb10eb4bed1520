"""/api/v1/<records>: list, get, create, update, delete for every kind in the catalog.

Updates use optimistic concurrency: GET returns an ETag (the record's version); PATCH and
DELETE send it back in If-Match (or "version" in the body). Two editors never silently
overwrite each other: the second gets 412 and the current version.
"""

from __future__ import annotations

import psycopg2
import shapely.geometry
from flask import Blueprint, current_app, jsonify, request, url_for

from mapsvc import access
from mapsvc.infra import db
from mapsvc.exchange import formats as exchange
from mapsvc.http import params
from mapsvc.records import service as records
from mapsvc.records import validation
from mapsvc.records.catalog import INT4_MAX, RESOURCES, Resource
from mapsvc.http.errors import ApiError

bp = Blueprint("records", __name__, url_prefix="/api/v1")


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


def _key(resource: Resource, raw: str):
    if resource.field(resource.key).type == "int":
        try:
            return int(raw)
        except ValueError:
            raise ApiError(
                404, "not_found", f"{resource.zh} {raw} 不存在", f"{resource.en} {raw} not found"
            ) from None
    return raw


def _not_found(resource: Resource, key) -> ApiError:
    return ApiError(
        404, "not_found", f"{resource.zh} {key} 不存在", f"{resource.en} {key} not found"
    )


def invalid(problems: list[validation.Problem], *, status: int = 400) -> ApiError:
    """A refusal listing every problem."""
    first = problems[0]
    more_zh = f"（共 {len(problems)} 处问题）" if len(problems) > 1 else ""
    more_en = f" ({len(problems)} problems)" if len(problems) > 1 else ""
    return ApiError(
        status,
        "invalid_record",
        f"{first.message}{more_zh}；未做任何修改",
        f"{first.message_en}{more_en}; nothing was changed",
        errors=[p.as_dict() for p in problems],
    )


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "请求体应为 JSON 对象", "the body must be a JSON object")
    return body


def _expected_version(body: dict | None, *, required: bool) -> int | None:
    raw = request.headers.get("If-Match")
    if raw:
        raw = raw.strip().removeprefix("W/").strip('"')
    elif body and "version" in body:
        raw = str(body["version"])
    if not raw:
        if required:
            raise ApiError(
                428,
                "version_required",
                "修改前请先读取记录，并在 If-Match 头（或 version 字段）中带上其版本号",
                "read the record first and send its version in If-Match (or a version field)",
            )
        return None
    try:
        version = int(raw)
    except ValueError:
        raise ApiError(
            400, "bad_version", f"版本号应为整数：{raw}", f"the version must be an integer: {raw}"
        ) from None
    if not 0 <= version <= INT4_MAX:  # the version column is an integer
        raise ApiError(
            400, "bad_version", f"版本号超出范围：{raw}", f"the version is out of range: {raw}"
        )
    return version


def _conflict(resource: Resource, key, exc: records.VersionConflict) -> ApiError:
    return ApiError(
        412,
        "version_conflict",
        f"{resource.zh} {key} 已被他人修改（当前版本 {exc.current_version}），请重新读取后再修改",
        f"{resource.en} {key} was changed by someone else (now version "
        f"{exc.current_version}); read it again before changing it",
        current_version=exc.current_version,
    )


def _with_etag(record: dict, status: int = 200, headers: dict | None = None):
    res = jsonify(record)
    res.status_code = status
    res.headers["ETag"] = f'"{record["version"]}"'
    for k, v in (headers or {}).items():
        res.headers[k] = v
    return res


def _write(cur, resource: Resource, action):
    """Run a write; a database constraint that still objects becomes a 400/409."""
    try:
        cur.execute("SAVEPOINT write")
        result = action()
        cur.execute("RELEASE SAVEPOINT write")
        return result
    except psycopg2.IntegrityError as exc:
        cur.execute("ROLLBACK TO SAVEPOINT write")
        problem = validation.explain_db_error(exc)
        status = 409 if isinstance(exc, psycopg2.errors.UniqueViolation) else 400
        raise invalid([problem], status=status) from None


def _seen(resource: Resource) -> dict:
    """What of this kind the caller may read: members only in their scope; phones unless
    they are a viewer."""
    p = access.principal()
    scope = access.member_filter(p, "t") if resource.kind == "members" else None
    return {"scope_sql": scope, "show_phones": p.sees_phones}


def _audit_members(resource: Resource, action: str, detail: dict) -> None:
    if resource.kind == "members":
        access.audit_read(action, "members", detail)


def _label(resource: Resource, key) -> tuple[str, str]:
    return f"{resource.zh} {key}", f"{resource.en} {key}"


def list_view(resource: Resource):
    """List records, filtered and paged."""
    args = request.args
    filters = {}
    for f in resource.fields:
        if f.filter and args.get(f.name) not in (None, ""):
            wanted = (
                [v for v in args[f.name].split(",") if v] if f.type == "enum" else [args[f.name]]
            )
            try:
                values = [validation.filter_value(f, v) for v in wanted]
            except validation.Invalid as exc:
                p = exc.problems[0]
                raise ApiError(400, p.code, p.message, p.message_en) from None
            filters[f.name] = values if len(values) > 1 else values[0]
    q = (args.get("q") or "").strip() or None
    fmt = params.choice(
        args, "f", {"json": "JSON", "geojson": "GeoJSON", **exchange.FILE_FORMATS}, default="json"
    )
    most = exchange.EXPORT_MAX_ROWS if fmt in exchange.FILE_FORMATS else 1000  # downloads
    limit = params.integer(args, "limit", default=100 if most == 1000 else most, lo=1, hi=most)
    offset = params.integer(args, "offset", default=0, lo=0, hi=10**9)
    geometry = params.choice(args, "geometry", records.GEOMETRY_MODES, default="full")
    with _cursor() as cur:
        items, total = records.list_records(
            cur,
            resource,
            filters=filters,
            q=q,
            limit=limit,
            offset=offset,
            geometry=geometry,
            **_seen(resource),
        )
    _audit_members(
        resource,
        "export_members" if fmt in exchange.FILE_FORMATS else "read_members",
        {"count": len(items), "total": total, "format": fmt},
    )
    if fmt in exchange.FILE_FORMATS:  # csv, xlsx, gpkg: a file to download (mapsvc.exchange.formats)
        return exchange.download(resource, items, fmt, args, total=total)
    if fmt == "geojson" and resource.geometry:
        g = resource.geometry.name
        return jsonify(
            {
                "type": "FeatureCollection",
                "numberMatched": total,
                "numberReturned": len(items),
                "features": [
                    {
                        "type": "Feature",
                        "id": i.get("id", i.get("code")),
                        "geometry": i.get(g),
                        "properties": {k: v for k, v in i.items() if k != g},
                    }
                    for i in items
                ],
            }
        )
    return jsonify({"items": items, "total": total, "limit": limit, "offset": offset})


def get_view(resource: Resource, key: str):
    """One record, with its version as ETag."""
    key = _key(resource, key)
    with _cursor() as cur:
        try:
            record = records.get_record(cur, resource, key, **_seen(resource))
        except records.NotFound:
            raise _not_found(resource, key) from None
    _audit_members(resource, "read_member", {"id": key})
    if request.headers.get("If-None-Match", "").strip('"') == str(record["version"]):
        return "", 304
    return _with_etag(record)


def create_view(resource: Resource):
    """Create a record after validating it; 201 with its URL and any party-rule warnings."""
    body = _body()
    values, problems = validation.coerce(
        resource, body, crs=body.get("crs") or request.args.get("crs") or "wgs84"
    )
    if problems:
        raise invalid(problems)
    with _cursor() as cur:
        access.require_in_scope(cur, resource.kind, None, values, *_label(resource, ""))
        problems = validation.check_rules(cur, resource, values)
        if problems:
            raise invalid(problems)
        key = _write(cur, resource, lambda: records.create_record(cur, resource, values))
        record = records.get_record(cur, resource, key, **_seen(resource))
        warnings = _warnings(cur, resource, record)
        access.audit(cur, f"create_{resource.kind}", f"{resource.name}:{key}", _changed(values))
    location = url_for(f"records.get_{resource.kind}", key=key)
    return _with_etag({**record, "warnings": warnings}, 201, {"Location": location})


def update_view(resource: Resource, key: str):
    """Change some fields of a record, if nobody changed it since the client read it."""
    key = _key(resource, key)
    body = _body()
    expected = _expected_version(body, required=True)
    body = {k: v for k, v in body.items() if k not in ("version", "crs")}
    values, problems = validation.coerce(
        resource,
        body,
        partial=True,
        crs=request.get_json().get("crs") or request.args.get("crs") or "wgs84",
    )
    if problems:
        raise invalid(problems)
    with _cursor() as cur:
        try:
            current = records.get_record(cur, resource, key, for_update=True, **_seen(resource))
        except records.NotFound:
            raise _not_found(resource, key) from None
        access.require_in_scope(cur, resource.kind, current, values, *_label(resource, key))
        geometry = resource.geometry
        if geometry is not None and current.get(geometry.name):  # rules compare shapes
            current[geometry.name] = shapely.geometry.shape(current[geometry.name])
        problems = validation.check_rules(cur, resource, values, current=current)
        if problems:
            raise invalid(problems)
        try:
            _write(
                cur, resource, lambda: records.update_record(cur, resource, key, values, expected)
            )
        except records.VersionConflict as exc:
            raise _conflict(resource, key, exc) from None
        record = records.get_record(cur, resource, key, **_seen(resource))
        warnings = _warnings(cur, resource, record)
        access.audit(
            cur,
            f"update_{resource.kind}",
            f"{resource.name}:{key}",
            {**_changed(values), "version": record["version"]},
        )
    return _with_etag({**record, "warnings": warnings})


def delete_view(resource: Resource, key: str):
    """Delete a record; an org is dissolved (撤销), and only when nothing depends on it."""
    key = _key(resource, key)
    expected = _expected_version(None, required=False)
    with _cursor() as cur:
        try:
            current = records.get_record(cur, resource, key, **_seen(resource))
        except records.NotFound:
            raise _not_found(resource, key) from None
        access.require_in_scope(cur, resource.kind, current, None, *_label(resource, key))
        if resource.dissolve:
            _check_dissolvable(cur, key)
        try:
            _write(cur, resource, lambda: records.delete_record(cur, resource, key, expected))
        except records.NotFound:
            raise _not_found(resource, key) from None
        except records.VersionConflict as exc:
            raise _conflict(resource, key, exc) from None
        except ApiError as exc:
            if exc.status == 400:  # a foreign key: something still refers to the record
                raise ApiError(
                    409,
                    "in_use",
                    f"{resource.zh} {key} 仍被其他记录引用，不能删除",
                    f"{resource.en} {key} is still referred to by other records",
                    errors=exc.body.get("errors"),
                ) from None
            raise
        access.audit(cur, f"delete_{resource.kind}", f"{resource.name}:{key}", {})
    return "", 204


def _check_dissolvable(cur, org_id: int) -> None:
    cur.execute(
        """SELECT (SELECT count(*) FROM members WHERE org_id = %(id)s) AS members,
                          (SELECT count(*) FROM party_orgs WHERE parent_id = %(id)s
                           AND status = 'active') AS children""",
        {"id": org_id},
    )
    row = cur.fetchone()
    if row["members"] or row["children"]:
        raise ApiError(
            409,
            "org_not_empty",
            f"该组织还有 {row['members']} 名党员、{row['children']} 个下级组织，"
            "请先转接党员、调整下级组织后再撤销",
            f"the org still has {row['members']} members and {row['children']} "
            "active child orgs: transfer them first",
        )


def _changed(values: dict) -> dict:
    """What a write changed, for the audit log: field names, never personal values."""
    return {"fields": sorted(values)}


def _warnings(cur, resource: Resource, record: dict) -> list[dict]:
    ids = []
    if resource.kind == "members":
        cur.execute("SELECT org_id FROM members WHERE id = %s", (record["id"],))
        ids = [cur.fetchone()["org_id"]]
    elif resource.kind == "orgs":
        ids = [record["id"]]
    return [p.as_dict() for p in validation.party_rule_warnings(cur, ids)]


for _res in RESOURCES.values():

    def _bind(view, res=_res):
        def handler(**kw):
            return view(res, **kw)

        handler.__doc__ = view.__doc__
        return handler

    base = f"/{_res.name}"
    bp.add_url_rule(base, f"list_{_res.kind}", _bind(list_view), methods=["GET"])
    bp.add_url_rule(base, f"create_{_res.kind}", _bind(create_view), methods=["POST"])
    bp.add_url_rule(f"{base}/<key>", f"get_{_res.kind}", _bind(get_view), methods=["GET"])
    bp.add_url_rule(f"{base}/<key>", f"update_{_res.kind}", _bind(update_view), methods=["PATCH"])
    bp.add_url_rule(f"{base}/<key>", f"delete_{_res.kind}", _bind(delete_view), methods=["DELETE"])
