-- Every area held, with a point inside it (labels, flow origins), its bounds and size, whether
-- it is a leaf (no area held below it), and its boundary simplified for the screen's map
-- (about 20 m; topology kept per area).
SELECT a.code, a.name, a.level, a.parent_code, a.population,
       ST_X(ST_PointOnSurface(a.geom)) AS lon, ST_Y(ST_PointOnSurface(a.geom)) AS lat,
       ST_XMin(a.geom) AS xmin, ST_YMin(a.geom) AS ymin,
       ST_XMax(a.geom) AS xmax, ST_YMax(a.geom) AS ymax,
       ST_Area(a.geom::geography) / 1e6 AS area_km2,
       NOT EXISTS (SELECT 1 FROM admin_areas c WHERE c.parent_code = a.code) AS leaf,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, 0.0002), 5)::json AS geometry
FROM admin_areas a
ORDER BY a.code
