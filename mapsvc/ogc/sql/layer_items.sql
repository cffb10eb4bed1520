-- A page of one layer's features as a GeoJSON array (text, spliced into the response as is).
-- {source} is the layer's SELECT (layers/sql/<id>.sql); {properties} and {where} are built
-- by mapsvc.features from the layer's declared names, never from a request's text.
SELECT coalesce(json_agg(f.feature ORDER BY f.id), '[]')::text AS features, count(*) AS returned
FROM (
    SELECT s.id,
           json_build_object('type', 'Feature', 'id', s.id,
                             'geometry', ST_AsGeoJSON(s.geom, 7)::json,
                             'properties', json_build_object({properties})) AS feature
    FROM ({source}) s
    WHERE {where}
    ORDER BY s.id
    LIMIT %(limit)s OFFSET %(offset)s
) f
