"""Facts the map layers show (member counts per org and grid, nearest service point per
grid), kept current by triggers, and per-table versions for the tile cache.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables, functions and triggers from the SQL file beside this one."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop them."""
    op.execute("DROP INDEX IF EXISTS members_mobile_place_idx")
    for table, trigger in (
        ("members", "members_facts_insert"),
        ("members", "members_facts_update"),
        ("members", "members_facts_delete"),
        ("grids", "grids_facts_insert"),
        ("grids", "grids_facts_update"),
        ("service_points", "service_points_facts"),
        ("admin_areas", "admin_areas_layer_version"),
        ("party_orgs", "party_orgs_layer_version"),
        ("members", "members_layer_version"),
        ("grids", "grids_layer_version"),
        ("service_points", "service_points_layer_version"),
        ("roads", "roads_layer_version"),
        ("org_member_counts", "org_member_counts_layer_version"),
        ("grid_facts", "grid_facts_layer_version"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for fn in (
        "members_changed()",
        "grids_changed()",
        "service_points_changed()",
        "refresh_grid_nearest(bigint[])",
        "refresh_grid_members(bigint[])",
        "refresh_org_member_counts(bigint[])",
        "bump_layer_version()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in ("layer_versions", "grid_facts", "org_member_counts"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
