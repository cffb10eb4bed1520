-- Service points in the district, each with its street or town (from its admin area code,
-- else the street or town whose boundary holds it), for counts and the screen's map.
SELECT s.id, s.name, s.level, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       coalesce(
           CASE WHEN substr(s.admin_area_code, 7, 3) <> '000'
                THEN left(s.admin_area_code, 9) || '000' END,
           (SELECT a.code FROM admin_areas a
            WHERE a.level IN ('street', 'town') AND a.parent_code = %(district_code)s
              AND ST_Intersects(a.geom, s.geom)
            ORDER BY a.code LIMIT 1)) AS street_code
FROM service_points s
WHERE s.admin_area_code LIKE left(%(district_code)s, 6) || '%%'
   OR ST_Intersects((SELECT geom FROM admin_areas WHERE code = %(district_code)s), s.geom)
ORDER BY s.id
