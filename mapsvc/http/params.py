"""Parsing of query parameters: every value is checked here, and refused in both languages."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from flask import request

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
