-- The city view of the map page: the extent of the counties (of every area when no county
-- is loaded).
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
FROM (
    SELECT coalesce((SELECT ST_Extent(geom) FROM admin_areas WHERE level = 'county'),
                    (SELECT ST_Extent(geom) FROM admin_areas))::geometry AS e
) x
