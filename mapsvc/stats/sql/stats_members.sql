-- Members of the district (their org lies in the district committee's subtree) in one pass,
-- grouped by the street or town where their org sits (from its admin area code; NULL for
-- orgs of the district as a whole), status, gender, age band and whether they are mobile
-- members gone out of the district. Age is the calendar year minus the birth year.
-- Bands: 0 = up to 35, 1 = 36-45, 2 = 46-55, 3 = 56-65, 4 = 66 and over.
WITH d AS (
    SELECT %(district_path)s::ltree AS path,
           (SELECT geom FROM admin_areas WHERE code = %(district_code)s) AS geom
), orgs AS (
    SELECT o.id,
           CASE WHEN substr(o.admin_area_code, 7, 3) <> '000'
                THEN left(o.admin_area_code, 9) || '000' END AS street_code
    FROM party_orgs o, d WHERE o.path <@ d.path
)
SELECT o.street_code, m.status, m.gender,
       width_bucket(extract(year FROM current_date)::int - m.birth_year, ARRAY[36, 46, 56, 66])
           AS band,
       (m.is_mobile AND (m.destination_geom IS NULL
                         OR NOT ST_Intersects((SELECT geom FROM d), m.destination_geom)))
           AS mobile_out,
       count(*) AS n
FROM members m JOIN orgs o ON o.id = m.org_id
GROUP BY 1, 2, 3, 4, 5
