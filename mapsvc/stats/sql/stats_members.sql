-- Members in one pass by the area of their org (placed as in stats_orgs), status, gender and
-- age band. Age is the calendar year minus the birth year.
-- Bands: 0 = up to 35, 1 = 36-45, 2 = 46-55, 3 = 56-65, 4 = 66 and over.
WITH RECURSIVE placed (id, area) AS (
    SELECT id, admin_area_code FROM party_orgs WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, coalesce(c.admin_area_code, p.area)
    FROM party_orgs c JOIN placed p ON c.parent_id = p.id
)
SELECT p.area, m.status, m.gender,
       width_bucket(extract(year FROM current_date)::int - m.birth_year, ARRAY[36, 46, 56, 66])
           AS band,
       count(*) AS n
FROM members m JOIN placed p ON p.id = m.org_id
GROUP BY 1, 2, 3, 4
