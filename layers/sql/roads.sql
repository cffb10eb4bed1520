-- The walkable road network.
SELECT r.id, r.name, r.kind, round(r.length_m::numeric, 1)::float8 AS length_m, r.geom
FROM roads r
