"""The one validation layer for records, used by the records API and by imports.

Three steps, each reporting problems in Chinese and English:
1. `coerce`: one record's values to typed values (formats, enums, dates, phones, geometry:
   parsed, converted to WGS84 through geodata.crs, valid, inside China, not swapped);
2. `check_rules`: rules that need the database or other records (references exist, the
   org tree's levels, members only in branch-level orgs, a grid inside its community);
3. `explain_db_error`: the database's own constraints, which stay the last word, translated.
Party rules that are advice rather than law (a branch over 50 members, fewer than 3 full
members) come back as warnings from `party_rule_warnings`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import asdict, dataclass

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from geodata import crs as crsmod
from mapsvc.domain.rules import MAX_BRANCH_MEMBERS, MIN_FULL_MEMBERS
from mapsvc.records.catalog import Field, Resource


@dataclass
class Problem:
    """Something wrong (or worth a warning) with one field of one record."""

    field: str | None
    code: str
    message: str
    message_en: str
    severity: str = "error"
    where: str | None = None  # row 5, feature 3 … (imports fill this in)

    def as_dict(self) -> dict:
        """JSON-ready form, without empty keys."""
        return {k: v for k, v in asdict(self).items() if v is not None}


class Invalid(Exception):
    """A record (or a batch) was refused; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message_en for p in problems))
        self.problems = problems


def _p(f: Field | None, code: str, zh: str, en: str) -> Problem:
    name = f.name if f else None
    return Problem(name, code, f"{f.zh}：{zh}" if f else zh, f"{name}: {en}" if f else en)


# ---------------------------------------------------------------- step 1: values
def coerce(
    resource: Resource, raw: dict, *, partial: bool = False, crs: crsmod.Crs | str = "wgs84"
) -> tuple[dict, list[Problem]]:
    """Typed values of raw (by field name) and the problems found.

    partial: only the fields present are checked (an update); otherwise required fields
    must be there (a create). Unknown field names are reported.
    """
    problems: list[Problem] = []
    values: dict = {}
    known = {f.name for f in resource.fields}
    for name in raw:
        if name not in known and name not in ("lon", "lat", "crs"):
            problems.append(
                Problem(name, "unknown_field", f"未知字段：{name}", f"unknown field: {name}")
            )
    in_crs = crsmod.parse_crs(crs)
    for f in resource.fields:
        present = f.name in raw or (f.is_geometry and f.type == "point" and "lon" in raw)
        if not present:
            if f.required and not partial and f.writable:
                problems.append(_p(f, "required", "必填", "required"))
            continue
        if not f.writable:
            if f.name in raw and raw[f.name] not in (None, ""):
                problems.append(_p(f, "read_only", "不能直接修改", "cannot be set directly"))
            continue
        value = raw.get(f.name)
        if f.is_geometry and f.type == "point" and value in (None, "") and "lon" in raw:
            value = {"lon": raw.get("lon"), "lat": raw.get("lat")}
        try:
            values[f.name] = _value(f, value, in_crs)
        except _Bad as bad:
            problems.append(_p(f, bad.code, bad.zh, bad.en))
    return values, problems


class _Bad(Exception):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def _blank(v) -> bool:
    return (
        v is None
        or (isinstance(v, str) and not v.strip())
        or (isinstance(v, float) and math.isnan(v))
    )


