"""Areas at every level: province, city and county (district becomes county), the parent
derived from the code at every level, and the parent-exists rule checked at commit.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Levels, parent codes and the deferred parent rule (the SQL file beside this one)."""
    op.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    """Back to district…village; refused while province or city rows exist."""
    op.execute(
        """
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM admin_areas WHERE level IN ('province', 'city')) THEN
                RAISE EXCEPTION '省、市级区划仍存在，无法降级 / province or city areas exist: cannot downgrade';
            END IF;
        END $$;
        DROP TRIGGER admin_area_parent_exists ON admin_areas;
        DROP FUNCTION admin_area_check_parent();
        DROP FUNCTION admin_area_ancestors(text);
        ALTER TABLE admin_areas DROP CONSTRAINT admin_area_level;
        ALTER TABLE admin_areas DROP CONSTRAINT admin_area_code_level;
        ALTER TABLE admin_areas DROP COLUMN parent_code;
        UPDATE admin_areas SET level = 'district' WHERE level = 'county';
        ALTER TABLE admin_areas ADD CONSTRAINT admin_area_level
            CHECK (level IN ('district', 'street', 'town', 'community', 'village'));
        ALTER TABLE admin_areas ADD COLUMN parent_code text GENERATED ALWAYS AS (
            CASE level
                WHEN 'district' THEN NULL
                WHEN 'street' THEN left(code, 6) || '000000'
                WHEN 'town' THEN left(code, 6) || '000000'
                ELSE left(code, 9) || '000'
            END) STORED
            CONSTRAINT admin_area_parent_exists REFERENCES admin_areas (code);
        CREATE INDEX admin_areas_parent_idx ON admin_areas (parent_code);
        ALTER TABLE admin_areas ADD CONSTRAINT admin_area_code_level CHECK (
            CASE level
                WHEN 'district' THEN substr(code, 7) = '000000' AND substr(code, 5, 2) <> '00'
                WHEN 'street' THEN substr(code, 7, 3) BETWEEN '001' AND '099' AND substr(code, 10) = '000'
                WHEN 'town' THEN substr(code, 7, 3) BETWEEN '100' AND '399' AND substr(code, 10) = '000'
                WHEN 'community' THEN substr(code, 7, 3) BETWEEN '001' AND '399'
                                      AND substr(code, 10) BETWEEN '001' AND '199'
                WHEN 'village' THEN substr(code, 7, 3) BETWEEN '001' AND '399'
                                    AND substr(code, 10) BETWEEN '200' AND '399'
            END);
        """
    )
