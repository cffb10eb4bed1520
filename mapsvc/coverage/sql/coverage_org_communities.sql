-- Communities and villages where at least %(min_full)s full members live (home point inside
-- the area) and no active party org has the area as its admin_area_code.
SELECT a.code, a.name, a.level, p.members, p.full_members,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat
FROM admin_areas a
CROSS JOIN LATERAL (
    SELECT count(*) AS members, count(*) FILTER (WHERE m.status = 'full') AS full_members
    FROM members m WHERE ST_Contains(a.geom, m.home_geom)
) p
WHERE a.level IN ('community', 'village')
  AND p.full_members >= %(min_full)s
  AND NOT EXISTS (SELECT 1 FROM party_orgs o
                  WHERE o.admin_area_code = a.code AND o.status = 'active')
ORDER BY p.full_members DESC, a.code