def _value(f: Field, v, in_crs: crsmod.Crs):
    if _blank(v):
        if f.required:
            raise _Bad("required", "必填", "required")
        return None
    t = f.type
    if t in ("text", "ref", "enum", "text_list") and any(
        "\x00" in str(x) for x in (v if isinstance(v, list) else [v])
    ):
        raise _Bad("nul_character", "含有 NUL（\\0）字符", "holds a NUL (\\0) character")
    if t in ("text", "ref", "enum", "date") and isinstance(v, dict | list | bool):
        raise _Bad(
            "not_text",
            "应为文字，不能是对象、列表或真假值",
            "must be text, not an object, list or boolean",
        )
    if t in ("text", "ref"):
        s = str(v).strip()
        if isinstance(v, float) and v.is_integer():
            s = str(int(v))  # spreadsheets turn codes into numbers
        if f.pattern and not re.fullmatch(f.pattern, s):
            raise _Bad(
                "bad_format",
                f"格式不正确（应为{f.pattern_zh}）：{s}",
                f"bad format (expected {f.pattern}): {s}",
            )
        if len(s) > 500:
            raise _Bad("too_long", "不能超过 500 个字符", "at most 500 characters")
        return s
    if t == "enum":
        s = str(v).strip()
        if s in f.enum:
            return s
        by_label = {zh: key for key, zh in f.enum.items()}
        if s in by_label:
            return by_label[s]  # a Chinese label, as people type in spreadsheets
        choices = "、".join(f"{k}（{z}）" for k, z in f.enum.items())
        raise _Bad(
            "unknown_value",
            f"未知的取值 {s}，可选：{choices}",
            f"unknown value {s}; one of: {', '.join(f.enum)}",
        )
    if t in ("int", "float"):
        try:
            n = float(str(v).strip())
        except ValueError:
            raise _Bad("not_a_number", f"不是数字：{v}", f"not a number: {v}") from None
        if not math.isfinite(n) or (t == "int" and not n.is_integer()):
            raise _Bad(
                "not_a_number",
                f"应为{'整数' if t == 'int' else '数字'}：{v}",
                f"must be {'an integer' if t == 'int' else 'a number'}: {v}",
            )
        if f.minimum is not None and n < f.minimum:
            raise _Bad(
                "out_of_range",
                f"不能小于 {f.minimum:g}：{v}",
                f"must be at least {f.minimum:g}: {v}",
            )
        if f.maximum is not None and n > f.maximum:
            raise _Bad(
                "out_of_range",
                f"不能大于 {f.maximum:g}：{v}",
                f"must be at most {f.maximum:g}: {v}",
            )
        return int(n) if t == "int" else n
    if t == "date":
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        s = str(v).strip().replace("/", "-").replace(".", "-")
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日", s)
        try:
            if not m:
                raise ValueError
            y, mo, d = (int(x) for x in (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)))
            return dt.date(y, mo, d)
        except ValueError:
            raise _Bad(
                "bad_date",
                f"日期格式不正确（应为 2024-05-01）：{v}",
                f"bad date (expected YYYY-MM-DD): {v}",
            ) from None
    if t == "bool":
        s = str(v).strip().lower()
        if s in ("true", "1", "yes", "是", "t"):
            return True
        if s in ("false", "0", "no", "否", "f"):
            return False
        raise _Bad("not_a_boolean", f"应为 是/否：{v}", f"must be true or false: {v}")
    if t == "text_list":
        if isinstance(v, list):
            return [str(x).strip() for x in v if str(x).strip()]
        return [x.strip() for x in re.split(r"[、，,;；]", str(v)) if x.strip()]
    if f.is_geometry:
        return parse_geometry(f, v, in_crs)
    raise AssertionError(f"unhandled field type {t}")


def filter_value(f: Field, raw: str):
    """A list filter's value, typed like the field; Invalid when it cannot be."""
    try:
        return _value(f, raw, crsmod.WGS84)
    except _Bad as bad:
        raise Invalid([_p(f, bad.code, bad.zh, bad.en)]) from None


