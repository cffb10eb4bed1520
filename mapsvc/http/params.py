"""Parsing of query parameters: every value is checked here, and refused in both languages."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, request

from geodata import crs as crsmod
from mapsvc.domain.errors import BadInput


def refuse_nul_characters() -> None:
    """Refuse an API request whose path or query string holds a NUL character.

    PostgreSQL text cannot hold one (psycopg2 raises before sending), so it could only end
    as a 500 where the value meets SQL: a list filter, q, a record key. Text in JSON bodies
    is refused field by field (mapsvc.records.validation, mapsvc.positions.service).
    """
    if request.path.startswith(("/api/", "/ogc")) and (
        "\x00" in request.path
        or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True))
    ):
        raise BadInput("nul_character")


def number(args: Mapping, name: str, *, required: bool = True) -> float | None:
    """A finite number from args[name]."""
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        if required:
            raise BadInput("missing_parameter", name=name)
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadInput("not_a_number", name=name, raw=raw) from None
    if not math.isfinite(value):
        raise BadInput("not_finite", name=name, raw=raw)
    return value


def integer(args: Mapping, name: str, *, default: int, lo: int, hi: int) -> int:
    """An integer in [lo, hi] from args[name], or default when absent."""
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise BadInput("not_an_integer", name=name, raw=raw) from None
    if not lo <= value <= hi:
        raise BadInput("out_of_range", name=name, lo=lo, hi=hi, raw=raw)
    return value


DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400}
_DURATION_RE = re.compile(r"\s*(\d{1,6})\s*([mhd])\s*")


def parse_duration(text: str | None) -> int | None:
    """Seconds in 30m, 1h, 2d …; None when text is not such a duration."""
    m = _DURATION_RE.fullmatch(text or "")
    if not m or int(m.group(1)) == 0:
        return None
    return int(m.group(1)) * DURATION_UNITS[m.group(2)]


def duration_seconds(args: Mapping, name: str, *, default: int) -> int:
    """A duration like 30m, 1h, 2d from args[name], in seconds."""
    raw = args.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    seconds = parse_duration(str(raw))
    if seconds is None:
        raise BadInput("bad_duration", name=name, raw=raw)
    return seconds


def positive(args: Mapping, name: str) -> float | None:
    """An optional number greater than zero."""
    value = number(args, name, required=False)
    if value is not None and value <= 0:
        raise BadInput("not_positive", name=name, raw=f"{value:g}")
    return value


def choice(
    args: Mapping,
    name: str,
    options: Mapping[str, str],
    *,
    default: str | None = None,
) -> str | None:
    """One of options (value → Chinese label) from args[name]."""
    raw = args.get(name)
    if raw is None or raw == "":
        if default is None:
            return None
        return default
    if raw not in options:
        raise BadInput(
            "unknown_choice",
            as_code=f"unknown_{name}",
            name=name,
            raw=raw,
            options_zh="、".join(options),
            options=", ".join(options),
        )
    return raw


def flag(args: Mapping, name: str) -> bool:
    """A boolean flag: true/1/yes or false/0/no."""
    raw = str(args.get(name, "")).strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise BadInput("not_a_boolean", name=name, raw=raw)


def point(args: Mapping) -> tuple[float, float, crsmod.Crs]:
    """lon, lat (and crs, default wgs84) as WGS84 lon/lat inside China, plus the input CRS."""
    x = number(args, "lon")
    y = number(args, "lat")
    crs = crsmod.parse_crs(args.get("crs") or "wgs84")
    if crs.is_geographic:
        crsmod.check_lonlat_in_china(x, y)  # swapped or outside, said in the input's own terms
    lon, lat = crsmod.to_wgs84(x, y, crs)
    crsmod.check_lonlat_in_china(lon, lat)
    return float(lon), float(lat), crs


# ------------------------------------------------------------------ declared parameters
# An endpoint declares its query parameters once (`@declare(...)`): the same declaration
# parses the request before the view runs and describes the parameters in the OpenAPI
# documents (mapsvc.http.openapi, mapsvc.ogc.openapi), so limits are never typed twice.


@dataclass(frozen=True)
class Param:
    """One query parameter: how it is read from the request and how OpenAPI describes it."""

    name: str
    description: str  # "中文 / English"
    schema: Mapping[str, Any]
    read: Callable[[Mapping], Any]
    required: bool = False
    # query names this parameter reads besides its own (a point reads lon, lat and crs)
    reads: tuple[str, ...] = ()
    described: tuple[dict, ...] = ()  # OpenAPI parameter objects, when not the one above

    def openapi(self) -> list[dict]:
        """The OpenAPI parameter objects of this parameter."""
        if self.described:
            return [dict(d) for d in self.described]
        return [
            {
                "name": self.name,
                "in": "query",
                "required": self.required,
                "description": self.description,
                "schema": dict(self.schema),
            }
        ]

    @property
    def names(self) -> tuple[str, ...]:
        """The query names this parameter reads."""
        return self.reads or (self.name,)


def _bounds(lo, hi) -> dict:
    return {k: v for k, v in (("minimum", lo), ("maximum", hi)) if v is not None}


def Number(  # noqa: N802 - reads as a type in declarations
    name: str, description: str, *, required: bool = False, lo=None, hi=None, positive=False
) -> Param:
    """A finite number; `positive` refuses 0 and below, lo/hi bound it (both inclusive)."""

    def read(args):
        value = positive_number(args, name) if positive else number(args, name, required=required)
        if value is not None and not _within(value, lo, hi):
            raise BadInput("out_of_range", name=name, lo=lo, hi=hi, raw=args.get(name))
        return value

    schema = {"type": "number", **_bounds(lo, hi)}
    if positive:
        schema["exclusiveMinimum"] = 0
    return Param(name, description, schema, read, required)


def _within(value: float, lo, hi) -> bool:
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def Integer(name: str, description: str, *, default: int, lo: int, hi: int) -> Param:  # noqa: N802
    """An integer in [lo, hi], default when absent."""
    return Param(
        name,
        description,
        {"type": "integer", "minimum": lo, "maximum": hi, "default": default},
        lambda args: integer(args, name, default=default, lo=lo, hi=hi),
    )


def Choice(  # noqa: N802
    name: str, description: str, options: Mapping[str, str], *, default: str | None = None
) -> Param:
    """One of options (value → Chinese label)."""
    schema: dict = {"type": "string", "enum": list(options)}
    if default is not None:
        schema["default"] = default
    labels = "、".join(f"{k}={v}" for k, v in options.items())
    return Param(
        name,
        f"{description}（{labels}）",
        schema,
        lambda args: choice(args, name, options, default=default),
    )


def Flag(name: str, description: str) -> Param:  # noqa: N802
    """true/1/yes or false/0/no, false when absent."""
    return Param(
        name, description, {"type": "boolean", "default": False}, lambda args: flag(args, name)
    )


def Duration(name: str, description: str, *, default: int) -> Param:  # noqa: N802
    """A duration like 30m, 1h, 2d, in seconds."""
    return Param(
        name,
        description,
        {"type": "string", "pattern": _DURATION_RE.pattern.replace("\\s*", "")},
        lambda args: duration_seconds(args, name, default=default),
    )


def Text(  # noqa: N802
    name: str,
    description: str,
    *,
    required: bool = False,
    max_length: int | None = None,
    pattern: str | None = None,
) -> Param:
    """Text, trimmed; None when absent and not required."""
    compiled = re.compile(pattern) if pattern else None

    def read(args):
        raw = (args.get(name) or "").strip()
        if not raw:
            if required:
                raise BadInput("missing_parameter", name=name)
            return None
        if max_length is not None and len(raw) > max_length:
            raise BadInput("too_long_parameter", name=name, max=max_length)
        if compiled and not compiled.fullmatch(raw):
            raise BadInput("bad_pattern", name=name, raw=raw, pattern=pattern)
        return raw

    schema: dict = {"type": "string"}
    if max_length is not None:
        schema["maxLength"] = max_length
    if pattern:
        schema["pattern"] = f"^{pattern}$"
    return Param(name, description, schema, read, required)


def Crs(name: str = "crs", description: str | None = None) -> Param:  # noqa: N802
    """A coordinate reference system name: wgs84 (default), cgcs2000, gcj02, bd09, EPSG:n."""
    return Param(
        name,
        description or f"坐标系 {CRS_NAMES}（默认 wgs84） / coordinate system (default wgs84)",
        {"type": "string", "default": "wgs84"},
        lambda args: crsmod.parse_crs(args.get(name) or "wgs84"),
    )


CRS_NAMES = "wgs84/cgcs2000/gcj02/bd09/EPSG:n"


def _read_point(args):
    return point(args)


POINT = Param(
    "point",
    "经纬度 / lon, lat",
    {},
    _read_point,
    required=True,
    reads=("lon", "lat", "crs"),
    described=(
        {
            "name": "lon",
            "in": "query",
            "required": True,
            "description": "经度 / longitude",
            "schema": {"type": "number"},
        },
        {
            "name": "lat",
            "in": "query",
            "required": True,
            "description": "纬度 / latitude",
            "schema": {"type": "number"},
        },
        {
            "name": "crs",
            "in": "query",
            "required": False,
            "description": f"输入坐标系 {CRS_NAMES}（默认 wgs84） / input coordinate system",
            "schema": {"type": "string", "default": "wgs84"},
        },
    ),
)
"""lon, lat and crs: (lon, lat) in WGS84 inside China, and the input CRS (see `point`)."""


def bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """minlon,minlat,maxlon,maxlat in degrees (or 6 numbers with heights, which are dropped).

    The one bbox rule (OGC API Features): west ≤ east, south ≤ north; None when absent.
    """
    if raw is None:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise BadInput("bad_bbox", raw=raw)
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    x0, y0, x1, y1 = values
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise BadInput("bbox_out_of_order", raw=raw)
    return x0, y0, x1, y1


def Bbox(name: str = "bbox", *, required: bool = False) -> Param:  # noqa: N802
    """A bounding box in WGS84 degrees (see `bbox`)."""

    def read(args):
        if required and not args.get(name):
            raise BadInput("missing_parameter", name=name)
        return bbox(args.get(name))

    return Param(
        name,
        "范围：最小经度,最小纬度,最大经度,最大纬度 / minlon,minlat,maxlon,maxlat (WGS84)",
        {
            "type": "array",
            "minItems": 4,
            "maxItems": 6,
            "items": {"type": "number"},
        },
        read,
        required,
        described=(
            {
                "name": name,
                "in": "query",
                "required": required,
                "style": "form",
                "explode": False,
                "description": "范围：最小经度,最小纬度,最大经度,最大纬度 / "
                "minlon,minlat,maxlon,maxlat (WGS84)",
                "schema": {
                    "type": "array",
                    "minItems": 4,
                    "maxItems": 6,
                    "items": {"type": "number"},
                },
            },
        ),
    )


def Format(options: Mapping[str, str], *, default: str = "json") -> Param:  # noqa: N802
    """The answer's format, f=…"""
    return Choice("f", "格式 / format", options, default=default)


