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
from collections.abc import Callable
from dataclasses import asdict, dataclass

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from geodata import crs as crsmod
from mapsvc.domain.errors import BadInput, Conflict
from mapsvc.domain.messages import MESSAGES
from mapsvc.domain.rules import MAX_BRANCH_MEMBERS, MIN_FULL_MEMBERS
from mapsvc.records.catalog import Field, Resource

MAX_TEXT = 500  # characters in one text value

# words the service reads (not says): spreadsheet answers to a yes/no column, Chinese dates
_TRUE_WORDS = ("true", "1", "yes", "是", "t")
_FALSE_WORDS = ("false", "0", "no", "否", "f")
_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日")
_LIST_SEPARATORS = re.compile(r"[、，,;；]")
# a field declaration (its label is vocabulary, like the catalog's): the roads' line
_ROAD_LINE = Field("geometry", "line", "线路")


def _words(key: str, values: dict, as_code: str | None = None) -> tuple[str, str, str]:
    """(code, 中文, English) of the message `key` filled with values."""
    words = MESSAGES[key]
    return as_code or words.code or key, words.zh.format(**values), words.en.format(**values)


@dataclass
class Problem:
    """Something wrong (or worth a warning) with one field of one record."""

    field: str | None
    code: str
    message: str
    message_en: str
    severity: str = "error"
    where: str | None = None  # row 5, feature 3 … (imports fill this in)

    @classmethod
    def of(
        cls,
        field: str | None,
        key: str,
        /,
        *,
        severity: str = "error",
        as_code: str | None = None,
        **values,
    ) -> Problem:
        """The problem with the message `key` (domain.messages) filled with values."""
        return cls(field, *_words(key, values, as_code), severity=severity)

    @classmethod
    def about(cls, f: Field, key: str, /, **values) -> Problem:
        """Problem.of, its message led by the field's label (中文) or name (English)."""
        return cls.labelled(f, *_words(key, values))

    @classmethod
    def labelled(cls, f: Field, code: str, zh: str, en: str) -> Problem:
        """A problem with words already written, led by the field's label or name."""
        lead = MESSAGES["about_field"]
        return cls(
            f.name,
            code,
            lead.zh.format(label=f.zh, message=zh),
            lead.en.format(name=f.name, message=en),
        )

    def as_dict(self) -> dict:
        """JSON-ready form, without empty keys."""
        return {k: v for k, v in asdict(self).items() if v is not None}


class Invalid(BadInput):
    """A record (or a batch) was refused; nothing was written.

    The answer (400) is the first problem's message and every problem under "errors".
    """

    def __init__(self, problems: list[Problem]):
        """Refuse with problems (at least one)."""
        first = problems[0]
        super().__init__(
            "invalid_record" if len(problems) == 1 else "invalid_records",
            extra={"errors": [p.as_dict() for p in problems]},
            message=first.message,
            message_en=first.message_en,
            count=len(problems),
        )
        self.args = ("; ".join(p.message_en for p in problems),)
        self.problems = problems


class Duplicate(Conflict, Invalid):
    """Invalid because the record collides with one stored (a unique constraint): 409."""


def blank(v) -> bool:
    """Whether a value counts as absent: None, blank text, or NaN (an empty spreadsheet cell)."""
    return (
        v is None
        or (isinstance(v, str) and not v.strip())
        or (isinstance(v, float) and math.isnan(v))
    )


