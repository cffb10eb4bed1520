-- Imports run as jobs: the API stores the upload, adds a row here and answers 202; a worker
-- thread of any process claims queued rows (FOR UPDATE SKIP LOCKED), runs the import and
-- keeps heartbeat and progress up to date; the report (bounded: the first problems of each
-- kind, the rest counted) lands in report when the job ends.
CREATE TABLE import_jobs (
    id               bigserial PRIMARY KEY,
    user_id          integer,
    user_name        text NOT NULL,
    principal        jsonb NOT NULL DEFAULT '{}',   -- role and scope the job runs with
    remote_addr      text,
    kind             text NOT NULL,
    options          jsonb NOT NULL DEFAULT '{}',   -- crs, dry_run, partial
    file_name        text NOT NULL,
    file_path        text,                          -- the stored upload; NULL once deleted
    size_bytes       bigint NOT NULL DEFAULT 0,
    status           text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'rejected', 'failed', 'cancelled')),
    progress         jsonb NOT NULL DEFAULT '{}',   -- phase, read, checked, written, total
    report           jsonb,
    error            jsonb,                         -- code, message, message_en of a failure
    cancel_requested boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    heartbeat_at     timestamptz
);

-- one queued or running job per account: a second upload is refused (409), even when two
-- requests race in different processes
CREATE UNIQUE INDEX import_jobs_one_active ON import_jobs (user_name)
    WHERE status IN ('queued', 'running');
CREATE INDEX import_jobs_queue ON import_jobs (id) WHERE status = 'queued';
CREATE INDEX import_jobs_by_user ON import_jobs (user_name, id DESC);
