-- One member's position reports, newest first, in [since, until) when given (NULL: open).
SELECT report_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, reported_at, received_at, source,
       round(accuracy_m::numeric, 2)::float8 AS accuracy_m, input_crs
FROM member_positions
WHERE member_id = %(member_id)s::bigint
  AND (%(since)s::timestamptz IS NULL OR reported_at >= %(since)s::timestamptz)
  AND (%(until)s::timestamptz IS NULL OR reported_at < %(until)s::timestamptz)
ORDER BY reported_at DESC, id DESC
LIMIT %(limit)s::integer OFFSET %(offset)s::bigint