def parse_geometry(f: Field, v, in_crs: crsmod.Crs):
    """A GeoJSON object or dict, a WKT string, or {lon, lat} → shapely geometry in WGS84."""
    try:
        if isinstance(v, dict) and "lon" in v:
            x = float(v["lon"])
            y = float(v["lat"])
            geom = Point(x, y)
        elif isinstance(v, dict):
            geom = shape(v.get("geometry", v) if v.get("type") == "Feature" else v)
        elif isinstance(v, str) and v.strip().startswith("{"):
            geom = shape(json.loads(v))
        elif isinstance(v, str):
            geom = shapely.from_wkt(v)
        elif isinstance(v, shapely.Geometry):
            geom = v
        else:
            raise ValueError
    # ShapelyError covers GEOSException and GeometryTypeError ({"type": ""} and the like)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.ShapelyError):
        raise _Bad(
            "bad_geometry",
            "无法识别的几何（应为 GeoJSON、WKT 或经纬度）",
            "unreadable geometry (expected GeoJSON, WKT or lon/lat)",
        ) from None
    if geom.is_empty:
        raise _Bad("empty_geometry", "几何为空", "empty geometry")
    if f.type == "point" and not isinstance(geom, Point):
        raise _Bad(
            "wrong_geometry_type",
            f"应为点，实为 {geom.geom_type}",
            f"must be a Point, got {geom.geom_type}",
        )
    if f.type == "multipolygon":
        if isinstance(geom, Polygon):
            geom = MultiPolygon([geom])
        if not isinstance(geom, MultiPolygon):
            raise _Bad(
                "wrong_geometry_type",
                f"应为面，实为 {geom.geom_type}",
                f"must be a Polygon or MultiPolygon, got {geom.geom_type}",
            )
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(c) for c in coords.ravel()):
        raise _Bad("bad_geometry", "坐标不是有限数字", "coordinates are not finite numbers")
    if in_crs.is_geographic:
        _inside_china(coords[:, 0], coords[:, 1])  # swapped or outside, in the input's terms
    geom = crsmod.transform_geometry(geom, in_crs, crsmod.WGS84)
    coords = shapely.get_coordinates(geom)
    _inside_china(coords[:, 0], coords[:, 1])
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        m = re.search(r"\[([-\d.e]+) ([-\d.e]+)\]", reason)
        where_zh = f"，位于经度 {float(m.group(1)):.6f}、纬度 {float(m.group(2)):.6f}" if m else ""
        where_en = f" at lon {float(m.group(1)):.6f}, lat {float(m.group(2)):.6f}" if m else ""
        kind = reason.split("[")[0].strip()
        zh = {
            "Self-intersection": "自相交",
            "Ring Self-intersection": "环自相交",
            "Too few points": "点数太少",
            "Hole lies outside shell": "洞在外环之外",
            "Nested shells": "外环嵌套",
            "Interior is disconnected": "内部不连通",
        }.get(kind, kind)
        raise _Bad(
            "invalid_geometry", f"几何无效：{zh}{where_zh}", f"invalid geometry: {kind}{where_en}"
        )
    return geom


def _inside_china(lons, lats) -> None:
    # one bad vertex is enough to refuse; report the first
    for x, y in zip(lons, lats, strict=True):
        try:
            crsmod.check_lonlat_in_china(float(x), float(y))
        except crsmod.CoordinateError as exc:
            raise _Bad(exc.code, exc.message, exc.message_en) from None


