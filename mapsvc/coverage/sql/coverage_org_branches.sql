-- Active branch-level orgs (branch, joint branch, temporary branch) with more than
-- %(max_members)s members or fewer than %(min_full)s full members. Migrant groups are left
-- out: mobile members keep their relationship in the outflow org, so these hold none.
SELECT o.code, o.name, o.level, o.category, o.admin_area_code,
       count(m.id) AS members, count(m.id) FILTER (WHERE m.status = 'full') AS full_members,
       ST_X(o.geom) AS lon, ST_Y(o.geom) AS lat
FROM party_orgs o
LEFT JOIN members m ON m.org_id = o.id
WHERE o.is_branch_level AND o.status = 'active' AND o.category <> 'migrant'
GROUP BY o.id
HAVING count(m.id) > %(max_members)s
    OR count(m.id) FILTER (WHERE m.status = 'full') < %(min_full)s
ORDER BY o.code
