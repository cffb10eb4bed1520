"""The record kinds the service keeps, declared once: fields, types, labels, references.

The records API, its OpenAPI document, the validation layer, imports and exports all read
these declarations; adding a field means adding it here (and to the schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mapsvc.domain import vocabulary as words
from mapsvc.domain.vocabulary import AREA_FIELDS as AREA
from mapsvc.domain.vocabulary import GRID_FIELDS as GRID
from mapsvc.domain.vocabulary import MEMBER_FIELDS as MEMBER
from mapsvc.domain.vocabulary import ORG_FIELDS as ORG
from mapsvc.domain.vocabulary import ROAD_FIELDS as ROAD
from mapsvc.domain.vocabulary import SERVICE_POINT_FIELDS as SERVICE_POINT


@dataclass(frozen=True)
class Field:
    """One field of a record as people and files see it."""

    name: str
    type: str  # text, int, float, date, bool, enum, text_list, ref, point, multipolygon
    zh: str  # Chinese label, also accepted as a column header in imports
    column: str | None = None  # table column; None: same as name
    required: bool = False
    writable: bool = True
    enum: dict[str, str] | None = None
    ref: str | None = None  # for type ref: the resource whose code this field names
    pattern: str | None = None  # regular expression the text must match
    pattern_zh: str = ""  # what the pattern means, for messages
    filter: bool = False  # usable as an exact-match filter on list
    aliases: tuple[str, ...] = ()  # more header names accepted by imports
    minimum: float | None = None
    maximum: float | None = None

    @property
    def col(self) -> str:
        """The table column holding the field."""
        return self.column or self.name

    @property
    def is_geometry(self) -> bool:
        """Whether the field is the record's geometry."""
        return self.type in ("point", "multipolygon")


@dataclass(frozen=True)
class Resource:
    """A kind of record: its table, key and fields."""

    name: str  # URL segment: /api/v1/<name>
    kind: str  # import --kind name
    table: str
    key: str  # field identifying one record in URLs: id or code
    zh: str
    fields: tuple[Field, ...]
    en: str = "record"  # singular, for messages
    search: tuple[str, ...] = ("name",)
    order: str = "code"
    dissolve: bool = False  # DELETE dissolves instead of deleting
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> Field:
        """The field called name."""
        return next(f for f in self.fields if f.name == name)

    @property
    def geometry(self) -> Field | None:
        """The geometry field, if the record has one."""
        return next((f for f in self.fields if f.is_geometry), None)

    @property
    def writable(self) -> tuple[Field, ...]:
        """Fields a client may set."""
        return tuple(f for f in self.fields if f.writable)


PHONE = r"^1[3-9][0-9]{9}$"
INT4_MAX = 2**31 - 1  # an integer column; larger counts are refused, not a database error
AREA_M2_MAX = 999_999_999.9  # numeric(10, 1)
ID = Field("id", "int", "编号", writable=False)
VERSION = Field("version", "int", "版本", writable=False)
UPDATED = Field("updated_at", "text", "更新时间", writable=False)

ADMIN_AREAS = Resource(
    name="admin-areas",
    kind="admin_areas",
    table="admin_areas",
    key="code",
    zh="行政区域",
    en="administrative area",
    fields=(
        Field(
            "code",
            "text",
            AREA["code"].zh,
            required=True,
            filter=True,
            pattern=r"^[1-9][0-9]{11}$",
            pattern_zh="12 位统计用区划代码",
            aliases=("行政区划代码", "代码"),
        ),
        Field("name", "text", AREA["name"].zh, required=True, aliases=("区域名称",)),
        Field(
            "level",
            "enum",
            AREA["level"].zh,
            required=True,
            enum=words.AREA_LEVELS,
            filter=True,
            aliases=("层级",),
        ),
        Field("parent_code", "text", AREA["parent_code"].zh, writable=False, filter=True),
        Field(
            "population",
            "int",
            AREA["population"].zh,
            minimum=0,
            maximum=INT4_MAX,
            aliases=("常住人口",),
        ),
        Field("households", "int", AREA["households"].zh, minimum=0, maximum=INT4_MAX),
        Field("geometry", "multipolygon", "范围", column="geom", required=True),
        VERSION,
        UPDATED,
    ),
)