# ---------------------------------------------------------------- step 1: values
def coerce(
    resource: Resource, raw: dict, *, partial: bool = False, crs: crsmod.Crs | str = "wgs84"
) -> tuple[dict, list[Problem]]:
    """Typed values of raw (by field name) and the problems found.

    partial: only the fields present are checked (an update); otherwise required fields
    must be there (a create). Unknown field names are reported.
    """
    known = {f.name for f in resource.fields}
    problems = [
        Problem.of(name, "unknown_field", name=name)
        for name in raw
        if name not in known and name not in ("lon", "lat", "crs")
    ]
    values: dict = {}
    in_crs = crsmod.parse_crs(crs)
    for f in resource.fields:
        present = f.name in raw or (f.is_geometry and f.type == "point" and "lon" in raw)
        if not present:
            if f.required and not partial and f.writable:
                problems.append(Problem.about(f, "required"))
            continue
        if not f.writable:
            if f.name in raw and raw[f.name] not in (None, ""):
                problems.append(Problem.about(f, "read_only"))
            continue
        value = raw.get(f.name)
        if f.is_geometry and f.type == "point" and value in (None, "") and "lon" in raw:
            value = {"lon": raw.get("lon"), "lat": raw.get("lat")}
        try:
            values[f.name] = _value(f, value, in_crs)
        except _Bad as bad:
            problems.append(bad.about(f))
    return values, problems


class _Bad(Exception):
    """A value refused, in words not yet tied to a field."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en

    @classmethod
    def of(cls, key: str, /, **values) -> _Bad:
        """The refusal with the message `key` filled with values."""
        return cls(*_words(key, values))

    def about(self, f: Field) -> Problem:
        """The refusal as a problem with field f."""
        return Problem.labelled(f, self.code, self.zh, self.en)


def _text(f: Field, v) -> str:
    s = str(v).strip()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))  # spreadsheets turn codes into numbers
    if f.pattern and not re.fullmatch(f.pattern, s):
        raise _Bad.of("bad_format", pattern_zh=f.pattern_zh, pattern=f.pattern, value=s)
    if len(s) > MAX_TEXT:
        raise _Bad.of("too_long", most=MAX_TEXT)
    return s


def _choices(enum: dict[str, str]) -> tuple[str, str]:
    """An enum's choices listed for unknown_value: 中文 with labels, English keys only."""
    item, sep = MESSAGES["enum_choice"], MESSAGES["choice_separator"]
    zh = sep.zh.join(item.zh.format(key=k, label=z) for k, z in enum.items())
    en = sep.en.join(item.en.format(key=k, label=z) for k, z in enum.items())
    return zh, en


def _enum(f: Field, v) -> str:
    s = str(v).strip()
    if s in f.enum:
        return s
    by_label = {zh: key for key, zh in f.enum.items()}
    if s in by_label:
        return by_label[s]  # a Chinese label, as people type in spreadsheets
    choices_zh, choices = _choices(f.enum)
    raise _Bad.of("unknown_value", value=s, choices_zh=choices_zh, choices=choices)


def _number(f: Field, v) -> int | float:
    try:
        n = float(str(v).strip())
    except ValueError:
        raise _Bad.of("value_not_a_number", value=v) from None
    if not math.isfinite(n) or (f.type == "int" and not n.is_integer()):
        if f.type == "int":
            raise _Bad.of("not_an_integer_value", value=v)
        raise _Bad.of("not_a_finite_value", value=v)
    if f.minimum is not None and n < f.minimum:
        raise _Bad.of("below_minimum", minimum=f.minimum, value=v)
    if f.maximum is not None and n > f.maximum:
        raise _Bad.of("above_maximum", maximum=f.maximum, value=v)
    return int(n) if f.type == "int" else n


def _date(f: Field, v) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip().replace("/", "-").replace(".", "-")
    m = _DATE_RE.fullmatch(s)
    try:
        if not m:
            raise ValueError
        y, mo, d = (int(x) for x in (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)))
        return dt.date(y, mo, d)
    except ValueError:
        raise _Bad.of("bad_date", value=v) from None


def _bool(f: Field, v) -> bool:
    s = str(v).strip().lower()
    if s in _TRUE_WORDS:
        return True
    if s in _FALSE_WORDS:
        return False
    raise _Bad.of("value_not_a_boolean", value=v)


def _text_list(f: Field, v) -> list[str]:
    if isinstance(v, list):
        return [str(x).strip() for x in v if str(x).strip()]
    return [x.strip() for x in _LIST_SEPARATORS.split(str(v)) if x.strip()]


