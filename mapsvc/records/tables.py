"""The record tables, declared once as SQLAlchemy Core tables (geometry by geoalchemy2).

The schema itself is made by the migrations (migrations/versions/*.sql); these declarations
mirror it so the records layer can build its statements from columns instead of SQL text.
tests/api/test_record_tables.py checks them against a migrated database, column by column.

Columns the database fills are marked so writes leave them out: `Identity` (ids),
`Computed` (generated columns) and `FetchedValue` (kept by triggers, such as the org path).
"""

from __future__ import annotations

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Double,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, REAL
from sqlalchemy.dialects.postgresql import base as pg_base
from sqlalchemy.types import UserDefinedType

SRID = 4326  # all geometry is WGS84 lon/lat


class LTree(UserDefinedType):
    """PostgreSQL's ltree (the org tree's path); compared and read as text."""

    cache_ok = True

    def get_col_spec(self, **_kw) -> str:
        """The type's name in DDL."""
        return "LTREE"


# reflection (the schema test, alembic) then knows ltree instead of warning about it
pg_base.ischema_names.setdefault("ltree", LTree)

metadata = MetaData()


def _point() -> Geometry:
    return Geometry("POINT", srid=SRID)


def _areas() -> Geometry:
    return Geometry("MULTIPOLYGON", srid=SRID)


def _version() -> Column:
    return Column("version", Integer, nullable=False, server_default=text("1"))


def _updated_at() -> Column:
    return Column(
        "updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


def _id() -> Column:
    return Column("id", BigInteger, Identity(always=False), primary_key=True)


def _geog(of: str) -> Column:
    """A generated geography twin of a point column (metre-accurate distances)."""
    return Column(
        f"{of.removesuffix('geom')}geog",
        Geography("POINT", srid=SRID),
        Computed(f"({of})::geography", persisted=True),
    )


admin_areas = Table(
    "admin_areas",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    # the parent must be held unless no ancestor is: a constraint trigger checked at commit
    # (admin_area_parent_exists, migration 0012), not a foreign key
    Column("parent_code", Text, Computed("derived from code and level", persisted=True)),
    Column("population", Integer, nullable=False, server_default=text("0")),
    Column("households", Integer, nullable=False, server_default=text("0")),
    Column("geom", _areas(), nullable=False),
    _version(),
    _updated_at(),
)

party_orgs = Table(
    "party_orgs",
    metadata,
    _id(),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column(
        "is_branch_level",
        Boolean,
        Computed("level IN ('branch', 'joint_branch', 'temporary_branch')", persisted=True),
    ),
    Column("category", Text, nullable=False),
    Column("parent_id", BigInteger, ForeignKey("party_orgs.id", name="party_org_parent_exists")),
    # kept by triggers from parent_id; never written by the service
    Column(
        "path", LTree, nullable=False, server_default=FetchedValue(), server_onupdate=FetchedValue()
    ),
    Column("admin_area_code", Text, ForeignKey("admin_areas.code", name="party_org_area_exists")),
    Column("geom", _point()),
    _geog("geom"),
    Column("address", Text),
    Column("secretary", Text),
    Column("founded_on", Date),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("dissolved_on", Date),
    _version(),
    _updated_at(),
    # target of members' foreign key: a member's org must be branch-level
    UniqueConstraint("id", "is_branch_level", name="party_org_branch_key"),
)

members = Table(
    "members",
    metadata,
    _id(),
    Column("org_id", BigInteger, nullable=False),
    Column("org_is_branch", Boolean, nullable=False, server_default=text("true")),
    Column("name", Text, nullable=False),
    Column("gender", Text, nullable=False),
    Column("birth_year", SmallInteger, nullable=False),
    Column("joined_on", Date, nullable=False),
    Column("status", Text, nullable=False),
    Column("phone", Text),
    Column("home_geom", _point()),
    _geog("home_geom"),
    Column("is_mobile", Boolean, nullable=False, server_default=text("false")),
    Column(
        "outflow_org_id", BigInteger, ForeignKey("party_orgs.id", name="member_outflow_org_exists")
    ),
    Column(
        "inflow_org_id", BigInteger, ForeignKey("party_orgs.id", name="member_inflow_org_exists")
    ),
    Column("mobile_destination", Text),
    Column("destination_geom", _point()),
    Column("mobile_since", Date),
    Column("current_geom", _point()),
    Column("current_at", DateTime(timezone=True)),
    _version(),
    _updated_at(),
    # members belong to branch-level orgs only
    ForeignKeyConstraint(
        ["org_id", "org_is_branch"],
        ["party_orgs.id", "party_orgs.is_branch_level"],
        name="member_org_must_be_branch",
    ),
)

member_positions = Table(
    "member_positions",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("report_id", Text, nullable=False, unique=True),
    Column(
        "member_id",
        BigInteger,
        ForeignKey("members.id", name="position_member_exists", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("geom", _point(), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("source", Text, nullable=False),
    Column("input_crs", Text, nullable=False),
    Column("accuracy_m", REAL),
)

member_events = Table(
    "member_events",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column(
        "member_id",
        BigInteger,
        ForeignKey("members.id", name="member_event_member_exists", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", Text, nullable=False),
    Column("happened_on", Date, nullable=False),
    Column("from_org_id", BigInteger, ForeignKey("party_orgs.id")),
    Column("to_org_id", BigInteger, ForeignKey("party_orgs.id")),
    Column("details", JSONB, nullable=False, server_default=text("'{}'")),
    Column("note", Text),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

grids = Table(
    "grids",
    metadata,
    _id(),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column(
        "community_code",
        Text,
        ForeignKey("admin_areas.code", name="grid_community_exists"),
        nullable=False,
    ),
    Column("geom", _areas(), nullable=False),
    Column("grid_worker", Text),
    Column("grid_worker_phone", Text),
    Column("households", Integer, nullable=False, server_default=text("0")),
    Column("population", Integer, nullable=False, server_default=text("0")),
    Column("party_group", Text),
    Column(
        "party_group_branch_id",
        BigInteger,
        ForeignKey("party_orgs.id", name="grid_party_group_branch_exists"),
    ),
    _version(),
    _updated_at(),
)

service_points = Table(
    "service_points",
    metadata,
    _id(),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column(
        "admin_area_code", Text, ForeignKey("admin_areas.code", name="service_point_area_exists")
    ),
    Column("geom", _point(), nullable=False),
    _geog("geom"),
    Column("address", Text),
    Column("opening_hours", Text),
    Column("services", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("floor_area_m2", Numeric(10, 1)),
    Column(
        "operating_org_id", BigInteger, ForeignKey("party_orgs.id", name="service_point_org_exists")
    ),
    Column("phone", Text),
    _version(),
    _updated_at(),
)

road_vertices = Table(
    "road_vertices",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("geom", _point(), nullable=False),
)

roads = Table(
    "roads",
    metadata,
    _id(),
    Column("name", Text),
    Column("kind", Text, nullable=False),
    Column(
        "source",
        BigInteger,
        ForeignKey("road_vertices.id", name="road_source_exists"),
        nullable=False,
    ),
    Column(
        "target",
        BigInteger,
        ForeignKey("road_vertices.id", name="road_target_exists"),
        nullable=False,
    ),
    Column("geom", Geometry("LINESTRING", srid=SRID), nullable=False),
    Column("length_m", Double, Computed("ST_Length(geom::geography)", persisted=True)),
)

TABLES: dict[str, Table] = dict(metadata.tables)