def declare(*declared: Param):
    """Decorator: the view's query parameters, parsed before it runs (read them with
    `parsed()`) and listed in the OpenAPI documents from the view's `params` attribute."""

    def wrap(view):
        @functools.wraps(view)
        def parsing(*args, **kwargs):
            g.params = parse(request.args, declared)
            return view(*args, **kwargs)

        parsing.params = declared
        return parsing

    return wrap


def parse(args: Mapping, declared: Iterable[Param]) -> dict[str, Any]:
    """Every declared parameter read from args, by name."""
    return {p.name: p.read(args) for p in declared}


def parsed() -> dict[str, Any]:
    """The current request's declared parameters, as `declare` read them."""
    return g.params


def declared_names(view) -> set[str]:
    """The query names a view declares (for refusing unknown ones)."""
    return {n for p in getattr(view, "params", ()) for n in p.names}


def positive_number(args: Mapping, name: str) -> float | None:
    """An optional number greater than zero (alias of `positive`)."""
    return positive(args, name)


# ------------------------------------------------------------------ more declarations
# Additions for /ogc and /map: a capped page size, a value given at most once, parameters
# known only inside the view (a layer's property filters), and a declaration's own words.
INT_MAX = 2**31 - 1


def Capped(name: str, description: str, *, default: int, cap: int, lo: int = 1) -> Param:  # noqa: N802
    """An integer ≥ lo where a value above cap reads as cap (OGC API Features' limit)."""
    return Param(
        name,
        description,
        {"type": "integer", "minimum": lo, "maximum": cap, "default": default},
        lambda args: min(integer(args, name, default=default, lo=lo, hi=INT_MAX), cap),
    )


