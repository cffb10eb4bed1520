-- Service points, each in an area: the deepest area holding the point when that lies within
-- its admin_area_code (a county centre sits in some street), else its admin_area_code.
SELECT s.id, s.name, s.level, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       CASE WHEN s.admin_area_code IS NULL OR left(d.code, k.n) = left(s.admin_area_code, k.n)
            THEN coalesce(d.code, s.admin_area_code)
            ELSE s.admin_area_code END AS area
FROM service_points s
-- the digits that name the area of the code (trailing zero groups cut)
CROSS JOIN LATERAL (SELECT CASE WHEN substr(s.admin_area_code, 3) = '0000000000' THEN 2
                                WHEN substr(s.admin_area_code, 5) = '00000000' THEN 4
                                WHEN substr(s.admin_area_code, 7) = '000000' THEN 6
                                WHEN substr(s.admin_area_code, 10) = '000' THEN 9
                                ELSE 12 END AS n) k
LEFT JOIN LATERAL (
    SELECT a.code FROM admin_areas a
    WHERE ST_Intersects(a.geom, s.geom)
    ORDER BY CASE a.level WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3
                          WHEN 'street' THEN 4 WHEN 'town' THEN 4 ELSE 5 END DESC, a.code
    LIMIT 1
) d ON true
ORDER BY s.id
