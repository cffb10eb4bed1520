-- Party-and-public service centres and stations, with the reach of their service circle.
SELECT s.id, s.code, s.name, s.level, s.address, s.opening_hours, s.services, s.phone,
       s.admin_area_code, (%(reach)s::jsonb ->> s.level)::float8 AS reach_m, s.geom
FROM service_point_sites s
