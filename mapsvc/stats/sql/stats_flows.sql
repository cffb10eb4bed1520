-- Where the district's mobile members went: per street of their org and destination city,
-- the count and the mean of their destination points (the city's place on the map).
-- Destinations inside the district are moves within it, not flows out.
WITH d AS (
    SELECT %(district_path)s::ltree AS path,
           (SELECT geom FROM admin_areas WHERE code = %(district_code)s) AS geom
)
SELECT CASE WHEN substr(o.admin_area_code, 7, 3) <> '000'
            THEN left(o.admin_area_code, 9) || '000' END AS street_code,
       m.mobile_destination AS destination,
       count(*) AS n,
       avg(ST_X(m.destination_geom)) AS lon, avg(ST_Y(m.destination_geom)) AS lat,
       count(m.destination_geom) AS located
FROM members m
CROSS JOIN d
JOIN party_orgs o ON o.id = m.org_id
WHERE m.is_mobile AND o.path <@ d.path
  AND (m.destination_geom IS NULL OR NOT ST_Intersects(d.geom, m.destination_geom))
GROUP BY 1, 2