# ---------------------------------------------------------------- step 2: rules
def check_rules(
    cur, resource: Resource, values: dict, *, current: dict | None = None
) -> list[Problem]:
    """Rules needing the database: references exist, levels fit the tree, grids fit areas.

    current: the stored record when updating (its id and fields not being changed).
    """
    merged = {**(current or {}), **values}
    problems: list[Problem] = []
    for f in resource.fields:
        if f.type == "ref" and values.get(f.name):
            cur.execute(
                "SELECT id, level, is_branch_level, status FROM party_orgs WHERE code = %s",
                (values[f.name],),
            )
            row = cur.fetchone()
            if row is None:
                problems.append(
                    _p(
                        f,
                        "unknown_reference",
                        f"组织 {values[f.name]} 不存在",
                        f"org {values[f.name]} does not exist",
                    )
                )
            elif row["status"] != "active":
                problems.append(
                    _p(
                        f,
                        "dissolved_reference",
                        f"组织 {values[f.name]} 已撤销",
                        f"org {values[f.name]} is dissolved",
                    )
                )
            elif resource.kind == "members" and f.name == "org_code" and not row["is_branch_level"]:
                problems.append(
                    _p(
                        f,
                        "member_org_not_branch",
                        f"党员只能编入党支部（含联合党支部），{values[f.name]} 是"
                        f"{_level_zh(row['level'])}",
                        f"members belong to branch-level orgs only; "
                        f"{values[f.name]} is a {row['level']}",
                    )
                )
    if resource.kind == "orgs":
        problems += _org_tree_rules(cur, merged, current)
    for name in ("admin_area_code", "community_code"):
        if values.get(name):
            cur.execute("SELECT level FROM admin_areas WHERE code = %s", (values[name],))
            row = cur.fetchone()
            f = resource.field(name)
            if row is None:
                problems.append(
                    _p(
                        f,
                        "unknown_area",
                        f"区划 {values[name]} 不存在",
                        f"administrative area {values[name]} does not exist",
                    )
                )
            elif name == "community_code" and row["level"] not in ("community", "village"):
                problems.append(
                    _p(
                        f,
                        "not_a_community",
                        f"网格只能属于社区或村，{values[name]} 是{_area_zh(row['level'])}",
                        f"a grid belongs to a community or village; "
                        f"{values[name]} is a {row['level']}",
                    )
                )
    if resource.kind == "grids":
        problems += _grid_rules(cur, merged)
    if resource.kind == "admin_areas" and merged.get("code") and merged.get("level"):
        problems += _area_code_rules(merged)
        if not problems and merged.get("geometry") is not None:
            problems += _area_within_parent(cur, merged)
    return problems


def _area_within_parent(cur, area: dict) -> list[Problem]:
    """A street lies inside its district, a community inside its street (1 m² of slack)."""
    code, level = area["code"], area["level"]
    if level == "district":
        return []
    parent = code[:6] + "000000" if level in ("street", "town") else code[:9] + "000"
    cur.execute(
        """
        SELECT ST_Area(ST_Difference(ST_GeomFromWKB(%s, 4326), geom))
               * 111320.0 * 110540.0 * cos(radians(ST_Y(ST_PointOnSurface(geom)))) AS outside
        FROM admin_areas WHERE code = %s""",
        (shapely.to_wkb(area["geometry"]), parent),
    )
    row = cur.fetchone()
    if row is None:
        return [
            Problem(
                "code",
                "unknown_parent_area",
                f"上级区划 {parent} 不存在",
                f"the parent area {parent} does not exist",
            )
        ]
    if row["outside"] > 1.0:
        return [
            Problem(
                "geometry",
                "area_outside_parent",
                f"范围超出上级区划 {parent}（约 {row['outside']:.0f} 平方米在外）",
                f"the area extends outside its parent {parent} "
                f"(about {row['outside']:.0f} m² outside)",
            )
        ]
    return []


_LEVEL_RANK = {
    "committee": 3,
    "working_committee": 3,
    "general_branch": 2,
    "branch": 1,
    "joint_branch": 1,
    "temporary_branch": 1,
}


def _level_zh(level: str) -> str:
    from mapsvc.domain.vocabulary import ORG_LEVELS

    return ORG_LEVELS.get(level, level)


def _area_zh(level: str) -> str:
    from mapsvc.domain.vocabulary import AREA_LEVELS

    return AREA_LEVELS.get(level, level)


def may_contain(parent_level: str, child_level: str) -> bool:
    """The org tree's rule: committees hold anything, general branches hold branches."""
    if parent_level in ("committee", "working_committee"):
        return True
    return parent_level == "general_branch" and _LEVEL_RANK.get(child_level) == 1


