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
from mapsvc.domain.errors import BadInput, Conflict, NotFound, VersionMismatch, VersionRequired
from mapsvc.exchange import formats as exchange
from mapsvc.http import params
from mapsvc.http.openapi import field_schema
from mapsvc.http.params import Choice, Format, Integer, Param, Text, declare
from mapsvc.infra import db
from mapsvc.records import service as records
from mapsvc.records import validation
from mapsvc.records.catalog import INT4_MAX, RESOURCES, Field, Resource

bp = Blueprint("records", __name__, url_prefix="/api/v1")

PAGE_MAX = 1000  # records in one JSON page; a download (f=csv …) holds up to EXPORT_MAX_ROWS
LIST_FORMATS = {"json": "JSON", "geojson": "GeoJSON", **exchange.FILE_FORMATS}


def _filter(f: Field) -> Param:
    # the raw text: list_view checks it with the field's own rules (validation.filter_value)
    return Param(f.name, f"按{f.zh}筛选 / filter by {f.name}", field_schema(f), _raw(f.name))


def _raw(name: str):
    return lambda args: args.get(name)


def _limit(args) -> int:
    # the format (read before) sets the bounds: a page, or a whole download
    most = exchange.EXPORT_MAX_ROWS if args.get("f") in exchange.FILE_FORMATS else PAGE_MAX
    default = 100 if most == PAGE_MAX else most
    return params.integer(args, "limit", default=default, lo=1, hi=most)


LIST = (
    Text("q", "名称搜索 / search by name"),
    Format(LIST_FORMATS),
    Param(
        "limit",
        f"每页条数（f=json/geojson 至多 {PAGE_MAX}，下载文件默认并至多 "
        f"{exchange.EXPORT_MAX_ROWS}） / records per page (at most {PAGE_MAX}; "
        f"downloads default to and at most {exchange.EXPORT_MAX_ROWS})",
        {"type": "integer", "minimum": 1, "maximum": exchange.EXPORT_MAX_ROWS, "default": 100},
        _limit,
    ),
    Integer("offset", "偏移 / skip this many", default=0, lo=0, hi=10**9),
    Choice(
        "headers",
        "下载文件的列名 / column names of a download",
        exchange.HEADER_LANGUAGES,
        default="en",
    ),
    Choice("geometry", "几何 / geometry", records.GEOMETRY_MODES, default="full"),
)
# the coordinate system of a body's lon/lat or geometry when the body names none
BODY_CRS = Param(
    "crs",
    "请求体坐标的坐标系（请求体中的 crs 优先；默认 wgs84） / "
    "coordinate system of the body (its own crs wins; default wgs84)",
    {"type": "string", "default": "wgs84"},
    lambda args: args.get("crs") or None,
)


def list_params(resource: Resource) -> tuple[Param, ...]:
    """The query parameters of a kind's list: its filters, then search, format and paging."""
    return (*(_filter(f) for f in resource.fields if f.filter), *LIST)


def _cursor():
    return db.cursor(current_app.config["DATABASE_URL"])


def _key(resource: Resource, raw: str):
    if resource.field(resource.key).type == "int":
        try:
            return int(raw)
        except ValueError:
            raise _not_found(resource, raw) from None
    return raw


def _not_found(resource: Resource, key) -> NotFound:
    return NotFound("record_not_found", what_zh=resource.zh, what_en=resource.en, key=key)


def invalid(problems: list[validation.Problem], *, status: int = 400) -> validation.Invalid:
    """A refusal listing every problem (409 when the record collides with one stored)."""
    return validation.Duplicate(problems) if status == 409 else validation.Invalid(problems)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("record_body_not_object")
    return body


