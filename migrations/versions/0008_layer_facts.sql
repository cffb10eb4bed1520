-- Facts the map layers show on every tile, kept current by statement-level triggers so a
-- tile never counts members on the fly and never shows a stale count:
--   org_member_counts  members of each branch-level org, by status, and how many are mobile;
--   grid_facts         members whose home lies in the grid (ST_Contains, as coverage counts
--                      them) and the nearest service point from the grid's centroid
--                      (geodesic metres on the WGS84 ellipsoid).
-- layer_versions counts changes per table; the tile cache keys on it, so a tile made before
-- a change is never served after it.

CREATE TABLE org_member_counts (
    org_id               bigint PRIMARY KEY REFERENCES party_orgs (id) ON DELETE CASCADE,
    members              integer NOT NULL,
    full_members         integer NOT NULL,
    probationary_members integer NOT NULL,
    mobile_members       integer NOT NULL
);

CREATE TABLE grid_facts (
    grid_id                  bigint PRIMARY KEY REFERENCES grids (id) ON DELETE CASCADE,
    members                  integer NOT NULL DEFAULT 0,
    nearest_service_point_id bigint,
    nearest_service_point_m  double precision
);

CREATE TABLE layer_versions (
    table_name text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 1
);
INSERT INTO layer_versions (table_name)
VALUES ('admin_areas'), ('party_orgs'), ('members'), ('grids'), ('service_points'), ('roads'),
       ('org_member_counts'), ('grid_facts');

CREATE FUNCTION bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE layer_versions SET version = version + 1 WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

CREATE FUNCTION refresh_org_member_counts(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM org_member_counts WHERE org_id = ANY(ids);
    INSERT INTO org_member_counts
    SELECT org_id, count(*), count(*) FILTER (WHERE status = 'full'),
           count(*) FILTER (WHERE status = 'probationary'), count(*) FILTER (WHERE is_mobile)
    FROM members WHERE org_id = ANY(ids)
    GROUP BY org_id;
$$;

CREATE FUNCTION refresh_grid_members(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE grid_facts f
    SET members = (SELECT count(*) FROM members m WHERE ST_Contains(g.geom, m.home_geom))
    FROM grids g
    WHERE g.id = f.grid_id AND f.grid_id = ANY(ids);
$$;

-- ids NULL: every grid (after service points change)
CREATE FUNCTION refresh_grid_nearest(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE grid_facts f
    SET nearest_service_point_id = n.id, nearest_service_point_m = n.metres
    FROM grids g
    LEFT JOIN LATERAL (
        -- the sphere's 5 nearest from the index, ranked on the ellipsoid
        SELECT k.id, ST_Distance(k.geog, ST_Centroid(g.geom)::geography, true) AS metres
        FROM (SELECT s.id, s.geog FROM service_points s
              ORDER BY s.geog <-> ST_Centroid(g.geom)::geography LIMIT 5) k
        ORDER BY metres, k.id
        LIMIT 1
    ) n ON true
    WHERE g.id = f.grid_id AND (ids IS NULL OR f.grid_id = ANY(ids));
$$;

CREATE FUNCTION members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orgs bigint[];
    points geometry[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT org_id), array_agg(home_geom) FILTER (WHERE home_geom IS NOT NULL)
        INTO orgs, points FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT org_id), array_agg(home_geom) FILTER (WHERE home_geom IS NOT NULL)
        INTO orgs, points FROM old_rows;
    ELSE
        -- position reports update members often: only changes that move a count matter
        SELECT array_agg(DISTINCT x.org_id), array_agg(x.home_geom) FILTER (WHERE x.home_geom IS NOT NULL)
        INTO orgs, points
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.org_id, o.home_geom), (n.org_id, n.home_geom)) x(org_id, home_geom)
        WHERE o.org_id IS DISTINCT FROM n.org_id OR o.status IS DISTINCT FROM n.status
           OR o.is_mobile IS DISTINCT FROM n.is_mobile
           OR NOT ST_OrderingEquals(o.home_geom, n.home_geom)
           OR (o.home_geom IS NULL) <> (n.home_geom IS NULL);
    END IF;
    IF orgs IS NOT NULL THEN
        PERFORM refresh_org_member_counts(orgs);
    END IF;
    IF points IS NOT NULL THEN
        PERFORM refresh_grid_members(ARRAY(
            SELECT DISTINCT g.id FROM grids g, unnest(points) p WHERE ST_Contains(g.geom, p)));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION grids_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grid_facts (grid_id) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
        SELECT array_agg(id) INTO ids FROM new_rows;
    ELSE
        SELECT array_agg(n.id) INTO ids
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE NOT ST_OrderingEquals(o.geom, n.geom) OR o.id <> n.id;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM refresh_grid_members(ids);
        PERFORM refresh_grid_nearest(ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION service_points_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_grid_nearest(NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER members_facts_insert AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION members_changed();
CREATE TRIGGER members_facts_update AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_changed();
CREATE TRIGGER members_facts_delete AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION members_changed();
CREATE TRIGGER grids_facts_insert AFTER INSERT ON grids
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION grids_changed();
CREATE TRIGGER grids_facts_update AFTER UPDATE ON grids
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_changed();
CREATE TRIGGER service_points_facts AFTER INSERT OR UPDATE OR DELETE ON service_points
    FOR EACH STATEMENT EXECUTE FUNCTION service_points_changed();

CREATE TRIGGER admin_areas_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER party_orgs_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON party_orgs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER members_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER grids_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER service_points_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_points
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER roads_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roads
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
-- the counts change only when a count does (position reports update members all day long)
CREATE TRIGGER org_member_counts_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON org_member_counts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
CREATE TRIGGER grid_facts_layer_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grid_facts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();

-- the facts of data already present
INSERT INTO grid_facts (grid_id) SELECT id FROM grids;
SELECT refresh_grid_members(ARRAY(SELECT id FROM grids));
SELECT refresh_grid_nearest(NULL);
SELECT refresh_org_member_counts(ARRAY(SELECT DISTINCT org_id FROM members));

-- mobile members are found by where they are now (or went): an index for the hexagon layer
CREATE INDEX members_mobile_place_idx ON members
    USING gist ((coalesce(current_geom, destination_geom))) WHERE is_mobile;
