-- Active branch-level orgs of the district binned into cells of %(cell_deg)s degrees (a few
-- hundred metres): the map shows where branches are without listing them one by one.
SELECT count(*) AS n, avg(ST_X(o.geom)) AS lon, avg(ST_Y(o.geom)) AS lat
FROM party_orgs o
WHERE o.path <@ %(district_path)s::ltree AND o.status = 'active' AND o.is_branch_level
  AND o.category <> 'migrant' AND o.geom IS NOT NULL
GROUP BY floor(ST_X(o.geom) / %(cell_deg)s), floor(ST_Y(o.geom) / %(cell_deg)s)
