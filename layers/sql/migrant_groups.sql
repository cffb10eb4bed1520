-- Migrant party branches at destination cities, with the mobile members they help manage.
SELECT g.id, g.code, g.name, g.level, g.secretary, g.address,
       (SELECT count(*) FROM members m WHERE m.inflow_org_id = g.id AND m.is_mobile)::integer
           AS mobile_members,
       g.geom
FROM migrant_group_sites g
