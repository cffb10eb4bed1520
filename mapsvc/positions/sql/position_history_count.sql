-- How many position reports one member has in [since, until) (NULL: open).
SELECT count(*) AS total
FROM member_positions
WHERE member_id = %(member_id)s::bigint
  AND (%(since)s::timestamptz IS NULL OR reported_at >= %(since)s::timestamptz)
  AND (%(until)s::timestamptz IS NULL OR reported_at < %(until)s::timestamptz)
