-- Network metres from the origin (pid 1) to every other point, from the precomputed
-- vertex-to-vertex walks (road_walks). Each point joins the network mid-edge, so a trip is
-- the best of origin edge end → walk → target edge end, or straight along the edge when both
-- points share it; snap distances are added at both ends. A pair missing from road_walks is
-- farther than the reach: where that could change the answer, needs_route asks the caller
-- to route on the fly (road_route_search.sql).
WITH snaps AS (
    {snap}
), ends AS (
    SELECT pid, edge_id, length_m, source AS vid, fraction * length_m AS along_m, snap_m FROM snaps
    UNION ALL
    SELECT pid, edge_id, length_m, target, (1 - fraction) * length_m, snap_m FROM snaps
), origin AS (
    SELECT * FROM ends WHERE pid = 1 AND snap_m <= %(max_snap_m)s
), trips AS (
    SELECT t.pid,
           CASE WHEN o.vid = t.vid THEN 0 ELSE w.metres END AS walk_m,
           o.snap_m + o.along_m + t.along_m + t.snap_m AS ends_m,
           o.length_m + t.length_m AS slack_m
    FROM origin o
    JOIN ends t ON t.pid <> 1 AND t.snap_m <= %(max_snap_m)s
    LEFT JOIN road_walks w ON w.from_vid = o.vid AND w.to_vid = t.vid
), same_edge AS (
    SELECT t.pid, o.snap_m + abs(o.fraction - t.fraction) * o.length_m + t.snap_m AS metres
    FROM snaps o JOIN snaps t ON t.pid <> 1 AND t.edge_id = o.edge_id
    WHERE o.pid = 1 AND o.snap_m <= %(max_snap_m)s AND t.snap_m <= %(max_snap_m)s
), per_target AS (
    SELECT pid, min(walk_m + ends_m) AS via_walks, bool_and(walk_m IS NOT NULL) AS complete,
           min(walk_m) AS shortest_walk_m, max(slack_m) AS slack_m
    FROM trips GROUP BY pid
)
SELECT p.pid,
       -- exact when every edge-end pair is known, or when the known best is so far inside
       -- the reach that no unknown (longer than the reach) pair could beat it
       CASE WHEN p.complete OR p.shortest_walk_m <= r.reach_m - p.slack_m
            THEN least(p.via_walks, s.metres)
       END AS network_m,
       NOT (p.complete OR coalesce(p.shortest_walk_m <= r.reach_m - p.slack_m, false)) AS needs_route
FROM per_target p
CROSS JOIN road_walks_reach r
LEFT JOIN same_edge s ON s.pid = p.pid
