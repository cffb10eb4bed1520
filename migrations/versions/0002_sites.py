"""Views of the sites people look up: branches, migrant groups, service points.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the views from the SQL file beside this one."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop the views."""
    for view in ("service_point_sites", "migrant_group_sites", "branch_sites"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
