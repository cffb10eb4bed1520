-- Access control switched on: kiosk accounts (aggregates only, scope optional), grid workers'
-- grids, a session generation that logs every browser out when bumped (password change,
-- deactivation), and indexes for counting recent failed logins (rate limiting reads the audit
-- log, so there is one record of attempts, not two).
ALTER TABLE users DROP CONSTRAINT user_role;
ALTER TABLE users ADD CONSTRAINT user_role CHECK (role IN (
    'admin', 'org_admin', 'secretary', 'grid_worker', 'viewer', 'kiosk'));
ALTER TABLE users DROP CONSTRAINT user_scope_by_role;
ALTER TABLE users ADD CONSTRAINT user_scope_by_role CHECK (
    CASE role WHEN 'admin' THEN scope_org_code IS NULL
              WHEN 'kiosk' THEN true
              ELSE scope_org_code IS NOT NULL END);
ALTER TABLE users ADD COLUMN grid_codes text[] NOT NULL DEFAULT '{}'
    CONSTRAINT user_grid_codes_only_grid_workers CHECK (role = 'grid_worker' OR grid_codes = '{}');
ALTER TABLE users ADD COLUMN session_gen integer NOT NULL DEFAULT 1;
CREATE INDEX audit_log_failed_login_addr_idx ON audit_log (remote_addr, at)
    WHERE action = 'login_failed';
CREATE INDEX audit_log_failed_login_target_idx ON audit_log (target, at)
    WHERE action = 'login_failed';
