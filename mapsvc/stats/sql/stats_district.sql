-- The district the screen shows: its area (code, name, a point inside it, bounds) and its
-- party committee, the shallowest active org whose area is the district; members of the
-- district are the members of that committee's subtree.
SELECT a.code, a.name,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat,
       ST_XMin(a.geom) AS xmin, ST_YMin(a.geom) AS ymin,
       ST_XMax(a.geom) AS xmax, ST_YMax(a.geom) AS ymax,
       o.id AS org_id, o.name AS org_name, o.path::text AS org_path
FROM admin_areas a
LEFT JOIN LATERAL (
    SELECT id, name, path FROM party_orgs
    WHERE admin_area_code = a.code AND status = 'active'
    ORDER BY nlevel(path), id LIMIT 1
) o ON true
WHERE a.level = 'district'
ORDER BY a.code
LIMIT 1
