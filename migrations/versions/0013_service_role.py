"""The service's login role: owns nothing, reads and writes the data, appends to the audit log.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

from mapsvc.infra.config import app_role

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _set_role_name() -> None:
    op.execute(
        sa.text("SELECT set_config('mapsvc.app_role', :name, true)").bindparams(name=app_role())
    )


def upgrade() -> None:
    """Create the role when absent and grant it the rows (the SQL file beside this one)."""
    _set_role_name()
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Take this database's grants back; the role itself stays (other databases may use it)."""
    _set_role_name()
    op.execute(
        """
        DO $$
        DECLARE
            app text := current_setting('mapsvc.app_role');
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
                EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                               'REVOKE ALL ON TABLES FROM %I', app);
                EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                               'REVOKE ALL ON SEQUENCES FROM %I', app);
                EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app);
                EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', app);
                EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I', app);
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), app);
            END IF;
        END $$;
        """
    )
