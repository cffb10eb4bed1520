-- The bounding box of one layer's features (EPSG:4326).
SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
FROM (SELECT ST_Extent(s.geom) AS e FROM ({source}) s) x