def _org_tree_rules(cur, org: dict, current: dict | None) -> list[Problem]:
    problems = []
    parent_code = org.get("parent_code")
    level = org.get("level")
    if parent_code:
        cur.execute("SELECT id, code, level, path FROM party_orgs WHERE code = %s", (parent_code,))
        parent = cur.fetchone()
        if parent and level and not may_contain(parent["level"], level):
            problems.append(
                Problem(
                    "parent_code",
                    "level_order",
                    f"{_level_zh(level)}不能设在{_level_zh(parent['level'])} {parent_code} 之下",
                    f"a {level} cannot sit under a {parent['level']} ({parent_code})",
                )
            )
        if parent and current and current.get("id") is not None:
            cur.execute(
                "SELECT %s::ltree <@ path AS inside FROM party_orgs WHERE id = %s",
                (parent["path"], current["id"]),
            )
            row = cur.fetchone()
            if row and row["inside"]:
                problems.append(
                    Problem(
                        "parent_code",
                        "org_cycle",
                        f"组织树不能成环：{parent_code} 是本组织的下级",
                        f"org tree cycle: {parent_code} is below this org",
                    )
                )
    elif not current or current.get("parent_code"):
        cur.execute(
            "SELECT code FROM party_orgs WHERE parent_id IS NULL AND id <> %s",
            ((current or {}).get("id") or -1,),
        )
        root = cur.fetchone()
        if root:
            problems.append(
                Problem(
                    "parent_code",
                    "required",
                    f"上级组织编码：必填（组织树只有一个根：{root['code']}）",
                    f"parent_code: required (the org tree has one root: {root['code']})",
                )
            )
    if current and level and level != current.get("level") and current.get("id") is not None:
        if _LEVEL_RANK.get(level) != 1:
            cur.execute("SELECT count(*) AS n FROM members WHERE org_id = %s", (current["id"],))
            n = cur.fetchone()["n"]
            if n:
                problems.append(
                    Problem(
                        "level",
                        "has_members",
                        f"该组织有 {n} 名党员，只能是党支部一级",
                        f"the org has {n} members; only a branch-level org can hold members",
                    )
                )
        cur.execute("SELECT code, level FROM party_orgs WHERE parent_id = %s", (current["id"],))
        for child in cur.fetchall():
            if not may_contain(level, child["level"]):
                problems.append(
                    Problem(
                        "level",
                        "level_order",
                        f"下级组织 {child['code']}（{_level_zh(child['level'])}）不能设在"
                        f"{_level_zh(level)}之下",
                        f"child org {child['code']} ({child['level']}) cannot sit under a {level}",
                    )
                )
                break
    return problems


def _grid_rules(cur, grid: dict) -> list[Problem]:
    problems = []
    code, community = grid.get("code"), grid.get("community_code")
    if code and community and code[:12] != community:
        problems.append(
            Problem(
                "code",
                "grid_code_prefix",
                f"网格编码 {code} 应以所属社区代码 {community} 开头",
                f"grid code {code} must start with its community's code {community}",
            )
        )
    if community and grid.get("geometry") is not None:
        cur.execute(
            """
            SELECT ST_Area(ST_Difference(ST_GeomFromWKB(%s, 4326), geom))
                   * 111320.0 * 110540.0 * cos(radians(ST_Y(ST_PointOnSurface(geom)))) AS outside
            FROM admin_areas WHERE code = %s""",
            (shapely.to_wkb(grid["geometry"]), community),
        )
        row = cur.fetchone()
        if row and row["outside"] > 1.0:
            problems.append(
                Problem(
                    "geometry",
                    "grid_outside_community",
                    f"网格超出所属社区 {community} 的边界（约 {row['outside']:.0f} 平方米在外）",
                    f"the grid extends outside its community {community} "
                    f"(about {row['outside']:.0f} m² outside)",
                )
            )
    return problems


