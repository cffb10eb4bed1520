-- The service points with their level, reach (from %(reach)s, jsonb level → metres) and place.
SELECT s.id, s.code, s.name, s.level, r.value::float8 AS reach_m,
       ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat
FROM service_points s
JOIN jsonb_each_text(%(reach)s::jsonb) r ON r.key = s.level
ORDER BY s.id
