"""What a layer is: its properties, its style, who sees it (layers/catalog.py lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"
ACCESS_LEVELS = {
    "public": "登录用户可见",
    "aggregate": "汇总数据，不含个人信息",
    "personal": "个人数据，仅限本人管辖范围",
}
GEOMETRY_TYPES = ("Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
PROPERTY_TYPES = {"string": "string", "integer": "integer", "number": "number", "list": "array"}


@dataclass(frozen=True)
class Prop:
    """One exposed property: its column in the source SQL and how people see it."""

    name: str
    zh: str
    en: str
    type: str = "string"  # string, integer, number, list (text[])
    enum: dict[str, str] | None = None  # value → Chinese label
    filter: bool = True  # usable as ?name=value on items
    in_tiles: bool = True  # carried in vector tiles
    # from this zoom on: a low-zoom tile carries only what the map draws with (colour, size);
    # the rest comes with the feature (/items/{id}) or in closer tiles
    tile_minzoom: int = 0

    @classmethod
    def of(cls, fields: Mapping[str, tuple[str, str]], name: str, type: str = "string", **kw):
        """The property called name, labelled as the vocabulary's fields say (zh, en)."""
        zh, en = fields[name]
        return cls(name, zh, en, type, **kw)

    def describe(self) -> dict:
        """The JSON the page and the queryables read."""
        out = {"name": self.name, "title": self.zh, "title_en": self.en, "type": self.type}
        if self.enum:
            out["enum"] = self.enum
        out["in_tiles_from_zoom"] = self.tile_minzoom if self.in_tiles else None
        return out


@dataclass(frozen=True)
class Style:
    """How the page draws the layer and its legend entry (Leaflet path options)."""

    color: str
    fill_color: str | None = None
    radius: float = 0.0  # circle markers, pixels; 0 for lines and polygons
    weight: float = 1.0  # line width, pixels
    opacity: float = 1.0
    fill_opacity: float = 0.0
    dash_array: str | None = None
    # optional colour by a property's value (e.g. branch category): value → colour
    color_by: str | None = None
    colors: dict[str, str] = field(default_factory=dict)
    label: str | None = None  # property shown as a label at high zoom

    def describe(self) -> dict:
        """The style as JSON (None values left out)."""
        out = {
            "color": self.color,
            "fillColor": self.fill_color or self.color,
            "radius": self.radius,
            "weight": self.weight,
            "opacity": self.opacity,
            "fillOpacity": self.fill_opacity,
        }
        if self.dash_array:
            out["dashArray"] = self.dash_array
        if self.color_by:
            out["colorBy"] = self.color_by
            out["colors"] = self.colors
        if self.label:
            out["label"] = self.label
        return out


@dataclass(frozen=True)
class Layer:
    """One map layer: what it is, where its rows come from, how it looks, who sees it."""

    id: str
    title_zh: str
    title_en: str
    description_zh: str
    geometry_type: str
    properties: tuple[Prop, ...]
    style: Style
    minzoom: int = 0
    maxzoom: int = 18
    access: str = "public"
    id_type: str = "integer"  # integer or string: the type of `id` in the source
    tile_id: bool = True  # the MVT feature id is the id (a string id must then be digits)
    params: dict = field(default_factory=dict)  # constant SQL parameters of the source
    # tables whose changes change the layer (names in layer_versions): tiles are cached
    # under their versions, so an edit is never served stale; () for no cache
    tables: tuple[str, ...] = ()
    order: int = 0  # drawing order on the page, lower first
    visible: bool = False  # switched on when the page opens

    def __post_init__(self) -> None:
        """Refuse a definition with an unknown access level, geometry or property type."""
        assert self.access in ACCESS_LEVELS, self.access
        assert self.geometry_type in GEOMETRY_TYPES, self.geometry_type
        assert self.id_type in ("integer", "string"), self.id_type
        for p in self.properties:
            assert p.type in PROPERTY_TYPES, (self.id, p.name, p.type)

    @cached_property
    def source(self) -> str:
        """The layer's SELECT (layers/sql/<id>.sql), comments removed."""
        text = (SQL_DIR / f"{self.id}.sql").read_text(encoding="utf-8")
        lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
        return "\n".join(lines).strip().rstrip(";")

    @property
    def personal(self) -> bool:
        """Whether rows are people's data, filtered by the caller's scope."""
        return self.access == "personal"

    def prop(self, name: str) -> Prop | None:
        """The property called name, or None."""
        return next((p for p in self.properties if p.name == name), None)

    @property
    def tile_properties(self) -> tuple[Prop, ...]:
        """The properties carried in vector tiles (at some zoom)."""
        return tuple(p for p in self.properties if p.in_tiles)

    def tile_properties_at(self, z: int) -> tuple[Prop, ...]:
        """The properties carried in vector tiles of zoom z."""
        return tuple(p for p in self.tile_properties if z >= p.tile_minzoom)
