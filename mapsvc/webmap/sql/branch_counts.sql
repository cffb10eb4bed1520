-- Branches (the rows of the branches layer and of /api/v1/nearest?kind=branch) and their
-- members (org_member_counts, kept by triggers) summed per area of the levels asked for
-- (%(levels)s: city, county, or street and town): the map's branches layer at low zooms. The point of each area is a point on its surface, so a bubble never
-- falls outside its area.
SELECT a.code, a.name, a.level,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat,
       count(b.id) AS branches,
       coalesce(sum(c.members), 0)::bigint AS members
FROM admin_areas a
LEFT JOIN branch_sites b ON ST_Intersects(a.geom, b.geom)
LEFT JOIN org_member_counts c ON c.org_id = b.id
WHERE a.level = ANY(%(levels)s::text[])
GROUP BY a.code, a.name, a.level, a.geom
ORDER BY a.code
