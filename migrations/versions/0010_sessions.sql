-- Server-side sessions: a browser's cookie carries only a random session id, whose SHA-256 is
-- kept here (like API tokens), so a session ends the moment its row is revoked: logout,
-- disabling the account, a new password or a new role or scope. Rows are kept for the audit.
CREATE TABLE sessions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL CONSTRAINT session_user_exists
                  REFERENCES users (id) ON DELETE CASCADE,
    token_hash    text NOT NULL CONSTRAINT session_hash_unique UNIQUE
                  CONSTRAINT session_hash_format CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    -- a kiosk's session, opened with ?kiosk=TOKEN, ends with that token
    via_token_id  bigint CONSTRAINT session_token_exists
                  REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),  -- written at most once a minute
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoked_why   text CONSTRAINT session_revoked_why_format
                  CHECK (revoked_why IS NULL OR revoked_why ~ '^[a-z_]{1,32}$'),
    user_agent    text CONSTRAINT session_user_agent_length CHECK (length(user_agent) <= 512),
    remote_addr   text
);
-- revocation finds an account's live sessions, a kiosk token's sessions
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_token_idx ON sessions (via_token_id) WHERE via_token_id IS NOT NULL;

ALTER TABLE api_tokens ADD COLUMN revoked_why text CONSTRAINT api_token_revoked_why_format
    CHECK (revoked_why IS NULL OR revoked_why ~ '^[a-z_]{1,32}$');
CREATE INDEX api_tokens_user_live_idx ON api_tokens (user_id) WHERE revoked_at IS NULL;

-- disabling used to leave tokens unrevoked (only the account's flag stopped them), so enabling
-- the account again brought them back: end those of accounts disabled now
UPDATE api_tokens SET revoked_at = now(), revoked_why = 'disabled'
    WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE NOT active);

-- the session generation in the cookie is replaced by the table
ALTER TABLE users DROP COLUMN session_gen;
