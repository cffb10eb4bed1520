"""A data version for the leaders' screen: one row per transaction that changed its figures.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create stats_changes and the triggers that fill it."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop them."""
    for table in (
        "members",
        "party_orgs",
        "grids",
        "service_points",
        "admin_areas",
        "road_walks_reach",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_stats_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS stats_note_change()")
    op.execute("DROP TABLE IF EXISTS stats_changes")
