-- The map page's first view: the extent of the territory held, the top-most areas (those
-- whose parent is not held: a province, a city or a county).
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM (
    SELECT ST_Extent(a.geom)::geometry AS e
    FROM admin_areas a
    WHERE a.geom IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM admin_areas p WHERE p.code = a.parent_code)
) x
