-- Mobile members one by one, only those the caller may see ({member_filter} is
-- access.member_filter on alias m): where they are now, else their destination.
SELECT m.id, m.name, o.name AS org_name, m.mobile_destination, m.mobile_since::text AS mobile_since,
       i.name AS inflow_org_name, to_char(m.current_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS position_at,
       coalesce(m.current_geom, m.destination_geom) AS geom
FROM members m
JOIN party_orgs o ON o.id = m.org_id
LEFT JOIN party_orgs i ON i.id = m.inflow_org_id
WHERE m.is_mobile AND coalesce(m.current_geom, m.destination_geom) IS NOT NULL AND {member_filter}
