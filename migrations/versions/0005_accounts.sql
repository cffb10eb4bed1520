-- Who may use the service: accounts with one role each, scoped to a subtree of the org tree
-- (admins see the whole tree and have no scope), bearer tokens for scripts and kiosks, and
-- an append-only audit log. Enforcement on the endpoints comes in a later revision.
CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CONSTRAINT user_name_unique UNIQUE
                   CONSTRAINT user_name_format CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    display_name   text CONSTRAINT user_display_name_length
                   CHECK (display_name IS NULL OR length(display_name) BETWEEN 1 AND 128),
    role           text NOT NULL CONSTRAINT user_role CHECK (role IN (
                       'admin', 'org_admin', 'secretary', 'grid_worker', 'viewer')),
    -- the scope by org code, not id: codes stay stable when records are re-imported or the
    -- demo is reloaded (no foreign key, so a reload never deletes accounts); checked when the
    -- account is made, and an account whose org is gone sees nothing
    scope_org_code text CONSTRAINT user_scope_code_format CHECK (scope_org_code ~ '^[0-9A-Z]{4,32}$'),
    password_hash  text,  -- NULL: a token-only account (kiosk, script)
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- admins see everything and have no scope; everyone else is scoped to an org subtree
    CONSTRAINT user_scope_by_role CHECK ((role = 'admin') = (scope_org_code IS NULL))
);

CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL CONSTRAINT api_token_user_exists
                  REFERENCES users (id) ON DELETE CASCADE,
    -- only the SHA-256 (hex) of the token is stored, never the token itself
    token_hash    text NOT NULL CONSTRAINT api_token_hash_unique UNIQUE
                  CONSTRAINT api_token_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    user_name    text,  -- the account that acted; NULL for the command line or the system
    action       text NOT NULL CONSTRAINT audit_action_format CHECK (action ~ '^[a-z_]{1,64}$'),
    target       text,
    detail       jsonb NOT NULL DEFAULT '{}',
    remote_addr  text
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_at_idx ON audit_log (user_name, at);
CREATE INDEX audit_log_target_at_idx ON audit_log (target, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_log_append_only',
        MESSAGE = '审计日志只能追加 / the audit log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
