-- Grids where at least %(min_full)s full members live (home point inside the grid) and no
-- grid party group is organised (party_group_branch_id is null).
SELECT g.code, g.name, g.community_code, p.members, p.full_members,
       ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
FROM grids g
CROSS JOIN LATERAL (
    SELECT count(*) AS members, count(*) FILTER (WHERE m.status = 'full') AS full_members
    FROM members m WHERE ST_Contains(g.geom, m.home_geom)
) p
WHERE g.party_group_branch_id IS NULL AND p.full_members >= %(min_full)s
ORDER BY p.full_members DESC, g.code
