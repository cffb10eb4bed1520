-- Network metres from candidate sites (origins) to grid centroids (targets) within each
-- origin's limit_m, for site planning in walking mode; the trip is built as in coverage_walk.
WITH o AS MATERIALIZED (
    {origins}
), t AS MATERIALIZED (
    {targets}
), os AS MATERIALIZED (
    SELECT o.id, o.limit_m, e.* FROM o CROSS JOIN LATERAL road_snap(o.geom) e
), ts AS MATERIALIZED (
    SELECT t.id, e.* FROM t CROSS JOIN LATERAL road_snap(t.geom) e
), oe AS (
    SELECT id, limit_m, source AS vid, snap_m + frac * length_m AS off
    FROM os WHERE snap_m <= %(max_snap_m)s
    UNION ALL
    SELECT id, limit_m, target, snap_m + (1 - frac) * length_m
    FROM os WHERE snap_m <= %(max_snap_m)s
), te AS (
    SELECT id, source AS vid, snap_m + frac * length_m AS off FROM ts WHERE snap_m <= %(max_snap_m)s
    UNION ALL
    SELECT id, target, snap_m + (1 - frac) * length_m FROM ts WHERE snap_m <= %(max_snap_m)s
), pairs AS (
    SELECT oe.id AS oid, te.id AS tid, oe.off + w.metres + te.off AS m, oe.limit_m
    FROM oe
    JOIN road_walks w ON w.from_vid = oe.vid AND w.metres <= oe.limit_m - oe.off
    JOIN te ON te.vid = w.to_vid
    UNION ALL
    SELECT os.id, ts.id, os.snap_m + abs(os.frac - ts.frac) * os.length_m + ts.snap_m, os.limit_m
    FROM os JOIN ts ON ts.edge_id = os.edge_id
    WHERE os.snap_m <= %(max_snap_m)s AND ts.snap_m <= %(max_snap_m)s
)
SELECT oid, tid, min(m) AS m FROM pairs WHERE m <= limit_m GROUP BY oid, tid
