-- The grid containing a point (the lowest code on a shared edge), with the branch that
-- answers for it: the grid party group's branch, else its community's first branch.
SELECT g.id, g.code, g.name, g.grid_worker, g.grid_worker_phone, g.population, g.households,
       g.party_group, g.community_code,
       CASE WHEN %(with_geometry)s THEN ST_AsGeoJSON(g.geom, 7)::jsonb END AS geometry,
       b.id AS branch_id
FROM grids g
LEFT JOIN LATERAL (
    SELECT s.id FROM branch_sites s
    WHERE s.id = g.party_group_branch_id
       OR (g.party_group_branch_id IS NULL AND s.admin_area_code = g.community_code)
    ORDER BY s.id = g.party_group_branch_id DESC, s.code
    LIMIT 1
) b ON true
WHERE ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
ORDER BY g.code
LIMIT 1
