-- Polygons of the units of a coverage analysis, as GeoJSON (grids or administrative areas).
SELECT code, ST_AsGeoJSON(geom, 6)::json AS geometry FROM grids WHERE %(by)s = 'grid'
UNION ALL
SELECT code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00005), 6)::json
FROM admin_areas
WHERE (%(by)s = 'community' AND level IN ('community', 'village'))
   OR (%(by)s = 'street' AND level IN ('street', 'town'))
