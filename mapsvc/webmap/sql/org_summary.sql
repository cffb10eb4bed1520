-- One org's record for the map's side panel: the org, the chain of its parent orgs (root
-- first), and its members counted over its whole subtree (members sit in branch-level orgs):
-- by status, mobile members going out (the subtree keeps their relationship) and coming in
-- (an org of the subtree helps manage them).
SELECT o.id, o.code, o.name, o.level, o.category, o.status, o.secretary, o.address,
       o.admin_area_code, a.name AS admin_area_name, o.founded_on,
       ST_X(o.geom) AS lon, ST_Y(o.geom) AS lat,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'code', p.code, 'name', p.name,
                                                      'level', p.level)
                                   ORDER BY nlevel(p.path))
                 FROM party_orgs p
                 WHERE p.path @> o.path AND p.id <> o.id), '[]'::jsonb) AS parents,
       (SELECT count(*) FROM party_orgs c WHERE c.parent_id = o.id AND c.status = 'active')
           AS child_orgs,
       counts.members, counts.full_members, counts.probationary_members, counts.mobile_out,
       (SELECT count(*) FROM members m JOIN party_orgs i ON i.id = m.inflow_org_id
        WHERE m.is_mobile AND i.path <@ o.path) AS mobile_in
FROM party_orgs o
LEFT JOIN admin_areas a ON a.code = o.admin_area_code
CROSS JOIN LATERAL (
    -- org_member_counts holds each branch-level org's counts (kept by triggers)
    SELECT coalesce(sum(c.members), 0)::bigint AS members,
           coalesce(sum(c.full_members), 0)::bigint AS full_members,
           coalesce(sum(c.probationary_members), 0)::bigint AS probationary_members,
           coalesce(sum(c.mobile_members), 0)::bigint AS mobile_out
    FROM org_member_counts c JOIN party_orgs b ON b.id = c.org_id
    WHERE b.path <@ o.path
) counts
WHERE o.id = %(id)s
