-- District, streets and towns, communities and villages; the feature id is the division code.
SELECT a.code AS id, a.code, a.name, a.level, a.parent_code, p.name AS parent_name,
       a.population, a.households, a.geom
FROM admin_areas a
LEFT JOIN admin_areas p ON p.code = a.parent_code
