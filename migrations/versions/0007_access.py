"""Access control: kiosk role, grid workers' grids, session generations, login-failure indexes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from pathlib import Path

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the access changes."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Undo them (kiosk accounts are removed)."""
    op.execute(
        "DELETE FROM users WHERE role = 'kiosk';"
        "DROP INDEX audit_log_failed_login_addr_idx, audit_log_failed_login_target_idx;"
        "ALTER TABLE users DROP COLUMN grid_codes, DROP COLUMN session_gen;"
        "ALTER TABLE users DROP CONSTRAINT user_role, DROP CONSTRAINT user_scope_by_role;"
        "ALTER TABLE users ADD CONSTRAINT user_role CHECK (role IN "
        "('admin', 'org_admin', 'secretary', 'grid_worker', 'viewer'));"
        "ALTER TABLE users ADD CONSTRAINT user_scope_by_role CHECK "
        "((role = 'admin') = (scope_org_code IS NULL))"
    )
