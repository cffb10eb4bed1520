-- Streets and towns of the district, with a point inside each for labels and flow origins,
-- and their boundary simplified for the screen's map (about 20 m; topology kept per area).
SELECT a.code, a.name, a.level, a.population,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, 0.0002), 5)::json AS geometry
FROM admin_areas a
WHERE a.level IN ('street', 'town') AND a.parent_code = %(district_code)s
ORDER BY a.code
