-- What happened to a member's relationship over time: transfers (组织关系转接), going
-- mobile and coming back. Append-only: rows are never updated.
CREATE TABLE member_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id    bigint NOT NULL CONSTRAINT member_event_member_exists
                 REFERENCES members (id) ON DELETE CASCADE,
    kind         text NOT NULL CONSTRAINT member_event_kind
                 CHECK (kind IN ('transferred', 'went_mobile', 'returned')),
    happened_on  date NOT NULL,
    from_org_id  bigint REFERENCES party_orgs (id),
    to_org_id    bigint REFERENCES party_orgs (id),
    details      jsonb NOT NULL DEFAULT '{}',
    note         text,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_events_member_idx ON member_events (member_id, recorded_at);

CREATE FUNCTION member_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'member_events_append_only',
        MESSAGE = '党员变动记录只能追加，不能修改或删除 / member history is append-only';
END
$$;
CREATE TRIGGER member_events_append_only BEFORE UPDATE ON member_events
    FOR EACH ROW EXECUTE FUNCTION member_events_append_only();
