"""Server-side sessions (revocable at once) and why a token was revoked.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create sessions; revoke the tokens of disabled accounts; drop the session generation."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Drop sessions (every browser logs in again); tokens revoked stay revoked."""
    op.execute(
        "DROP TABLE sessions;"
        "DROP INDEX api_tokens_user_live_idx;"
        "ALTER TABLE api_tokens DROP COLUMN revoked_why;"
        "ALTER TABLE users ADD COLUMN session_gen integer NOT NULL DEFAULT 1"
    )
