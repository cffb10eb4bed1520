-- Mobile members by the area of their org (origin), the area of their inflow org, the deepest
-- area holding their destination point (NULL: no point, or outside every area held) and the
-- destination's name, with the sum of their destination points (the city's place on the map).
-- Whether a member goes out of or comes into an area follows from these codes by prefix.
WITH RECURSIVE placed (id, area) AS (
    SELECT id, admin_area_code FROM party_orgs WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, coalesce(c.admin_area_code, p.area)
    FROM party_orgs c JOIN placed p ON c.parent_id = p.id
)
SELECT o.area AS origin, i.area AS inflow, d.code AS dest, m.mobile_destination AS destination,
       count(*) AS n,
       coalesce(sum(ST_X(m.destination_geom)), 0) AS sum_lon,
       coalesce(sum(ST_Y(m.destination_geom)), 0) AS sum_lat,
       count(m.destination_geom) AS located
FROM members m
JOIN placed o ON o.id = m.org_id
LEFT JOIN placed i ON i.id = m.inflow_org_id
LEFT JOIN LATERAL (
    SELECT a.code FROM admin_areas a
    WHERE ST_Intersects(a.geom, m.destination_geom)
    ORDER BY CASE a.level WHEN 'province' THEN 1 WHEN 'city' THEN 2 WHEN 'county' THEN 3
                          WHEN 'street' THEN 4 WHEN 'town' THEN 4 ELSE 5 END DESC, a.code
    LIMIT 1
) d ON true
WHERE m.is_mobile
GROUP BY 1, 2, 3, 4
