-- Administrative areas, filtered and paged; geometry optionally simplified (tolerance in
-- degrees, preserving topology of each shape) for overview maps.
SELECT code, name, level, parent_code, population, households,
       CASE %(geometry)s
           WHEN 'full' THEN ST_AsGeoJSON(geom, 7)::jsonb
           WHEN 'simplified' THEN ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, 0.0005)), 5)::jsonb
       END AS geometry,
       count(*) OVER () AS total
FROM admin_areas
WHERE (%(levels)s::text[] IS NULL OR level = ANY (%(levels)s::text[]))
  AND (%(parent_code)s::text IS NULL OR parent_code = %(parent_code)s::text)
  AND (%(code)s::text IS NULL OR code = %(code)s::text)
  AND (%(q)s::text IS NULL OR name LIKE '%%' || %(q)s::text || '%%')
ORDER BY code
LIMIT %(limit)s OFFSET %(offset)s
