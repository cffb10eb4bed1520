-- The stored reports with these report_ids, to tell a plain resend from a report_id reused
-- with different content.
SELECT report_id, member_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, reported_at, source,
       input_crs, accuracy_m::float8 AS accuracy_m
FROM member_positions
WHERE report_id = ANY(%(report_ids)s::text[])
