-- Mobile members coming in: their relationship stays with an org outside the district, and
-- an org of the district helps manage them (inflow org) or their destination lies inside
-- the district. Grouped by the street of the inflow org (NULL when there is none).
WITH d AS (
    SELECT %(district_path)s::ltree AS path,
           (SELECT geom FROM admin_areas WHERE code = %(district_code)s) AS geom
)
SELECT CASE WHEN substr(io.admin_area_code, 7, 3) <> '000'
            THEN left(io.admin_area_code, 9) || '000' END AS street_code,
       count(*) AS n
FROM members m
CROSS JOIN d
JOIN party_orgs o ON o.id = m.org_id
LEFT JOIN party_orgs io ON io.id = m.inflow_org_id
WHERE m.is_mobile
  AND NOT o.path <@ d.path
  AND (io.path <@ d.path OR ST_Intersects(d.geom, m.destination_geom))
GROUP BY 1
