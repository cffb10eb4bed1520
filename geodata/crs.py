"""Coordinate systems of the service: parse them, convert between them, validate lon/lat.

Every coordinate that enters or leaves the service goes through this module; storage is
always WGS84 longitude/latitude (EPSG:4326).

Conventions
-----------
* Axis order is always ``x, y`` = longitude, latitude (degrees) or easting, northing
  (metres), whatever the EPSG axis order says (pyproj is used with ``always_xy=True``).
  This matters for the CGCS2000 Gauss–Krüger zones, whose EPSG axis order is northing first.
* CGCS2000 (EPSG:4490) and WGS84 differ by centimetres. PROJ has no published parameters
  between them and uses a "ballpark" (identity) transformation, so CGCS2000 ↔ WGS84 is the
  identity here; this is correct at map accuracy. Other old Chinese datums (Beijing 1954
  EPSG:4214, Xi'an 1980 EPSG:4610) get whatever PROJ offers, which can be tens of metres off.
* GCJ-02 (Gaode/Amap, Tencent, WeChat maps) and BD-09 (Baidu) are not in any registry.
  They use the well-known public-domain formulas (as in ``prcoords``, ``eviltransform``,
  ``coordtransform``): Krasovsky a = 6378245.0, e² = 0.00669342162296594323, Baidu's
  x_pi = π·3000/180 with 0.00002, 0.000003, 0.0065, 0.006.
* Like those libraries, the GCJ-02 offset is applied only inside China's rough bounding box
  lon 72.004–137.8347, lat 0.8293–55.8271 (outside it GCJ-02 equals WGS84), while the BD-09
  step (GCJ-02 → BD-09) is applied everywhere.
* Inverses (GCJ-02 → WGS84, BD-09 → GCJ-02) are exact: fixed-point iteration on the forward
  formula until the residual is below 1e-11 degrees (about a micrometre), at most 30 rounds;
  round trips stay far below a millimetre. The one-step inverse used by many libraries is
  only good to a few metres and is only the starting guess here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely

__all__ = [
    "BD09",
    "CGCS2000",
    "CHINA_LAT_RANGE",
    "CHINA_LON_RANGE",
    "GCJ02",
    "WGS84",
    "CoordinateError",
    "Crs",
    "CrsError",
    "GeoInputError",
    "check_lonlat_in_china",
    "from_wgs84",
    "gauss_kruger_crs",
    "parse_crs",
    "to_wgs84",
    "transform_geometry",
    "transform_xy",
]

CHINA_LON_RANGE = (73.0, 135.0)  # degrees east, per domain.md
CHINA_LAT_RANGE = (18.0, 54.0)  # degrees north; note: excludes the South China Sea islands

# --------------------------------------------------------------------------- errors


class GeoInputError(ValueError):
    """A bad coordinate or coordinate-system input, with a code and bilingual messages."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        """Keep the code and both messages; str() shows the two messages."""
        super().__init__(f"{message} / {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en

    def as_dict(self) -> dict[str, str]:
        """Return ``{"code", "message", "message_en"}`` for a JSON error response."""
        return {"code": self.code, "message": self.message, "message_en": self.message_en}


class CrsError(GeoInputError):
    """Unknown or unsupported coordinate system; ``code`` is ``unknown_crs``,
    ``unknown_epsg`` or ``unsupported_crs``."""


class CoordinateError(GeoInputError):
    """A lon/lat pair that is unusable; ``code`` is ``out_of_range``, ``outside_china`` or
    ``swapped_lonlat``. ``lon`` and ``lat`` hold the values as given (as floats if possible)."""

    def __init__(self, code: str, message: str, message_en: str, lon: Any, lat: Any) -> None:
        """A GeoInputError that also keeps the offending lon and lat."""
        super().__init__(code, message, message_en)
        self.lon = lon
        self.lat = lat


# --------------------------------------------------------------------------- CRS objects


@dataclass(frozen=True)
class Crs:
    """A coordinate system the service accepts; build it with :func:`parse_crs`.

    ``name`` is the canonical spelling ("wgs84", "cgcs2000", "gcj02", "bd09" or "EPSG:NNNN"),
    ``epsg`` the EPSG code (None for GCJ-02/BD-09), ``label`` a human-readable name.
    """

    name: str
    epsg: int | None
    label: str = field(default="", compare=False)
    is_geographic: bool = field(default=True, compare=False)

    @property
    def is_obfuscated(self) -> bool:
        """True for GCJ-02 and BD-09, the Chinese offset systems pyproj does not know."""
        return self.epsg is None

    def to_pyproj(self) -> pyproj.CRS:
        """Return the pyproj CRS; raises CrsError for GCJ-02/BD-09, which have none."""
        if self.epsg is None:
            raise CrsError(
                "unsupported_crs",
                f"{self.name} 没有对应的 EPSG 坐标系",
                f"{self.name} has no EPSG definition",
            )
        return _pyproj_crs(self.epsg)

    def __str__(self) -> str:
        """The CRS's short name (wgs84, gcj02 …)."""
        return self.name


