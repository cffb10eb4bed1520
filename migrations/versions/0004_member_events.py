"""Member history: transfers and mobile periods.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the history table."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop it."""
    op.execute("DROP TABLE IF EXISTS member_events")
    op.execute("DROP FUNCTION IF EXISTS member_events_append_only()")
