-- The city view of the map page: the extent of the districts (of every area when no district
-- is loaded).
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM (
    SELECT coalesce((SELECT ST_Extent(geom) FROM admin_areas WHERE level = 'district'),
                    (SELECT ST_Extent(geom) FROM admin_areas))::geometry AS e
) x
