-- Areas at every level (issue 18): province 省, city 市, county 区县 (区, 县, county-level 市,
-- 旗; until now `district`), street 街道, town 镇乡, community 社区, village 村, each with its
-- 12-digit statistical code:
--   province  PP0000000000          city      PPCC00000000 (CC <> 00)
--   county    PPCCDD000000 (DD <> 00)
--   street    PPCCDD0SS000 (001-099)  town     PPCCDD1SS000 / 2SS000 (100-399)
--   community PPCCDDSSS0VV (001-199)  village  (200-399)
-- The parent is derived from the code: province <- city <- county <- street/town <-
-- community/village. A parent row must exist unless no ancestor at all is held (the top of
-- what a department holds: a city's database need not hold its province). That rule is a
-- constraint trigger checked at commit, so a file may list children before their parents.

-- parent_code is generated: PostgreSQL 15 cannot alter the expression, so the column (its
-- index and the self-referencing foreign key go with it) is dropped and added again. Nothing
-- else depends on it (no view; the service's queries name it only at run time).
ALTER TABLE admin_areas DROP CONSTRAINT admin_area_level;
ALTER TABLE admin_areas DROP CONSTRAINT admin_area_code_level;
ALTER TABLE admin_areas DROP COLUMN parent_code;

UPDATE admin_areas SET level = 'county' WHERE level = 'district';

ALTER TABLE admin_areas ADD CONSTRAINT admin_area_level CHECK (level IN (
    'province', 'city', 'county', 'street', 'town', 'community', 'village'));

ALTER TABLE admin_areas ADD CONSTRAINT admin_area_code_level CHECK (
    CASE level
        WHEN 'province' THEN substr(code, 3) = '0000000000'
        WHEN 'city' THEN substr(code, 3, 2) <> '00' AND substr(code, 5) = '00000000'
        WHEN 'county' THEN substr(code, 5, 2) <> '00' AND substr(code, 7) = '000000'
        WHEN 'street' THEN substr(code, 7, 3) BETWEEN '001' AND '099' AND substr(code, 10) = '000'
        WHEN 'town' THEN substr(code, 7, 3) BETWEEN '100' AND '399' AND substr(code, 10) = '000'
        WHEN 'community' THEN substr(code, 7, 3) BETWEEN '001' AND '399'
                              AND substr(code, 10) BETWEEN '001' AND '199'
        WHEN 'village' THEN substr(code, 7, 3) BETWEEN '001' AND '399'
                            AND substr(code, 10) BETWEEN '200' AND '399'
    END);

ALTER TABLE admin_areas ADD COLUMN parent_code text GENERATED ALWAYS AS (
    CASE level
        WHEN 'province' THEN NULL
        WHEN 'city' THEN left(code, 2) || '0000000000'
        WHEN 'county' THEN left(code, 4) || '00000000'
        WHEN 'street' THEN left(code, 6) || '000000'
        WHEN 'town' THEN left(code, 6) || '000000'
        ELSE left(code, 9) || '000'
    END) STORED;
CREATE INDEX admin_areas_parent_idx ON admin_areas (parent_code);

-- The codes of every area above a code, nearest first (parent, grandparent, ...).
CREATE FUNCTION admin_area_ancestors(code text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN substr(code, 10) <> '000' THEN left(code, 9) || '000' END,
        CASE WHEN substr(code, 7) <> '000000' THEN left(code, 6) || '000000' END,
        CASE WHEN substr(code, 5) <> '00000000' THEN left(code, 4) || '00000000' END,
        CASE WHEN substr(code, 3) <> '0000000000' THEN left(code, 2) || '0000000000' END
    ], NULL)
$$;

-- At commit: an area's parent is held, unless none of its ancestors is; an area that still
-- has children is not removed (nor its code changed).
CREATE FUNCTION admin_area_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    child text;
    held text;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND (TG_OP = 'DELETE' OR OLD.code <> NEW.code)
       AND NOT EXISTS (SELECT 1 FROM admin_areas WHERE code = OLD.code) THEN
        SELECT a.code INTO child FROM admin_areas a WHERE a.parent_code = OLD.code
        ORDER BY a.code LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                CONSTRAINT = 'admin_area_has_children',
                MESSAGE = format('区划 %s 下还有下级区划 %s，不能删除 / area %s still has areas below it (%s): it cannot be removed',
                                 OLD.code, child, OLD.code, child);
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    -- the row as it is at commit (it may have changed or gone since this event)
    IF NOT EXISTS (SELECT 1 FROM admin_areas WHERE code = NEW.code)
       OR NEW.parent_code IS NULL
       OR EXISTS (SELECT 1 FROM admin_areas WHERE code = NEW.parent_code) THEN
        RETURN NULL;
    END IF;
    SELECT a.code INTO held FROM admin_areas a
    WHERE a.code = ANY (admin_area_ancestors(NEW.code)) ORDER BY a.code DESC LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            CONSTRAINT = 'admin_area_parent_exists',
            MESSAGE = format('区划 %s 的上级 %s 不存在（已有更高一级的 %s，中间一级不能缺） / the parent %s of area %s does not exist (%s above it is held: a middle level cannot be missing)',
                             NEW.code, NEW.parent_code, held, NEW.parent_code, NEW.code, held);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER admin_area_parent_exists
    AFTER INSERT OR UPDATE OF code, level OR DELETE ON admin_areas
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION admin_area_check_parent();
