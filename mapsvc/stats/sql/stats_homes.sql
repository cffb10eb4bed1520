-- Members by where they live: per community or village of the district (home point inside
-- its boundary, counted as coverage_org_communities counts them), all members and full
-- members, and the boundary simplified for the map (about 20 m). Feeds the density layer
-- and the denominator of organisation coverage (places where 3 or more full members live).
SELECT a.code, a.name, a.level,
       ST_Area(a.geom::geography) / 1e6 AS area_km2,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, 0.0002), 5)::json AS geometry,
       count(m.id) AS members,
       count(m.id) FILTER (WHERE m.status = 'full') AS full_members
FROM admin_areas a
LEFT JOIN LATERAL (
    SELECT m.id, m.status FROM members m WHERE ST_Contains(a.geom, m.home_geom)
) m ON true
WHERE a.level IN ('community', 'village') AND left(a.code, 6) = left(%(district_code)s, 6)
GROUP BY a.code
ORDER BY a.code
