-- Every grid with its centroid (ST_Centroid of the EPSG:4326 polygon) and population.
SELECT g.id, g.code, g.name, g.community_code, g.population,
       ST_X(c) AS lon, ST_Y(c) AS lat
FROM grids g CROSS JOIN LATERAL ST_Centroid(g.geom) AS c
ORDER BY g.code
