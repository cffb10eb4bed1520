-- Grids with their community, worker, people, members living there and the nearest service
-- point; the counts come from grid_facts, kept current by triggers (migration 0008).
SELECT g.id, g.code, g.name, g.community_code, c.name AS community, g.grid_worker,
       g.population, g.households, coalesce(f.members, 0) AS members,
       f.nearest_service_point_id, round(f.nearest_service_point_m)::integer AS nearest_service_point_m,
       g.geom
FROM grids g
JOIN admin_areas c ON c.code = g.community_code
LEFT JOIN grid_facts f ON f.grid_id = g.id
