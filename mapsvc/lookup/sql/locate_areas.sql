-- The administrative areas containing a point, district first.
SELECT code, name, level,
       CASE WHEN %(with_geometry)s THEN ST_AsGeoJSON(geom, 7)::jsonb END AS geometry
FROM admin_areas
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
ORDER BY CASE level WHEN 'district' THEN 1 WHEN 'street' THEN 2 WHEN 'town' THEN 2 ELSE 3 END, code