WGS84 = Crs("wgs84", 4326, "WGS 84")
CGCS2000 = Crs("cgcs2000", 4490, "China Geodetic Coordinate System 2000")
GCJ02 = Crs("gcj02", None, "GCJ-02 (Gaode/Amap, Tencent)")
BD09 = Crs("bd09", None, "BD-09 (Baidu)")

# Spellings accepted after lower-casing and dropping spaces, "-" and "_"; the "ll" forms
# are the names Baidu's and Tencent's APIs use for lon/lat in each system.
_NAMED: dict[str, Crs] = {
    "wgs84": WGS84,
    "wgs84ll": WGS84,
    "cgcs2000": CGCS2000,
    "gcj02": GCJ02,
    "gcj02ll": GCJ02,
    "bd09": BD09,
    "bd09ll": BD09,
}

# Things people type that we refuse but can point in the right direction.
_HINTS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("gaode", "amap", "autonavi", "tencent", "qq", "wechat", "weixin", "mars", "高德", "腾讯"),
        ("高德、腾讯和微信地图使用 gcj02", "Gaode/Amap, Tencent and WeChat maps use gcj02"),
    ),
    **dict.fromkeys(("baidu", "百度"), ("百度地图使用 bd09", "Baidu maps use bd09")),
    **dict.fromkeys(
        ("bd09mc", "baidumercator"),
        (
            "不支持百度墨卡托，请使用 bd09 经纬度",
            "Baidu Mercator is not supported; use bd09 lon/lat",
        ),
    ),
    **dict.fromkeys(("wgs", "gps"), ("GPS 坐标请使用 wgs84", "use wgs84 for GPS coordinates")),
    **dict.fromkeys(
        ("2000", "cgcs", "国家2000", "2000国家大地坐标系"),
        (
            "国家 2000 坐标系请使用 cgcs2000",
            "use cgcs2000 for China Geodetic Coordinate System 2000",
        ),
    ),
}

_CHOICES_ZH = "请使用 wgs84、cgcs2000、gcj02、bd09 或 EPSG:NNNN"
_CHOICES_EN = "use wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN"
_EPSG_RE = re.compile(r"epsg:(\d{1,6})")


def parse_crs(text: str | Crs) -> Crs:
    """Parse a coordinate-system name into a :class:`Crs`.

    Accepts "wgs84", "cgcs2000", "gcj02", "bd09" (case-insensitive; "WGS-84", "GCJ_02",
    "bd09ll" are fine too) and "EPSG:NNNN" for any 2-D geographic or projected EPSG system.
    "EPSG:4326" returns WGS84 and "EPSG:4490" CGCS2000. A bare number is refused with a hint.
    Raises :class:`CrsError`.
    """
    if isinstance(text, Crs):
        return text
    if not isinstance(text, str):
        raise CrsError(
            "unknown_crs",
            f"未知的坐标系：{text!r}；{_CHOICES_ZH}",
            f"unknown coordinate system: {text!r}; {_CHOICES_EN}",
        )
    return _parse_crs_text(text)


