"""The data model: areas, org tree, members, positions, grids, service points, roads.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "roads",
    "road_vertices",
    "service_points",
    "grids",
    "member_positions",
    "members",
    "party_orgs",
    "admin_areas",
)


def upgrade() -> None:
    """Create the schema from the SQL file beside this one."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop everything upgrade created."""
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for fn in (
        "grid_within_community",
        "party_org_move_subtree",
        "party_org_check_children",
        "party_org_place_in_tree",
        "party_org_path_is_derived",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    op.execute("DROP FUNCTION IF EXISTS org_level_may_contain(text, text)")
