-- Sites that people look for on the map and in lookups, one view per kind. Each view's
-- columns (other than geom and geog) are exactly the properties a lookup exposes, and each is
-- a plain filter on one table so PostgreSQL uses that table's GiST index for KNN ordering.

CREATE VIEW branch_sites AS
SELECT id, code, name, level, category, address, secretary, admin_area_code, parent_id, path,
       geom, geog
FROM party_orgs
WHERE is_branch_level AND status = 'active' AND category <> 'migrant' AND geom IS NOT NULL;

CREATE VIEW migrant_group_sites AS
SELECT id, code, name, level, category, address, secretary, parent_id, path, geom, geog
FROM party_orgs
WHERE category = 'migrant' AND status = 'active' AND geom IS NOT NULL;

CREATE VIEW service_point_sites AS
SELECT id, code, name, level, address, opening_hours, services, phone, floor_area_m2,
       admin_area_code, operating_org_id, geom, geog
FROM service_points;
