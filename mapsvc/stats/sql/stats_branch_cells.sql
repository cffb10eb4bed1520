-- Active branch-level orgs binned into cells of %(cell_deg)s degrees (a few hundred metres)
-- per area they sit in (placed as in stats_orgs): the map shows where branches are without
-- listing them one by one. Sums, so cells of several areas merge.
WITH RECURSIVE placed (id, area) AS (
    SELECT id, admin_area_code FROM party_orgs WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, coalesce(c.admin_area_code, p.area)
    FROM party_orgs c JOIN placed p ON c.parent_id = p.id
)
SELECT p.area, floor(ST_X(o.geom) / %(cell_deg)s)::int AS cx,
       floor(ST_Y(o.geom) / %(cell_deg)s)::int AS cy,
       count(*) AS n, sum(ST_X(o.geom)) AS sum_lon, sum(ST_Y(o.geom)) AS sum_lat
FROM party_orgs o JOIN placed p ON p.id = o.id
WHERE o.status = 'active' AND o.is_branch_level AND o.category <> 'migrant' AND o.geom IS NOT NULL
  AND p.area IS NOT NULL
GROUP BY 1, 2, 3
