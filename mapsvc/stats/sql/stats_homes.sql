-- Members by where they live, per leaf area (an area with none held below it: communities and
-- villages, or a county whose streets are not loaded yet): all members and full members whose
-- home point lies inside (ST_Contains, as coverage_org_communities counts them). Larger areas
-- are sums of their leaves. Feeds the density layer and organisation coverage's denominator.
SELECT a.code, count(m.id) AS members, count(m.id) FILTER (WHERE m.status = 'full') AS full_members
FROM admin_areas a
LEFT JOIN LATERAL (
    SELECT m.id, m.status FROM members m WHERE ST_Contains(a.geom, m.home_geom)
) m ON true
WHERE NOT EXISTS (SELECT 1 FROM admin_areas c WHERE c.parent_code = a.code)
GROUP BY a.code
ORDER BY a.code
