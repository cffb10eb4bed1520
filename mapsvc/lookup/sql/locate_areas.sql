-- The administrative areas containing a point, the largest first.
SELECT code, name, level,
       CASE WHEN %(with_geometry)s THEN ST_AsGeoJSON(geom, 7)::jsonb END AS geometry
FROM admin_areas
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
ORDER BY CASE level WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3
                    WHEN 'street' THEN 4 WHEN 'town' THEN 4 ELSE 5 END, code