# one parser per field type (geometry types go to parse_geometry, which needs the CRS)
_PARSERS: dict[str, Callable] = {
    "text": _text,
    "ref": _text,
    "enum": _enum,
    "int": _number,
    "float": _number,
    "date": _date,
    "bool": _bool,
    "text_list": _text_list,
}


def _check_shape_of_text(t: str, v) -> None:
    """Text-like values hold no NUL and are not objects, lists or booleans (JSON bodies)."""
    if t in ("text", "ref", "enum", "text_list") and any(
        "\x00" in str(x) for x in (v if isinstance(v, list) else [v])
    ):
        raise _Bad.of("text_nul_character")
    if t in ("text", "ref", "enum", "date") and isinstance(v, dict | list | bool):
        raise _Bad.of("not_text")


def _value(f: Field, v, in_crs: crsmod.Crs):
    if blank(v):
        if f.required:
            raise _Bad.of("required")
        return None
    _check_shape_of_text(f.type, v)
    if f.is_geometry:
        return parse_geometry(f, v, in_crs)
    parser = _PARSERS.get(f.type)
    if parser is None:
        raise AssertionError(f"unhandled field type {f.type}")
    return parser(f, v)


def parse_value(f: Field, v, in_crs: crsmod.Crs = crsmod.WGS84):
    """One value typed like the field (None when blank and optional); Invalid when it cannot be."""
    try:
        return _value(f, v, in_crs)
    except _Bad as bad:
        raise Invalid([bad.about(f)]) from None


def filter_value(f: Field, raw: str):
    """A list filter's value, typed like the field; Invalid when it cannot be."""
    return parse_value(f, raw)


def _read_geometry(v):
    """A GeoJSON object or dict, a WKT string, {lon, lat} or shapely → shapely geometry."""
    try:
        if isinstance(v, dict) and "lon" in v:
            return Point(float(v["lon"]), float(v["lat"]))
        if isinstance(v, dict):
            return shape(v.get("geometry", v) if v.get("type") == "Feature" else v)
        if isinstance(v, str) and v.strip().startswith("{"):
            return shape(json.loads(v))
        if isinstance(v, str):
            return shapely.from_wkt(v)
        if isinstance(v, shapely.Geometry):
            return v
        raise ValueError
    # ShapelyError covers GEOSException and GeometryTypeError ({"type": ""} and the like)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.ShapelyError):
        raise _Bad.of("bad_geometry") from None


def _fit_type(f: Field, geom):
    """geom as the field's type wants it: a point stays a point, a polygon becomes multi."""
    if geom.is_empty:
        raise _Bad.of("empty_geometry")
    if f.type == "point" and not isinstance(geom, Point):
        raise _Bad.of("not_a_point", got=geom.geom_type)
    if f.type == "multipolygon":
        if isinstance(geom, Polygon):
            geom = MultiPolygon([geom])
        if not isinstance(geom, MultiPolygon):
            raise _Bad.of("not_a_polygon", got=geom.geom_type)
    return geom


# GEOS's reason (the words before "[x y]") → the key of its Chinese words
_GEOS_REASONS = {
    "Self-intersection": "geos_self_intersection",
    "Ring Self-intersection": "geos_ring_self_intersection",
    "Too few points": "geos_too_few_points",
    "Hole lies outside shell": "geos_hole_outside_shell",
    "Nested shells": "geos_nested_shells",
    "Interior is disconnected": "geos_interior_disconnected",
}


def _check_valid(geom) -> None:
    """Refuse an invalid geometry, saying why and where (GEOS's reason, in both languages)."""
    if geom.is_valid:
        return
    reason = shapely.is_valid_reason(geom)
    kind = reason.split("[")[0].strip()
    reason_zh = MESSAGES[_GEOS_REASONS[kind]].zh if kind in _GEOS_REASONS else kind
    m = re.search(r"\[([-\d.e]+) ([-\d.e]+)\]", reason)
    if m:
        lon, lat = float(m.group(1)), float(m.group(2))
        raise _Bad.of("invalid_geometry_at", reason_zh=reason_zh, reason=kind, lon=lon, lat=lat)
    raise _Bad.of("invalid_geometry", reason_zh=reason_zh, reason=kind)


