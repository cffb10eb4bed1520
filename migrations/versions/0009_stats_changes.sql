-- Which committed transactions changed what the leaders' screen counts (members, orgs, grids,
-- service points, areas, the walking network). One row per writing transaction, inserted by
-- statement-level triggers: writers never wait on each other (no shared counter row), and a
-- reader sees exactly the rows of transactions committed in its snapshot, so
-- (count, sum of xids) read in the same snapshot as the figures is a data version that
-- changes with every committed change. Position reports update only members' current
-- position, which no figure uses, so they do not fire the trigger.
CREATE TABLE stats_changes (
    xid         bigint PRIMARY KEY,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION stats_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_changes (xid) VALUES (pg_current_xact_id()::text::bigint)
    ON CONFLICT (xid) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_stats_change
    AFTER INSERT OR DELETE OR TRUNCATE
        OR UPDATE OF org_id, gender, birth_year, status, home_geom, is_mobile, outflow_org_id,
                     inflow_org_id, mobile_destination, destination_geom
    ON members FOR EACH STATEMENT EXECUTE FUNCTION stats_note_change();
CREATE TRIGGER party_orgs_stats_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON party_orgs FOR EACH STATEMENT EXECUTE FUNCTION stats_note_change();
CREATE TRIGGER grids_stats_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON grids FOR EACH STATEMENT EXECUTE FUNCTION stats_note_change();
CREATE TRIGGER service_points_stats_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON service_points FOR EACH STATEMENT EXECUTE FUNCTION stats_note_change();
CREATE TRIGGER admin_areas_stats_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON admin_areas FOR EACH STATEMENT EXECUTE FUNCTION stats_note_change();
CREATE TRIGGER road_walks_reach_stats_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON road_walks_reach FOR EACH STATEMENT EXECUTE FUNCTION stats_note_change();
