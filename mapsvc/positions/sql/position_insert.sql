-- Store a batch of validated position reports (parallel arrays, one element a report, unique
-- report_ids, coordinates already WGS84) in one statement: insert the new ones, skip the
-- report_ids already stored (a resend), then move each member's current position to their
-- latest new report, but only when it is later than the position already held, so reports
-- arriving out of order never move a member back in time. Returns the report_ids inserted.
-- Rows of `latest` come sorted by member so concurrent batches tend to lock members in the
-- same order (positions.store retries the rare deadlock anyway).
WITH input AS (
    SELECT *
    FROM unnest(
        %(report_ids)s::text[],
        %(member_ids)s::bigint[],
        %(lons)s::float8[],
        %(lats)s::float8[],
        %(reported_at)s::timestamptz[],
        %(sources)s::text[],
        %(input_crs)s::text[],
        %(accuracy_m)s::real[]
    ) AS r (report_id, member_id, lon, lat, reported_at, source, input_crs, accuracy_m)
),
inserted AS (
    INSERT INTO member_positions
        (report_id, member_id, geom, reported_at, source, input_crs, accuracy_m)
    SELECT report_id, member_id, ST_SetSRID(ST_MakePoint(lon, lat), 4326), reported_at,
           source, input_crs, accuracy_m
    FROM input
    ON CONFLICT (report_id) DO NOTHING
    RETURNING report_id, member_id, geom, reported_at
),
latest AS (
    SELECT DISTINCT ON (member_id) member_id, geom, reported_at
    FROM inserted
    ORDER BY member_id, reported_at DESC
),
moved AS (
    UPDATE members m
    SET current_geom = l.geom, current_at = l.reported_at
    FROM latest l
    WHERE m.id = l.member_id AND (m.current_at IS NULL OR l.reported_at > m.current_at)
    RETURNING m.id
)
SELECT report_id FROM inserted
