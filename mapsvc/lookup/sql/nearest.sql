-- The k sites of one kind nearest to a point, exact by geodesic distance on the WGS84
-- ellipsoid, ties broken by id. {source} and {filter_column} come from a fixed table in
-- mapsvc/lookup.py, never from a request.
-- Step 1 reads the k nearest on the sphere from the GiST index (KNN; the point is written
-- inline, not in a CTE, so the planner sees a constant and uses the index). Sphere and
-- ellipsoid distances differ by under half a percent, so every true k-nearest lies within
-- 1.011 times the k-th sphere distance; step 2 ranks that small set exactly.
WITH reach AS (
    SELECT max(sphere_m) * 1.011 + 1.0 AS r
    FROM (
        SELECT s.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS sphere_m
        FROM {source} s
        WHERE (%(filter)s::text IS NULL OR s.{filter_column} = %(filter)s::text)
        ORDER BY s.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography
        LIMIT %(k)s
    ) knn
)
SELECT s.id,
       ST_Distance(s.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, true)
           AS distance_m,
       degrees(ST_Azimuth(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, s.geog))
           AS bearing_deg,
       ST_X(s.geom) AS lon,
       ST_Y(s.geom) AS lat,
       to_jsonb(s) - 'geom' - 'geog' - 'path' AS properties
FROM {source} s, reach
WHERE (%(filter)s::text IS NULL OR s.{filter_column} = %(filter)s::text)
  AND ST_DWithin(s.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, reach.r, false)
  AND (%(max_m)s::float8 IS NULL
       OR ST_DWithin(s.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
                     %(max_m)s::float8, true))
ORDER BY distance_m, s.id
LIMIT %(k)s