def parse_geometry(f: Field, v, in_crs: crsmod.Crs):
    """A GeoJSON object or dict, a WKT string, or {lon, lat} → shapely geometry in WGS84."""
    geom = _fit_type(f, _read_geometry(v))
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(c) for c in coords.ravel()):
        raise _Bad.of("nonfinite_coordinates")
    if in_crs.is_geographic:
        _inside_china(coords[:, 0], coords[:, 1])  # swapped or outside, in the input's terms
    geom = crsmod.transform_geometry(geom, in_crs, crsmod.WGS84)
    coords = shapely.get_coordinates(geom)
    _inside_china(coords[:, 0], coords[:, 1])
    _check_valid(geom)
    return geom


def _inside_china(lons, lats) -> None:
    # one bad vertex is enough to refuse; report the first
    for x, y in zip(lons, lats, strict=True):
        try:
            crsmod.check_lonlat_in_china(float(x), float(y))
        except crsmod.CoordinateError as exc:
            raise _Bad(exc.code, exc.message, exc.message_en) from None  # geodata's own words


# ---------------------------------------------------------------- step 2: rules
def check_rules(
    cur, resource: Resource, values: dict, *, current: dict | None = None
) -> list[Problem]:
    """Rules needing the database: references exist, levels fit the tree, grids fit areas.

    current: the stored record when updating (its id and fields not being changed).
    """
    merged = {**(current or {}), **values}
    problems = _reference_problems(cur, resource, values)
    if resource.kind == "orgs":
        problems += _org_tree_rules(cur, merged, current)
    problems += _area_reference_problems(cur, resource, values)
    if resource.kind == "grids":
        problems += _grid_rules(cur, merged)
    if resource.kind == "admin_areas" and merged.get("code") and merged.get("level"):
        problems += _area_code_rules(merged)
        if not problems and merged.get("geometry") is not None:
            problems += _area_within_parent(cur, merged)
    return problems


def _reference_problems(cur, resource: Resource, values: dict) -> list[Problem]:
    """Each org a record names exists, is active, and (for a member) is branch-level."""
    problems = []
    for f in resource.fields:
        code = values.get(f.name) if f.type == "ref" else None
        if not code:
            continue
        cur.execute(
            "SELECT id, level, is_branch_level, status FROM party_orgs WHERE code = %s", (code,)
        )
        row = cur.fetchone()
        if row is None:
            problems.append(Problem.about(f, "unknown_reference", code=code))
        elif row["status"] != "active":
            problems.append(Problem.about(f, "dissolved_reference", code=code))
        elif resource.kind == "members" and f.name == "org_code" and not row["is_branch_level"]:
            problems.append(
                Problem.about(
                    f,
                    "member_org_not_branch",
                    code=code,
                    level=row["level"],
                    level_zh=_level_zh(row["level"]),
                )
            )
    return problems


def _area_reference_problems(cur, resource: Resource, values: dict) -> list[Problem]:
    """The areas a record names exist; a grid's community is a community or village."""
    problems = []
    for name in ("admin_area_code", "community_code"):
        code = values.get(name)
        if not code:
            continue
        cur.execute("SELECT level FROM admin_areas WHERE code = %s", (code,))
        row = cur.fetchone()
        f = resource.field(name)
        if row is None:
            problems.append(Problem.about(f, "unknown_area", code=code))
        elif name == "community_code" and row["level"] not in ("community", "village"):
            problems.append(
                Problem.about(
                    f,
                    "not_a_community",
                    code=code,
                    level=row["level"],
                    level_zh=_area_zh(row["level"]),
                )
            )
    return problems


