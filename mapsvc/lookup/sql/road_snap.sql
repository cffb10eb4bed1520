-- Where each point joins the road network (road_snap(), migration 0006), for a list of points.
SELECT u.pid, e.edge_id, e.source, e.target, e.length_m, e.frac AS fraction, e.snap_m
FROM (SELECT pid, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g
      FROM unnest(%(pids)s::bigint[], %(lons)s::float8[], %(lats)s::float8[]) AS t(pid, lon, lat)) u
CROSS JOIN LATERAL road_snap(u.g) e
