-- Everything a person may search for by name, with a point to go to.
SELECT 'admin_area' AS kind, NULL::bigint AS id, code, name, level,
       NULL::text AS detail, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
FROM admin_areas
UNION ALL
SELECT 'grid', g.id, g.code, g.name, NULL, a.name, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
FROM grids g JOIN admin_areas a ON a.code = g.community_code
UNION ALL
SELECT 'org', id, code, name, level, address, ST_X(geom), ST_Y(geom)
FROM party_orgs
WHERE status = 'active' AND geom IS NOT NULL
UNION ALL
SELECT 'service_point', id, code, name, level, address, ST_X(geom), ST_Y(geom)
FROM service_points
