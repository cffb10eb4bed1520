-- Where mobile members went: one line per (origin org, migrant group) pair with how many
-- members hold their relationship at the origin and are managed by the group.
SELECT o.id::text || '-' || d.id::text AS id, o.id AS origin_id, o.name AS origin_name,
       d.id AS group_id, d.name AS group_name, count(*)::integer AS members,
       ST_MakeLine(o.geom, d.geom) AS geom
FROM members m
JOIN party_orgs o ON o.id = m.outflow_org_id
JOIN party_orgs d ON d.id = m.inflow_org_id
WHERE m.is_mobile AND d.category = 'migrant' AND o.geom IS NOT NULL AND d.geom IS NOT NULL
GROUP BY o.id, d.id
