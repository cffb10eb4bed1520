-- Walking coverage: network metres along roads from origins (service points or candidate
-- sites: id, geom, limit_m) to targets (grid centroids or members' homes: id, grid_id, geom).
-- Each point joins the network at the nearest point of its nearest edge (at most
-- %(max_snap_m)s away, else it cannot walk); a trip is snap + along the edge to an end vertex
-- + the precomputed vertex-to-vertex walk (road_walks, pgr_drivingDistance up to its reach)
-- + along the target's edge + snap, or straight along the edge when both share one.
-- Per target: covered when some origin reaches it within that origin's limit_m; the nearest
-- origin by network metres (only walks inside the road_walks reach are known).
WITH o AS MATERIALIZED (
    {origins}
), t AS MATERIALIZED (
    {targets}
), os AS MATERIALIZED (
    SELECT o.id, o.limit_m, e.* FROM o CROSS JOIN LATERAL road_snap(o.geom) e
), ts AS MATERIALIZED (
    SELECT t.id, e.* FROM t CROSS JOIN LATERAL road_snap(t.geom) e
), oe AS (
    SELECT id, source AS vid, snap_m + frac * length_m AS off FROM os WHERE snap_m <= %(max_snap_m)s
    UNION ALL
    SELECT id, target, snap_m + (1 - frac) * length_m FROM os WHERE snap_m <= %(max_snap_m)s
), te AS (
    SELECT id, source AS vid, snap_m + frac * length_m AS off FROM ts WHERE snap_m <= %(max_snap_m)s
    UNION ALL
    SELECT id, target, snap_m + (1 - frac) * length_m FROM ts WHERE snap_m <= %(max_snap_m)s
), reached AS (
    -- every vertex each origin reaches within the horizon (road_walks holds v → v as 0)
    SELECT oe.id AS oid, w.to_vid AS vid, min(oe.off + w.metres) AS m
    FROM oe JOIN road_walks w ON w.from_vid = oe.vid
    WHERE oe.off + w.metres <= %(horizon_m)s
    GROUP BY oe.id, w.to_vid
), pairs AS (
    SELECT r.oid, te.id AS tid, r.m + te.off AS m
    FROM reached r JOIN te ON te.vid = r.vid
    UNION ALL
    SELECT os.id, ts.id, os.snap_m + abs(os.frac - ts.frac) * os.length_m + ts.snap_m
    FROM os JOIN ts ON ts.edge_id = os.edge_id
    WHERE os.snap_m <= %(max_snap_m)s AND ts.snap_m <= %(max_snap_m)s
), best AS (
    SELECT DISTINCT ON (p.tid) p.tid, p.oid, p.m FROM pairs p ORDER BY p.tid, p.m, p.oid
), hit AS (
    SELECT DISTINCT p.tid FROM pairs p JOIN o ON o.id = p.oid WHERE p.m <= o.limit_m
)
SELECT t.id, t.grid_id, (h.tid IS NOT NULL) AS covered, b.oid AS nearest_id, b.m AS nearest_m
FROM t
LEFT JOIN best b ON b.tid = t.id
LEFT JOIN hit h ON h.tid = t.id
