-- The data version of the screen's figures: changes with every committed change to the
-- records they count (stats_changes, filled by triggers; migration 0009).
SELECT count(*) AS n, coalesce(sum(xid), 0)::text AS s FROM stats_changes