def Single(name: str, description: str) -> Param:  # noqa: N802
    """Text as it came, given at most once (a property filter's value); None when absent."""

    def read(args):
        values = args.getlist(name) if hasattr(args, "getlist") else [args[name]] * (name in args)
        if len(values) > 1:
            raise BadInput("repeated_parameter", name=name)
        return values[0] if values else None

    return Param(name, description, {"type": "string"}, read)


def worded(param: Param, key: str) -> Param:
    """The same parameter, refused with the message `key` (given the refusal's values)."""

    def read(args):
        try:
            return param.read(args)
        except BadInput as exc:
            raise BadInput(key, extra=exc.extra or None, **exc.values) from None

    return Param(
        param.name,
        param.description,
        param.schema,
        read,
        param.required,
        param.reads,
        param.described,
    )


def refuse_undeclared(args: Mapping, declared: Iterable[Param]) -> None:
    """Refuse a query name that no declared parameter reads, naming the known ones in order."""
    known = [n for p in declared for n in p.names]
    for name in args:
        if name not in known:
            raise BadInput(
                "undeclared_parameter",
                name=name,
                known_zh="、".join(known),
                known=", ".join(known),
            )


def parse_also(more: Iterable[Param], *, only: Iterable[Param] | None = None) -> dict[str, Any]:
    """Parameters known only inside the view (a layer's property filters), added to `parsed()`.

    With `only` (the view's declaration), a query name neither it nor `more` reads is refused.
    """
    more = tuple(more)
    if only is not None:
        refuse_undeclared(request.args, (*only, *more))
    values = parse(request.args, more)
    g.params = {**g.get("params", {}), **values}
    return values