def _area_code_rules(area: dict) -> list[Problem]:
    code, level = area["code"], area["level"]
    town, unit = code[6:9], code[9:12]
    ok = {
        "district": code[6:] == "000000",
        "street": "001" <= town <= "099" and unit == "000",
        "town": "100" <= town <= "399" and unit == "000",
        "community": town != "000" and "001" <= unit <= "199",
        "village": town != "000" and "200" <= unit <= "399",
    }[level]
    if ok:
        return []
    return [
        Problem(
            "code",
            "code_level_mismatch",
            f"区划代码 {code} 与级别（{_area_zh(level)}）不符：第 7–9 位 001–099 为街道、100–399 为"
            "乡镇，第 10–12 位 001–199 为社区、200–399 为村",
            f"division code {code} does not fit level {level}: digits 7–9 are 001–099 for a "
            "street, 100–399 for a town; digits 10–12 are 001–199 for a community, 200–399 for "
            "a village",
        )
    ]


# ---------------------------------------------------------------- step 3: the database's word
_CONSTRAINTS = {
    "party_org_code_unique": ("code", "组织编码已存在", "org code already exists"),
    "grid_code_unique": ("code", "网格编码已存在", "grid code already exists"),
    "service_point_code_unique": ("code", "服务点编码已存在", "service point code already exists"),
    "admin_areas_pkey": ("code", "区划代码已存在", "division code already exists"),
    "party_orgs_single_root": (
        "parent_code",
        "组织树只能有一个根组织",
        "the org tree has a single root",
    ),
    "member_org_must_be_branch": (
        "org_code",
        "党员只能编入党支部一级的组织",
        "members belong to branch-level orgs only",
    ),
    "admin_area_parent_exists": ("code", "上级区划不存在", "the parent area does not exist"),
    "member_joined_adult": ("joined_on", "入党时应年满 18 岁", "members join at 18 or older"),
}


def explain_db_error(exc) -> Problem:
    """A database constraint violation as a Problem; bilingual trigger messages pass through."""
    diag = getattr(exc, "diag", None)
    name = getattr(diag, "constraint_name", None)
    text = (getattr(diag, "message_primary", None) or str(exc)).strip()
    if name in _CONSTRAINTS:
        f, zh, en = _CONSTRAINTS[name]
        return Problem(f, name, zh, en)
    if " / " in text:  # our triggers speak both languages: "中文 / English"
        zh, en = text.split(" / ", 1)
        return Problem(None, name or "constraint", zh, en)
    return Problem(
        None,
        name or "constraint",
        f"数据不符合约束 {name or ''}：{text}",
        f"violates constraint {name or ''}: {text}",
    )


# ---------------------------------------------------------------- party rules: warnings
def party_rule_warnings(cur, org_ids: list[int]) -> list[Problem]:
    """Branches over 50 members or with fewer than 3 full members, among org_ids."""
    if not org_ids:
        return []
    cur.execute(
        """
        SELECT o.code, count(m.id) AS members, count(m.id) FILTER (WHERE m.status = 'full') AS full
        FROM party_orgs o LEFT JOIN members m ON m.org_id = o.id
        WHERE o.id = ANY(%s) AND o.is_branch_level AND o.status = 'active'
        GROUP BY o.code""",
        (org_ids,),
    )
    out = []
    for r in cur.fetchall():
        if r["members"] > MAX_BRANCH_MEMBERS:
            out.append(
                Problem(
                    "org_code",
                    "branch_over_50",
                    f"党支部 {r['code']} 有 {r['members']} 名党员，超过 50 人，宜改设党总支",
                    f"branch {r['code']} has {r['members']} members, over 50: consider a "
                    "general branch",
                    severity="warning",
                )
            )
        if r["full"] < MIN_FULL_MEMBERS:
            out.append(
                Problem(
                    "org_code",
                    "under_3_full_members",
                    f"党支部 {r['code']} 正式党员 {r['full']} 名，不足 3 名，宜建联合党支部",
                    f"branch {r['code']} has {r['full']} full members, fewer than 3: consider a "
                    "joint branch",
                    severity="warning",
                )
            )
    return out


