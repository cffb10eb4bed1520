"""Precomputed walking distances between nearby road vertices (pgRouting).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table and its refresh function, and fill it for the roads present."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))
    op.execute("SELECT refresh_road_walks()")


def downgrade() -> None:
    """Drop the table and the function."""
    op.execute("DROP FUNCTION IF EXISTS refresh_road_walks(double precision)")
    op.execute("DROP TABLE IF EXISTS road_walks_reach")
    op.execute("DROP TABLE IF EXISTS road_walks")