@lru_cache(maxsize=512)
def _parse_crs_text(text: str) -> Crs:
    # Cached because every request names its CRS and EPSG lookups read PROJ's database.
    shown = text.strip()
    if not shown:
        raise CrsError(
            "unknown_crs", f"坐标系为空；{_CHOICES_ZH}", f"empty coordinate system; {_CHOICES_EN}"
        )
    key = re.sub(r"[\s_\-]", "", shown).lower()
    if key in _NAMED:
        return _NAMED[key]
    match = _EPSG_RE.fullmatch(key)
    if match:
        return _crs_from_epsg(int(match.group(1)), shown)
    if key.isdigit():
        hint_zh, hint_en = f"是否应为 EPSG:{key}？", f"did you mean EPSG:{key}?"
    elif key in _HINTS:
        hint_zh, hint_en = _HINTS[key]
    else:
        hint_zh, hint_en = _CHOICES_ZH, _CHOICES_EN
    raise CrsError(
        "unknown_crs",
        f"未知的坐标系：{shown}；{hint_zh}",
        f"unknown coordinate system: {shown}; {hint_en}",
    )


@lru_cache(maxsize=256)
def _pyproj_crs(epsg: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(epsg)


def _crs_from_epsg(code: int, shown: str) -> Crs:
    if code == 4326:
        return WGS84
    if code == 4490:
        return CGCS2000
    try:
        crs = _pyproj_crs(code)
    except pyproj.exceptions.CRSError:
        raise CrsError(
            "unknown_epsg",
            f"未知的 EPSG 代码：{shown}；{_CHOICES_ZH}",
            f"unknown EPSG code: {shown}; {_CHOICES_EN}",
        ) from None
    # Only plane x/y systems make sense for map input; geocentric, vertical and 3-D are out.
    if len(crs.axis_info) != 2 or not (crs.is_geographic or crs.is_projected):
        raise CrsError(
            "unsupported_crs",
            f"不支持的坐标系类型：EPSG:{code}（{crs.type_name}），只接受二维地理或投影坐标系",
            f"unsupported coordinate system EPSG:{code} ({crs.type_name}); "
            "only 2-D geographic or projected systems are accepted",
        )
    return Crs(f"EPSG:{code}", code, crs.name, crs.is_geographic)


def gauss_kruger_crs(lon: float, *, zone_width: int = 3, zone_prefix: bool = False) -> Crs:
    """Return the CGCS2000 Gauss–Krüger zone covering longitude ``lon`` (73–135 E).

    ``zone_width`` 3 gives EPSG:4534–4554 ("CM" systems, false easting 500 km) or, with
    ``zone_prefix=True``, EPSG:4513–4533 (easting prefixed by the zone number); 6 gives
    EPSG:4502–4512 or EPSG:4491–4501. Yulin (109.73 E) → EPSG:4546, CM 111 E.
    Raises :class:`CoordinateError` (``outside_china``) for other longitudes.
    """
    lon = float(lon)
    if not CHINA_LON_RANGE[0] <= lon <= CHINA_LON_RANGE[1]:
        raise CoordinateError(
            "outside_china",
            f"经度 {_fmt(lon)} 不在中国范围内（东经 73–135 度），无法选择高斯-克吕格分带",
            f"longitude {_fmt(lon)} is outside China (73–135 E); no Gauss-Kruger zone",
            lon,
            None,
        )
    if zone_width == 3:
        # 3-degree zone n has central meridian 3n; China uses zones 25 (75 E) to 45 (135 E).
        zone = min(max(math.floor(lon / 3 + 0.5), 25), 45)
        code = (4513 if zone_prefix else 4534) + zone - 25
    elif zone_width == 6:
        # 6-degree zone n spans 6(n-1)..6n E; China uses zones 13 (75 E) to 23 (135 E).
        zone = min(max(math.floor(lon / 6) + 1, 13), 23)
        code = (4491 if zone_prefix else 4502) + zone - 13
    else:
        raise ValueError("zone_width must be 3 or 6")
    return _crs_from_epsg(code, f"EPSG:{code}")


# --------------------------------------------------------------------------- GCJ-02 / BD-09

_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the original algorithm
_GCJ_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0  # Baidu's constant
_BD_DLON = 0.0065
_BD_DLAT = 0.006
# Rough China box used by prcoords/eviltransform/coordtransform: outside it GCJ-02 == WGS84.
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # lon_min, lat_min, lon_max, lat_max
_GCJ_MAX_OFFSET_DEG = 0.1  # offsets stay below 0.011 degrees in the box; skip points farther out
_TOL_DEG = 1e-11  # inverse stops when the forward residual is below this (~1 µm)
_MAX_ITER = 30  # convergence takes 3–6 rounds in China; this bounds pathological input


def _in_gcj_box(lon: np.ndarray, lat: np.ndarray, margin: float = 0.0) -> np.ndarray:
    lon_min, lat_min, lon_max, lat_max = _GCJ_BOX
    return (
        (lon >= lon_min - margin)
        & (lon <= lon_max + margin)
        & (lat >= lat_min - margin)
        & (lat <= lat_max + margin)
    )


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 in degrees at WGS84 (lon, lat), ignoring the China box."""
    x = lon - 105.0
    y = lat - 35.0
    # Terms shared by both components of the published polynomial-plus-sines formula.
    common = (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(np.pi * y / 12.0) + 320.0 * np.sin(np.pi * y / 30.0)) * 2.0 / 3.0
    )
    dlon_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(np.pi * x / 12.0) + 300.0 * np.sin(np.pi * x / 30.0)) * 2.0 / 3.0
    )
    rad_lat = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat_m * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon_m * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _gcj_forward_unboxed(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = _in_gcj_box(lon, lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    out_lon[inside], out_lat[inside] = _gcj_forward_unboxed(lon[inside], lat[inside])
    return out_lon, out_lat


def _gcj_to_wgs(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out_lon, out_lat = lon.copy(), lat.copy()
    # Only points near the box can have a preimage inside it; the rest are their own preimage.
    near = np.flatnonzero(_in_gcj_box(lon, lat, _GCJ_MAX_OFFSET_DEG))
    g_lon, g_lat = lon[near], lat[near]
    dlon, dlat = _gcj_offset(g_lon, g_lat)
    w_lon, w_lat = _fixed_point(_gcj_forward_unboxed, g_lon, g_lat, g_lon - dlon, g_lat - dlat)
    # The forward map is the identity outside the box, so a solution outside it is rejected.
    keep = _in_gcj_box(w_lon, w_lat)
    out_lon[near[keep]] = w_lon[keep]
    out_lat[near[keep]] = w_lat[keep]
    return out_lon, out_lat


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The usual one-step inverse (good to ~1e-6 degrees) is the start for the exact one.
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _fixed_point(_gcj_to_bd, lon, lat, z * np.cos(theta), z * np.sin(theta))


def _fixed_point(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    target_x: np.ndarray,
    target_y: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x, y) == target by x ← x − (forward(x) − target), from a start guess.

    Converges because both offsets change slowly (Jacobian of the offset ≪ 1); each round
    gains two to three digits. Only points not yet converged are recomputed.
    """
    x, y = x.copy(), y.copy()
    active = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    for _ in range(_MAX_ITER):
        if active.size == 0:
            break
        fx, fy = forward(x[active], y[active])
        rx = fx - target_x[active]
        ry = fy - target_y[active]
        x[active] -= rx
        y[active] -= ry
        active = active[(np.abs(rx) > _TOL_DEG) | (np.abs(ry) > _TOL_DEG)]
    return x, y


# --------------------------------------------------------------------------- conversions


@lru_cache(maxsize=256)
def _transformer(src_epsg: int, dst_epsg: int) -> pyproj.Transformer:
    # Transformers are costly to build and thread-safe to share (pyproj >= 3.1).
    return pyproj.Transformer.from_crs(_pyproj_crs(src_epsg), _pyproj_crs(dst_epsg), always_xy=True)


def _to_wgs84_arrays(x: np.ndarray, y: np.ndarray, src: Crs) -> tuple[np.ndarray, np.ndarray]:
    if src == WGS84:
        return x.copy(), y.copy()
    if src == GCJ02:
        return _gcj_to_wgs(x, y)
    if src == BD09:
        return _gcj_to_wgs(*_bd_to_gcj(x, y))
    assert src.epsg is not None
    return _transformer(src.epsg, 4326).transform(x, y)


def _from_wgs84_arrays(lon: np.ndarray, lat: np.ndarray, dst: Crs) -> tuple[np.ndarray, np.ndarray]:
    if dst == WGS84:
        return lon.copy(), lat.copy()
    if dst == GCJ02:
        return _wgs_to_gcj(lon, lat)
    if dst == BD09:
        return _gcj_to_bd(*_wgs_to_gcj(lon, lat))
    assert dst.epsg is not None
    return _transformer(4326, dst.epsg).transform(lon, lat)


def _transform_arrays(
    x: np.ndarray, y: np.ndarray, src: Crs, dst: Crs
) -> tuple[np.ndarray, np.ndarray]:
    if src == dst:
        return x.copy(), y.copy()
    if src.epsg is not None and dst.epsg is not None:
        # Direct, so e.g. zone-to-zone Gauss–Krüger does not detour through degrees.
        return _transformer(src.epsg, dst.epsg).transform(x, y)
    if src == GCJ02 and dst == BD09:
        return _gcj_to_bd(x, y)
    if src == BD09 and dst == GCJ02:
        return _bd_to_gcj(x, y)
    return _from_wgs84_arrays(*_to_wgs84_arrays(x, y, src), dst)


def transform_xy(x: Any, y: Any, src_crs: str | Crs, dst_crs: str | Crs) -> tuple[Any, Any]:
    """Convert coordinates from ``src_crs`` to ``dst_crs``.

    ``x``/``y`` are lon/lat in degrees or easting/northing in metres. Scalars give a pair of
    floats; array-likes (broadcast together) give a pair of float64 arrays of that shape.
    Points a projection cannot handle come back as inf; NaN stays NaN.
    """
    src, dst = parse_crs(src_crs), parse_crs(dst_crs)
    if src == dst and np.ndim(x) == 0 and np.ndim(y) == 0:
        return float(x), float(y)  # the common case on every request: nothing to do
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    scalar = xa.ndim == 0 and ya.ndim == 0
    xa, ya = np.broadcast_arrays(xa, ya)
    shape = xa.shape
    # Work on flat private copies: the helpers index and update in place.
    rx, ry = _transform_arrays(xa.ravel().copy(), ya.ravel().copy(), src, dst)
    rx = np.asarray(rx, dtype=np.float64)
    ry = np.asarray(ry, dtype=np.float64)
    if scalar:
        return float(rx[0]), float(ry[0])
    return rx.reshape(shape), ry.reshape(shape)


def to_wgs84(x: Any, y: Any, crs: str | Crs) -> tuple[Any, Any]:
    """Convert ``x, y`` in ``crs`` to WGS84 ``lon, lat``; scalars or arrays (see transform_xy)."""
    return transform_xy(x, y, crs, WGS84)


def from_wgs84(lon: Any, lat: Any, crs: str | Crs) -> tuple[Any, Any]:
    """Convert WGS84 ``lon, lat`` to ``x, y`` in ``crs``; scalars or arrays (see transform_xy)."""
    return transform_xy(lon, lat, WGS84, crs)


def transform_geometry(geom: Any, src_crs: str | Crs, dst_crs: str | Crs) -> Any:
    """Convert a shapely geometry (or array of geometries) between coordinate systems.

    Every vertex goes through the same conversion as :func:`transform_xy`; Z values, if any,
    are kept unchanged. None and empty geometries pass through.
    """
    src, dst = parse_crs(src_crs), parse_crs(dst_crs)
    if src == dst:
        return geom

    def convert(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=np.float64)
        out[:, 0], out[:, 1] = _transform_arrays(out[:, 0].copy(), out[:, 1].copy(), src, dst)
        return out

    # include_z=None keeps each geometry's dimension (2D stays 2D, 3D keeps its Z).
    return shapely.transform(geom, convert, include_z=None)


# --------------------------------------------------------------------------- validation


def _fmt(value: float) -> str:
    # Enough decimals for ~0.1 m, without trailing zeros: 38.28 stays "38.28".
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _in_china(lon: float, lat: float) -> bool:
    return (
        CHINA_LON_RANGE[0] <= lon <= CHINA_LON_RANGE[1]
        and CHINA_LAT_RANGE[0] <= lat <= CHINA_LAT_RANGE[1]
    )


def check_lonlat_in_china(lon: Any, lat: Any) -> tuple[float, float]:
    """Check one WGS84 (or GCJ-02/BD-09) lon/lat pair lies in China; return it as floats.

    Raises :class:`CoordinateError` with code ``out_of_range`` (not a finite number, or
    |lon| > 180 / |lat| > 90), ``swapped_lonlat`` (outside China, but inside once swapped)
    or ``outside_china``. China is lon 73–135 E, lat 18–54 N.
    """
    try:
        lon_f, lat_f = float(lon), float(lat)
    except (TypeError, ValueError):
        raise CoordinateError(
            "out_of_range",
            f"经纬度不是数字：经度 {lon!r}、纬度 {lat!r}",
            f"longitude/latitude is not a number: lon={lon!r}, lat={lat!r}",
            lon,
            lat,
        ) from None
    shown_zh = f"经度 {_fmt(lon_f)}、纬度 {_fmt(lat_f)}"
    shown_en = f"lon={_fmt(lon_f)}, lat={_fmt(lat_f)}"
    if not (math.isfinite(lon_f) and math.isfinite(lat_f)):
        raise CoordinateError(
            "out_of_range",
            f"经纬度不是有效数值：{shown_zh}",
            f"longitude/latitude is not a finite number: {shown_en}",
            lon_f,
            lat_f,
        )
    if _in_china(lon_f, lat_f):
        return lon_f, lat_f
    # Checked before the range test: a swapped pair often has "latitude" > 90.
    if _in_china(lat_f, lon_f):
        raise CoordinateError(
            "swapped_lonlat",
            f"经纬度可能颠倒：{shown_zh}（是否应为经度 {_fmt(lat_f)}、纬度 {_fmt(lon_f)}？）",
            f"longitude and latitude look swapped: {shown_en} "
            f"(did you mean lon={_fmt(lat_f)}, lat={_fmt(lon_f)}?)",
            lon_f,
            lat_f,
        )
    if abs(lon_f) > 180.0 or abs(lat_f) > 90.0:
        raise CoordinateError(
            "out_of_range",
            f"经纬度超出有效范围：{shown_zh}（经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间）",
            f"longitude/latitude out of range: {shown_en} "
            "(longitude must be within -180..180, latitude within -90..90)",
            lon_f,
            lat_f,
        )
    raise CoordinateError(
        "outside_china",
        f"坐标不在中国境内：{shown_zh}（中国约为东经 73–135 度、北纬 18–54 度）",
        f"coordinates outside China: {shown_en} (China lies at about 73–135 E, 18–54 N)",
        lon_f,
        lat_f,
    )
