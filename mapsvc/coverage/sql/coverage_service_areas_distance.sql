-- Service circles (layer service_areas) in distance mode: a geodesic buffer of each
-- service point's reach, from %(reach)s (jsonb level → metres).
SELECT s.id, r.value::float8 AS limit_m,
       ST_AsGeoJSON(ST_Buffer(s.geog, r.value::float8, 'quad_segs=16')::geometry, 6)::json AS geometry
FROM service_points s
JOIN jsonb_each_text(%(reach)s::jsonb) r ON r.key = s.level
ORDER BY s.id
