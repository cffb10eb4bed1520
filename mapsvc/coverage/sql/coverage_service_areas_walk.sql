-- Walking isochrones (layer service_areas): for each origin, the road vertices reachable
-- within its limit_m (snap + along the edge + road_walks), wrapped in a concave hull with
-- the origin itself. Origins farther than %(max_snap_m)s from every road get no area.
WITH o AS MATERIALIZED (
    {origins}
), os AS MATERIALIZED (
    SELECT o.id, o.geom, o.limit_m, e.* FROM o CROSS JOIN LATERAL road_snap(o.geom) e
), oe AS (
    SELECT id, limit_m, source AS vid, snap_m + frac * length_m AS off
    FROM os WHERE snap_m <= %(max_snap_m)s
    UNION ALL
    SELECT id, limit_m, target, snap_m + (1 - frac) * length_m
    FROM os WHERE snap_m <= %(max_snap_m)s
), pts AS (
    SELECT oe.id, v.geom
    FROM oe
    JOIN road_walks w ON w.from_vid = oe.vid AND w.metres <= oe.limit_m - oe.off
    JOIN road_vertices v ON v.id = w.to_vid
    UNION ALL
    SELECT id, geom FROM os WHERE snap_m <= %(max_snap_m)s
)
SELECT p.id, o.limit_m, count(*) AS vertices,
       ST_AsGeoJSON(
           CASE WHEN count(*) >= 3
                THEN ST_ConcaveHull(ST_Collect(p.geom), 0.3)
                ELSE ST_Buffer(ST_Collect(p.geom)::geography, 30)::geometry
           END, 6)::json AS geometry
FROM pts p JOIN o ON o.id = p.id
GROUP BY p.id, o.limit_m
ORDER BY p.id
