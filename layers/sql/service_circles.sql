-- Each service point's circle: a geodesic buffer of its level's reach (mapsvc/coverage.py).
SELECT s.id, s.code, s.name, s.level, r.value::float8 AS reach_m,
       ST_Buffer(s.geog, r.value::float8, 'quad_segs=16')::geometry AS geom
FROM service_points s
JOIN jsonb_each_text(%(reach)s::jsonb) r ON r.key = s.level
