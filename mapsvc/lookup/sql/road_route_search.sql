-- Fallback of road_walk.sql for trips beyond the precomputed reach.
-- Network metres from the origin (pid 1) to every other point, in one round trip. Each point
-- joins the network mid-edge: from there it reaches the edge's two ends, so a trip is the
-- best of origin end → Dijkstra → target end (pgr_dijkstraCost, many to many), or straight
-- along the edge when both points are on the same one. Snap distances are added at both
-- ends; points farther than max_snap_m from every road get no distance. The edges
-- parameter is an SQL text built in mapsvc/lookup.py from numbers only.
WITH snaps AS (
    {snap}
), ends AS (
    SELECT pid, edge_id, source AS vid, fraction * length_m AS along_m, snap_m FROM snaps
    UNION ALL
    SELECT pid, edge_id, target, (1 - fraction) * length_m, snap_m FROM snaps
), origin AS (
    SELECT * FROM ends WHERE pid = 1 AND snap_m <= %(max_snap_m)s
), costs AS (
    SELECT start_vid, end_vid, agg_cost
    FROM pgr_dijkstraCost(%(edges)s,
                          ARRAY(SELECT DISTINCT vid FROM origin),
                          ARRAY(SELECT DISTINCT vid FROM ends WHERE pid <> 1),
                          false)
    WHERE EXISTS (SELECT 1 FROM origin)
), trips AS (
    SELECT t.pid,
           o.snap_m + o.along_m
           + CASE WHEN o.vid = t.vid THEN 0 ELSE c.agg_cost END
           + t.along_m + t.snap_m AS metres
    FROM origin o
    JOIN ends t ON t.pid <> 1 AND t.snap_m <= %(max_snap_m)s
    LEFT JOIN costs c ON c.start_vid = o.vid AND c.end_vid = t.vid
    UNION ALL
    SELECT t.pid, o.snap_m + abs(o.fraction - t.fraction) * o.length_m + t.snap_m
    FROM snaps o JOIN snaps t ON t.pid <> 1 AND t.edge_id = o.edge_id
    WHERE o.pid = 1 AND o.snap_m <= %(max_snap_m)s AND t.snap_m <= %(max_snap_m)s
)
SELECT pid, min(metres) AS network_m FROM trips GROUP BY pid