ORGS = Resource(
    name="orgs",
    kind="orgs",
    table="party_orgs",
    key="id",
    zh="党组织",
    dissolve=True,
    search=("name", "code", "address"),
    en="org",
    fields=(
        ID,
        Field(
            "code",
            "text",
            ORG["code"].zh,
            required=True,
            filter=True,
            pattern=r"^[0-9A-Z]{4,32}$",
            pattern_zh="4–32 位数字或大写字母",
            aliases=("组织代码",),
        ),
        Field("name", "text", ORG["name"].zh, required=True, aliases=("名称",)),
        Field(
            "level",
            "enum",
            ORG["level"].zh,
            required=True,
            enum=words.ORG_LEVELS,
            filter=True,
            aliases=("层级", "级别"),
        ),
        Field(
            "category",
            "enum",
            ORG["category"].zh,
            required=True,
            enum=words.ORG_CATEGORIES,
            filter=True,
            aliases=("类别",),
        ),
        Field(
            "parent_code",
            "ref",
            "上级组织编码",
            column="parent_id",
            ref="orgs",
            filter=True,
            aliases=("上级组织代码", "上级编码"),
        ),
        Field(
            "admin_area_code",
            "text",
            ORG["admin_area_code"].zh,
            filter=True,
            pattern=r"^[1-9][0-9]{11}$",
            pattern_zh="12 位统计用区划代码",
            aliases=("区划代码",),
        ),
        Field("geometry", "point", "位置", column="geom"),
        Field("address", "text", ORG["address"].zh),
        Field("secretary", "text", ORG["secretary"].zh),
        Field("founded_on", "date", "成立日期", aliases=("成立时间",)),
        Field(
            "status",
            "enum",
            "状态",
            writable=False,
            filter=True,
            enum=words.ORG_STATUSES,
        ),
        Field("dissolved_on", "date", "撤销日期", writable=False),
        VERSION,
        UPDATED,
    ),
)

MEMBERS = Resource(
    name="members",
    kind="members",
    table="members",
    key="id",
    zh="党员",
    order="id",
    search=("name",),
    en="member",
    fields=(
        ID,
        Field(
            "org_code",
            "ref",
            "所在支部编码",
            column="org_id",
            ref="orgs",
            required=True,
            filter=True,
            aliases=("组织编码", "支部编码", "所在组织编码"),
        ),
        Field("name", "text", MEMBER["name"].zh, required=True),
        Field("gender", "enum", "性别", required=True, enum=words.GENDERS, filter=True),
        Field(
            "birth_year",
            "int",
            "出生年份",
            required=True,
            minimum=1900,
            maximum=2100,
            aliases=("出生年",),
        ),
        Field("joined_on", "date", "入党日期", required=True, aliases=("入党时间",)),
        Field(
            "status",
            "enum",
            MEMBER["status"].zh,
            required=True,
            filter=True,
            enum=words.MEMBER_STATUSES,
            aliases=("状态",),
        ),
        Field(
            "phone",
            "text",
            "手机号码",
            pattern=PHONE,
            pattern_zh="11 位手机号码",
            aliases=("手机", "联系电话", "电话"),
        ),
        Field("geometry", "point", "居住地", column="home_geom"),
        Field("is_mobile", "bool", "流动党员", writable=False, filter=True),
        Field(
            "outflow_org_code",
            "ref",
            "流出地党组织编码",
            column="outflow_org_id",
            ref="orgs",
            writable=False,
        ),
        Field(
            "inflow_org_code",
            "ref",
            "流入地党组织编码",
            column="inflow_org_id",
            ref="orgs",
            writable=False,
        ),
        Field("mobile_destination", "text", MEMBER["mobile_destination"].zh, writable=False),
        Field("mobile_since", "date", MEMBER["mobile_since"].zh, writable=False),
        VERSION,
        UPDATED,
    ),
)

