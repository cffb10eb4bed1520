-- The service's own login role (mapsvc.infra.config.app_role(), `mapsvc_app` by default):
-- it owns nothing, so it can neither ALTER nor DROP anything; it reads and writes the data,
-- and may only read and append to the audit log. Migrations keep running as the owner.
-- The role's name comes in the setting mapsvc.app_role (set by the .py beside this file).
DO $$
DECLARE
    app text := current_setting('mapsvc.app_role');
BEGIN
    -- roles are cluster-wide: another database's migration may have made it already
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', app);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently by a migration of another database
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), app);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    -- the data: rows only (no TRUNCATE, REFERENCES or TRIGGER)
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    -- functions: EXECUTE is PUBLIC's by default (ours, PostGIS's and pgRouting's), nothing to add
    -- the audit log: read and append, never rewrite (the trigger refuses it as well)
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', app);
    -- what only migrations and PostGIS change: read-only
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON alembic_version, spatial_ref_sys FROM %I', app);
    -- refresh_road_walks() (a road import) empties this derived table with TRUNCATE
    EXECUTE format('GRANT TRUNCATE ON road_walks TO %I', app);
    -- tables, sequences and functions later migrations create (as this owner) come granted
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                   'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                   'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', app);
END $$;
