-- Coverage of every grid by service points in distance mode (geodesic metres on WGS84).
-- A grid is covered when its centroid (ST_Centroid of the EPSG:4326 polygon) lies within the
-- reach of some service point; reach comes per level from %(reach)s (jsonb level → metres).
-- Members count in the grid their home point lies inside (ST_Contains) and are covered when
-- their home point is within the reach of some service point. To test few members, each grid
-- first finds the service points whose reach touches it: when one of them reaches every
-- vertex of the grid (so the whole grid, 1 cm to spare), all its members are covered.
WITH reach AS (
    SELECT key AS level, value::float8 AS reach_m FROM jsonb_each_text(%(reach)s::jsonb)
), fac AS MATERIALIZED (
    SELECT s.id, s.geom, s.geog, r.reach_m,
           -- a planar box sure to hold the reach: degrees per metre at this latitude, +5 %%
           1.05 * r.reach_m / (111320.0 * cos(radians(ST_Y(s.geom)))) AS dx,
           1.05 * r.reach_m / 110540.0 AS dy
    FROM service_points s JOIN reach r ON r.level = s.level
), touch AS MATERIALIZED (
    SELECT g.id AS grid_id, f.id AS fid, f.geog, f.reach_m,
           (SELECT max(ST_Distance(f.geog, (dp).geom::geography))
              FROM ST_DumpPoints(g.geom) dp) <= f.reach_m - 0.01 AS whole
    FROM fac f
    JOIN grids g ON g.geom && ST_Expand(f.geom, f.dx, f.dy)
    WHERE ST_DWithin(f.geog, g.geom::geography, f.reach_m)
), cells AS MATERIALIZED (
    SELECT g.id, g.code, g.name, g.community_code, g.population,
           ST_Centroid(g.geom)::geography AS c,
           coalesce(bool_or(t.whole), false) AS whole,
           array_remove(array_agg(t.geog), NULL) AS sites,
           array_remove(array_agg(t.reach_m), NULL) AS reaches
    FROM grids g LEFT JOIN touch t ON t.grid_id = g.id
    GROUP BY g.id
), people AS (
    -- grid by grid, so each polygon is prepared once and members come from their GiST index
    SELECT c.id, p.members, p.covered_members
    FROM cells c
    JOIN grids g ON g.id = c.id
    CROSS JOIN LATERAL (
        SELECT count(*) AS members,
               count(*) FILTER (
                   WHERE c.whole OR (cardinality(c.sites) > 0 AND EXISTS (
                       SELECT 1 FROM unnest(c.sites, c.reaches) AS t(geog, reach_m)
                       WHERE ST_DWithin(t.geog, m.home_geog, t.reach_m)))
               ) AS covered_members
        FROM members m WHERE ST_Contains(g.geom, m.home_geom)
    ) p
)
SELECT c.id, c.code, c.name, c.community_code, c.population,
       coalesce(p.members, 0) AS members,
       EXISTS (SELECT 1 FROM unnest(c.sites, c.reaches) AS t(geog, reach_m)
               WHERE ST_DWithin(t.geog, c.c, t.reach_m)) AS covered,
       coalesce(p.covered_members, 0) AS covered_members,
       n.fid AS nearest_facility_id, n.d AS nearest_m
FROM cells c
LEFT JOIN people p ON p.id = c.id
LEFT JOIN LATERAL (
    -- KNN orders on the sphere; the few nearest are then compared on the spheroid
    SELECT k.fid, k.d FROM (
        SELECT s.id AS fid, ST_Distance(s.geog, c.c) AS d
        FROM service_points s ORDER BY s.geog <-> c.c LIMIT 4) k
    ORDER BY k.d, k.fid LIMIT 1
) n ON true
ORDER BY c.code
