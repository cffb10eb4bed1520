-- Which of these member ids exist.
SELECT id FROM members WHERE id = ANY(%(member_ids)s::bigint[])
