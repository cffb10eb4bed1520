-- Where a point joins the road network: its nearest edge, the fraction along it, and the
-- geodesic metres from the point to the edge. One definition for every walking query
-- (lookups, coverage, isochrones); a plain SQL function, so the planner inlines it.
CREATE FUNCTION road_snap(g geometry)
RETURNS TABLE (edge_id bigint, source bigint, target bigint, length_m double precision,
               frac double precision, snap_m double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.id, r.source, r.target, r.length_m, ST_LineLocatePoint(r.geom, g),
           ST_Distance(ST_ClosestPoint(r.geom, g)::geography, g::geography)
    FROM roads r
    ORDER BY r.geom <-> g
    LIMIT 1
$$;
