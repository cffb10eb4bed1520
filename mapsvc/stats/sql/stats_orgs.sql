-- Active party orgs of the district (the committee's subtree, the committee included) by the
-- street or town where they sit, level and category.
SELECT CASE WHEN substr(o.admin_area_code, 7, 3) <> '000'
            THEN left(o.admin_area_code, 9) || '000' END AS street_code,
       o.level, o.category, count(*) AS n
FROM party_orgs o
WHERE o.path <@ %(district_path)s::ltree AND o.status = 'active'
GROUP BY 1, 2, 3