# ---------------------------------------------------------------- many records at once (imports)
_ORG_LOOKUP = "SELECT id, level, is_branch_level, status FROM party_orgs WHERE code = %s"
_AREA_LOOKUP = "SELECT level FROM admin_areas WHERE code = %s"


class _LookupCursor:
    """A cursor for check_rules that answers its per-record reference look-ups (an org by
    code, an area by code) from one prefetched query each; every other statement, and codes
    left out of the prefetch, go to the real cursor. The rules and messages are check_rules'
    own: if its SQL ever changes, the look-ups simply miss here and run on the database."""

    def __init__(self, cur, orgs: dict, areas: dict):
        self._cur, self._orgs, self._areas = cur, orgs, areas
        self._hit = False
        self._row = None

    def execute(self, query, params=None):
        for sql_text, table in ((_ORG_LOOKUP, self._orgs), (_AREA_LOOKUP, self._areas)):
            if query == sql_text and params and params[0] in table:
                self._hit, self._row = True, table[params[0]]
                return
        self._hit = False
        self._cur.execute(query, params)

    def fetchone(self):
        if self._hit:
            self._hit = False
            return self._row
        return self._cur.fetchone()

    def fetchall(self):
        if self._hit:
            self._hit = False
            return [] if self._row is None else [self._row]
        return self._cur.fetchall()


def check_rules_many(
    cur,
    resource: Resource,
    records: list[tuple[dict, dict | None]],
    *,
    live_org_codes: frozenset | set = frozenset(),
) -> list[list[Problem]]:
    """check_rules for many records, with references looked up in one query per table.

    records: (values, current) pairs as check_rules takes them; returns one problem list per
    record, the same problems check_rules gives. cur must be a dict cursor.
    live_org_codes: org codes being written in the same transaction (an import of orgs);
    their look-ups go to the database every time so they see the rows just written.
    """
    org_codes, area_codes = set(), set()
    for values, _current in records:
        for f in resource.fields:
            if f.type == "ref" and values.get(f.name):
                org_codes.add(values[f.name])
        for name in ("admin_area_code", "community_code"):
            if values.get(name):
                area_codes.add(values[name])
    org_codes -= set(live_org_codes)
    orgs: dict = dict.fromkeys(org_codes)
    areas: dict = dict.fromkeys(area_codes)
    if org_codes:
        cur.execute(
            "SELECT code, id, level, is_branch_level, status FROM party_orgs WHERE code = ANY(%s)",
            (sorted(org_codes),),
        )
        for row in cur.fetchall():
            orgs[row["code"]] = {k: row[k] for k in ("id", "level", "is_branch_level", "status")}
    if area_codes:
        cur.execute(
            "SELECT code, level FROM admin_areas WHERE code = ANY(%s)", (sorted(area_codes),)
        )
        for row in cur.fetchall():
            areas[row["code"]] = {"level": row["level"]}
    lookup = _LookupCursor(cur, orgs, areas)
    return [check_rules(lookup, resource, values, current=current) for values, current in records]


def parse_line(v, in_crs: crsmod.Crs | str = "wgs84") -> tuple[object, list[Problem]]:
    """A road's line (LineString or MultiLineString: GeoJSON, WKT or shapely) in WGS84, with
    the same checks as other geometry (readable, finite, inside China, not swapped, valid)."""
    f = Field("geometry", "line", "线路")
    if _blank(v):
        return None, [_p(f, "required", "必填", "required")]
    try:
        geom = parse_geometry(f, v, crsmod.parse_crs(in_crs))
    except _Bad as bad:
        return None, [_p(f, bad.code, bad.zh, bad.en)]
    if geom.geom_type not in ("LineString", "MultiLineString"):
        return None, [
            _p(
                f,
                "wrong_geometry_type",
                f"应为线，实为 {geom.geom_type}",
                f"must be a LineString or MultiLineString, got {geom.geom_type}",
            )
        ]
    return geom, []
