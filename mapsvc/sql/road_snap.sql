-- Where each point joins the road network: its nearest road edge, the fraction along that
-- edge, and the geodesic metres from the point to the edge.
SELECT u.pid, e.id AS edge_id, e.source, e.target, e.length_m,
       ST_LineLocatePoint(e.geom, u.g) AS fraction,
       ST_Distance(ST_ClosestPoint(e.geom, u.g)::geography, u.g::geography) AS snap_m
FROM (SELECT pid, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g
      FROM unnest(%(pids)s::bigint[], %(lons)s::float8[], %(lats)s::float8[]) AS t(pid, lon, lat)) u
CROSS JOIN LATERAL (
    SELECT id, source, target, length_m, geom FROM roads ORDER BY geom <-> u.g LIMIT 1
) e
