"""Imports are jobs: an upload waits in import_jobs until a background worker runs it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create import_jobs."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop it."""
    op.execute("DROP TABLE IF EXISTS import_jobs")
