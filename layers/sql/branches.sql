-- Branch-level orgs with a location (the rows /api/v1/nearest?kind=branch searches), with
-- their member counts from org_member_counts (kept current by triggers, migration 0008).
SELECT b.id, b.code, b.name, b.level, b.category, b.secretary, b.address, b.admin_area_code,
       b.parent_id, coalesce(c.members, 0) AS member_count,
       coalesce(c.full_members, 0) AS full_members,
       coalesce(c.probationary_members, 0) AS probationary_members,
       coalesce(c.mobile_members, 0) AS mobile_members,
       b.geom
FROM branch_sites b
LEFT JOIN org_member_counts c ON c.org_id = b.id