def _area_within_parent(cur, area: dict) -> list[Problem]:
    """An area lies inside its parent (1 m² of slack); the parent is held unless no ancestor
    is (the top of what the database holds)."""
    code, level = area["code"], area["level"]
    parent = parent_area_code(code, level)
    if parent is None:
        return []
    cur.execute(
        """
        SELECT ST_Area(ST_Difference(ST_GeomFromWKB(%s, 4326), geom))
               * 111320.0 * 110540.0 * cos(radians(ST_Y(ST_PointOnSurface(geom)))) AS outside
        FROM admin_areas WHERE code = %s""",
        (shapely.to_wkb(area["geometry"]), parent),
    )
    row = cur.fetchone()
    if row is None:
        cur.execute(
            "SELECT 1 FROM admin_areas WHERE code = ANY(%s) LIMIT 1", (area_ancestors(code)[1:],)
        )
        held_above = cur.fetchone() is not None
        return [Problem.of("code", "unknown_parent_area", parent=parent)] if held_above else []
    if row["outside"] > 1.0:
        return [
            Problem.of("geometry", "area_outside_parent", parent=parent, outside=row["outside"])
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
    problems = _parent_rules(cur, org, current)
    level = org.get("level")
    if current and level and level != current.get("level") and current.get("id") is not None:
        problems += _level_change_rules(cur, level, current["id"])
    return problems


def _parent_rules(cur, org: dict, current: dict | None) -> list[Problem]:
    """The parent may hold this level and is not below the org; only the root has none."""
    parent_code, level = org.get("parent_code"), org.get("level")
    if not parent_code:
        return _root_rules(cur, current)
    problems = []
    cur.execute("SELECT id, code, level, path FROM party_orgs WHERE code = %s", (parent_code,))
    parent = cur.fetchone()
    if parent and level and not may_contain(parent["level"], level):
        problems.append(
            Problem.of(
                "parent_code",
                "level_under_parent",
                level=level,
                level_zh=_level_zh(level),
                parent=parent_code,
                parent_level=parent["level"],
                parent_level_zh=_level_zh(parent["level"]),
            )
        )
    if parent and current and current.get("id") is not None:
        cur.execute(
            "SELECT %s::ltree <@ path AS inside FROM party_orgs WHERE id = %s",
            (parent["path"], current["id"]),
        )
        row = cur.fetchone()
        if row and row["inside"]:
            problems.append(Problem.of("parent_code", "org_cycle", parent=parent_code))
    return problems


def _root_rules(cur, current: dict | None) -> list[Problem]:
    """An org without a parent is refused when another org is already the root."""
    if current and not current.get("parent_code"):
        return []  # the root stays the root
    cur.execute(
        "SELECT code FROM party_orgs WHERE parent_id IS NULL AND id <> %s",
        ((current or {}).get("id") or -1,),
    )
    root = cur.fetchone()
    return [Problem.of("parent_code", "single_root", root=root["code"])] if root else []


def _level_change_rules(cur, level: str, org_id: int) -> list[Problem]:
    """A new level still fits the org's members (branch-level only) and its children."""
    problems = []
    if _LEVEL_RANK.get(level) != 1:
        cur.execute("SELECT count(*) AS n FROM members WHERE org_id = %s", (org_id,))
        n = cur.fetchone()["n"]
        if n:
            problems.append(Problem.of("level", "has_members", count=n))
    cur.execute("SELECT code, level FROM party_orgs WHERE parent_id = %s", (org_id,))
    for child in cur.fetchall():
        if not may_contain(level, child["level"]):
            problems.append(
                Problem.of(
                    "level",
                    "child_level_order",
                    child=child["code"],
                    child_level=child["level"],
                    child_level_zh=_level_zh(child["level"]),
                    level=level,
                    level_zh=_level_zh(level),
                )
            )
            break
    return problems


def _grid_rules(cur, grid: dict) -> list[Problem]:
    problems = []
    code, community = grid.get("code"), grid.get("community_code")
    if code and community and code[:12] != community:
        problems.append(Problem.of("code", "grid_code_prefix", code=code, community=community))
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
                Problem.of(
                    "geometry",
                    "grid_outside_community",
                    community=community,
                    outside=row["outside"],
                )
            )
    return problems