def _expected_version(body: dict | None, *, required: bool) -> int | None:
    raw = request.headers.get("If-Match")
    if raw:
        raw = raw.strip().removeprefix("W/").strip('"')
    elif body and "version" in body:
        raw = str(body["version"])
    if not raw:
        if required:
            raise VersionRequired("record_version_required")
        return None
    try:
        version = int(raw)
    except ValueError:
        raise BadInput("record_version_not_integer", raw=raw) from None
    if not 0 <= version <= INT4_MAX:  # the version column is an integer
        raise BadInput("record_version_out_of_range", raw=raw)
    return version


def _conflict(resource: Resource, key, exc: records.VersionConflict) -> VersionMismatch:
    return VersionMismatch(
        "record_version_conflict",
        what_zh=resource.zh,
        what_en=resource.en,
        key=key,
        current=exc.current_version,
        extra={"current_version": exc.current_version},
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
        with db.savepoint(cur):
            done = action()
            # rules checked at commit (an area's parent, migration 0012) speak here, for this record
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            return done
    except psycopg2.IntegrityError as exc:
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
    args = params.parsed()
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
                raise BadInput(
                    "problem", as_code=p.code, message=p.message, message_en=p.message_en
                ) from None
            filters[f.name] = values if len(values) > 1 else values[0]
    fmt, limit, offset = args["f"], args["limit"], args["offset"]
    with _cursor() as cur:
        items, total = records.list_records(
            cur,
            resource,
            filters=filters,
            q=args["q"],
            limit=limit,
            offset=offset,
            geometry=args["geometry"],
            **_seen(resource),
        )
    _audit_members(
        resource,
        "export_members" if fmt in exchange.FILE_FORMATS else "read_members",
        {"count": len(items), "total": total, "format": fmt},
    )
    if (
        fmt in exchange.FILE_FORMATS
    ):  # csv, xlsx, gpkg: a file to download (mapsvc.exchange.formats)
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
        resource, body, crs=body.get("crs") or params.parsed()["crs"] or "wgs84"
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
        crs=request.get_json().get("crs") or params.parsed()["crs"] or "wgs84",
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
            _delete(cur, resource, key, expected)
        except records.NotFound:
            raise _not_found(resource, key) from None
        except records.VersionConflict as exc:
            raise _conflict(resource, key, exc) from None
        access.audit(cur, f"delete_{resource.kind}", f"{resource.name}:{key}", {})
    return "", 204


def _delete(cur, resource: Resource, key, expected: int | None) -> None:
    """Delete a record; one that others still refer to (a foreign key) is a 409."""
    try:
        with db.savepoint(cur):
            records.delete_record(cur, resource, key, expected)
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # an area's children (migration 0012)
    except psycopg2.IntegrityError as exc:
        problem = validation.explain_db_error(exc)
        raise Conflict(
            "record_in_use",
            what_zh=resource.zh,
            what_en=resource.en,
            key=key,
            extra={"errors": [problem.as_dict()]},
        ) from None


def _check_dissolvable(cur, org_id: int) -> None:
    members, children = records.dissolve_blockers(cur, org_id)
    if members or children:
        raise Conflict("org_not_empty", members=members, children=children)


def _changed(values: dict) -> dict:
    """What a write changed, for the audit log: field names, never personal values."""
    return {"fields": sorted(values)}


def _warnings(cur, resource: Resource, record: dict) -> list[dict]:
    ids = []
    if resource.kind == "members":
        ids = [records.org_of_member(cur, record["id"])]
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
    for _path, _name, _view, _method, _params in (
        (base, "list", list_view, "GET", list_params(_res)),
        (base, "create", create_view, "POST", (BODY_CRS,)),
        (f"{base}/<key>", "get", get_view, "GET", ()),
        (f"{base}/<key>", "update", update_view, "PATCH", (BODY_CRS,)),
        (f"{base}/<key>", "delete", delete_view, "DELETE", ()),
    ):
        bp.add_url_rule(
            _path,
            f"{_name}_{_res.kind}",
            declare(*_params)(_bind(_view)),
            methods=[_method],
        )
