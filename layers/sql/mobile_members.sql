-- Mobile members counted in hexagons (%(hex_m)s metres across in Web Mercator) where they
-- are now (their last position, else their destination). Cells with fewer than
-- %(min_count)s members are left out, so no cell points at a person. The id is "i:j".
SELECT h.i::text || ':' || h.j::text AS id, count(*)::integer AS members,
       ST_Transform(h.geom, 4326) AS geom
FROM members m
CROSS JOIN LATERAL (
    SELECT c.i, c.j, c.geom
    FROM ST_HexagonGrid(%(hex_m)s, ST_Transform(coalesce(m.current_geom, m.destination_geom), 3857)) c
    WHERE ST_Intersects(c.geom, ST_Transform(coalesce(m.current_geom, m.destination_geom), 3857))
    ORDER BY c.i, c.j
    LIMIT 1
) h
WHERE m.is_mobile AND coalesce(m.current_geom, m.destination_geom) IS NOT NULL
GROUP BY h.i, h.j, h.geom
HAVING count(*) >= %(min_count)s