# how many leading digits of a 12-digit code name an area of each level
AREA_PREFIX = {
    "province": 2,
    "city": 4,
    "county": 6,
    "street": 9,
    "town": 9,
    "community": 12,
    "village": 12,
}
_PARENT_PREFIX = {"city": 2, "county": 4, "street": 6, "town": 6, "community": 9, "village": 9}


def parent_area_code(code: str, level: str) -> str | None:
    """The code of the area's parent, derived from its code (None for a province)."""
    cut = _PARENT_PREFIX.get(level)
    return None if cut is None else code[:cut] + "0" * (12 - cut)


def area_ancestors(code: str) -> list[str]:
    """The codes above a 12-digit code, nearest first (as the database's admin_area_ancestors)."""
    out = []
    for cut in (9, 6, 4, 2):
        if code[cut:] != "0" * (12 - cut):
            out.append(code[:cut] + "0" * (12 - cut))
    return out


def _area_code_rules(area: dict) -> list[Problem]:
    code, level = area["code"], area["level"]
    town, unit = code[6:9], code[9:12]
    ok = {
        "province": code[2:] == "0" * 10,
        "city": code[2:4] != "00" and code[4:] == "0" * 8,
        "county": code[4:6] != "00" and code[6:] == "000000",
        "street": "001" <= town <= "099" and unit == "000",
        "town": "100" <= town <= "399" and unit == "000",
        "community": town != "000" and "001" <= unit <= "199",
        "village": town != "000" and "200" <= unit <= "399",
    }[level]
    if ok:
        return []
    return [
        Problem.of("code", "code_level_mismatch", code=code, level=level, level_zh=_area_zh(level))
    ]


# ---------------------------------------------------------------- step 3: the database's word
# constraint name → the field it is about; its words are MESSAGES[name], its code the name
_CONSTRAINTS = {
    "party_org_code_unique": "code",
    "grid_code_unique": "code",
    "service_point_code_unique": "code",
    "admin_areas_pkey": "code",
    "party_orgs_single_root": "parent_code",
    "member_org_must_be_branch": "org_code",
    "admin_area_parent_exists": "code",
    "member_joined_adult": "joined_on",
}


def explain_db_error(exc) -> Problem:
    """A database constraint violation as a Problem; bilingual trigger messages pass through."""
    diag = getattr(exc, "diag", None)
    name = getattr(diag, "constraint_name", None)
    text = (getattr(diag, "message_primary", None) or str(exc)).strip()
    if name in _CONSTRAINTS:
        return Problem.of(_CONSTRAINTS[name], name)
    if " / " in text:  # our triggers speak both languages: "中文 / English"
        zh, en = text.split(" / ", 1)
        return Problem(None, name or "constraint", zh, en)
    return Problem.of(None, "db_constraint", as_code=name, name=name or "", text=text)


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
                Problem.of(
                    "org_code",
                    "branch_over_50",
                    severity="warning",
                    code=r["code"],
                    count=r["members"],
                    most=MAX_BRANCH_MEMBERS,
                )
            )
        if r["full"] < MIN_FULL_MEMBERS:
            out.append(
                Problem.of(
                    "org_code",
                    "under_3_full_members",
                    severity="warning",
                    code=r["code"],
                    full=r["full"],
                    least=MIN_FULL_MEMBERS,
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
    f = _ROAD_LINE
    if blank(v):
        return None, [Problem.about(f, "required")]
    try:
        geom = parse_geometry(f, v, crsmod.parse_crs(in_crs))
    except _Bad as bad:
        return None, [bad.about(f)]
    if geom.geom_type not in ("LineString", "MultiLineString"):
        return None, [Problem.about(f, "not_a_line", got=geom.geom_type)]
    return geom, []