GRIDS = Resource(
    name="grids",
    kind="grids",
    table="grids",
    key="id",
    zh="网格",
    search=("name", "code", "grid_worker"),
    en="grid",
    fields=(
        ID,
        Field(
            "code",
            "text",
            GRID["code"].zh,
            required=True,
            filter=True,
            pattern=r"^[0-9]{15}$",
            pattern_zh="社区 12 位代码加 3 位序号",
            aliases=("网格代码",),
        ),
        Field("name", "text", GRID["name"].zh, required=True, aliases=("名称",)),
        Field(
            "community_code",
            "text",
            GRID["community_code"].zh,
            required=True,
            filter=True,
            pattern=r"^[1-9][0-9]{11}$",
            pattern_zh="12 位统计用区划代码",
            aliases=("社区代码", "社区编码"),
        ),
        Field("geometry", "multipolygon", "范围", column="geom", required=True),
        Field("grid_worker", "text", GRID["grid_worker"].zh),
        Field("grid_worker_phone", "text", "网格员电话", pattern=PHONE, pattern_zh="11 位手机号码"),
        Field("households", "int", GRID["households"].zh, minimum=0, maximum=INT4_MAX),
        Field("population", "int", GRID["population"].zh, minimum=0, maximum=INT4_MAX),
        Field("party_group", "text", "网格党小组"),
        Field(
            "party_group_branch_code",
            "ref",
            "党小组所在支部编码",
            column="party_group_branch_id",
            ref="orgs",
        ),
        VERSION,
        UPDATED,
    ),
)

SERVICE_POINTS = Resource(
    name="service-points",
    kind="service_points",
    table="service_points",
    key="id",
    zh="党群服务中心",
    search=("name", "code", "address"),
    en="service point",
    fields=(
        ID,
        Field(
            "code",
            "text",
            SERVICE_POINT["code"].zh,
            required=True,
            filter=True,
            pattern=r"^[0-9A-Z-]{4,32}$",
            pattern_zh="4–32 位数字、大写字母或连字符",
        ),
        Field("name", "text", SERVICE_POINT["name"].zh, required=True),
        Field(
            "level",
            "enum",
            SERVICE_POINT["level"].zh,
            required=True,
            enum=words.SERVICE_POINT_LEVELS,
            filter=True,
        ),
        Field(
            "admin_area_code",
            "text",
            SERVICE_POINT["admin_area_code"].zh,
            filter=True,
            pattern=r"^[1-9][0-9]{11}$",
            pattern_zh="12 位统计用区划代码",
        ),
        Field("geometry", "point", "位置", column="geom", required=True),
        Field("address", "text", SERVICE_POINT["address"].zh),
        Field("opening_hours", "text", SERVICE_POINT["opening_hours"].zh),
        Field("services", "text_list", SERVICE_POINT["services"].zh),
        Field(
            "floor_area_m2",
            "float",
            "面积（平方米）",
            minimum=0.1,
            maximum=AREA_M2_MAX,
            aliases=("面积",),
        ),
        Field("operating_org_code", "ref", "运营党组织编码", column="operating_org_id", ref="orgs"),
        Field("phone", "text", SERVICE_POINT["phone"].zh),
        VERSION,
        UPDATED,
    ),
)

# the walking network: imported and exported whole (mapsvc.exchange), not served as records
ROADS = Resource(
    name="roads",
    kind="roads",
    table="roads",
    key="id",
    zh="道路",
    en="road",
    order="id",
    fields=(
        Field("id", "int", "编号", writable=False),
        Field("name", "text", ROAD["name"].zh, aliases=("名称", "路名")),
        Field(
            "kind",
            "enum",
            ROAD["kind"].zh,
            enum=words.ROAD_KINDS,
            aliases=("等级", "类型", "道路类型"),
        ),
        Field("length_m", "float", ROAD["length_m"].zh, writable=False, aliases=("长度",)),
        Field("geometry", "line", "线路", column="geom", required=True),
    ),
)

# the kinds the records API serves (/api/v1/<name>)
RESOURCES = {r.name: r for r in (ORGS, MEMBERS, GRIDS, SERVICE_POINTS, ADMIN_AREAS)}
BY_KIND = {r.kind: r for r in RESOURCES.values()}
# the kinds files bring in and take out (mapsvc.exchange): the records and the roads
IMPORTABLE = {**BY_KIND, ROADS.kind: ROADS}
TABLE_OF = {"orgs": ("party_orgs", "code")}  # referenced resources: table and code column
