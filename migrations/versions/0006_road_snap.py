"""One function for joining a point to the road network.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create road_snap()."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop it."""
    op.execute("DROP FUNCTION IF EXISTS road_snap(geometry)")
