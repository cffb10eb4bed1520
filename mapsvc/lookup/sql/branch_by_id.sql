-- One branch site by id, with its location.
SELECT id, code, name, level, category, secretary, address,
       ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM branch_sites
WHERE id = %(id)s
