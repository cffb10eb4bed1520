-- Where mobile members going out (destination outside the territory the database holds: its
-- top-most areas, those without a held parent) cluster without a
-- migrant group: ST_ClusterDBSCAN with eps = %(distance_m)s metres and minpoints =
-- %(min_members)s. Metres are honoured in two steps: a coarse clustering in degrees whose
-- eps can only be larger than d metres anywhere below 60° latitude (so true clusters are
-- never split), then DBSCAN in metres within each coarse group, in the UTM zone of its centre.
-- A cluster is suggested when no active migrant group lies within distance_m of its centroid.
WITH home AS (
    SELECT ST_Union(a.geom) AS geom FROM admin_areas a
    WHERE NOT EXISTS (SELECT 1 FROM admin_areas p WHERE p.code = a.parent_code)
), mob AS (
    SELECT m.id, m.status, m.mobile_destination, m.destination_geom AS geom
    FROM members m
    WHERE m.is_mobile AND m.destination_geom IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM home h WHERE ST_Intersects(h.geom, m.destination_geom))
), coarse AS (
    SELECT mob.*,
           ST_ClusterDBSCAN(geom, eps := %(distance_m)s / (111320.0 * 0.5), minpoints := 1)
               OVER () AS cc
    FROM mob
), zoned AS (
    SELECT c.*,
           ST_Transform(c.geom, 32600 + least(60, floor((avg(ST_X(c.geom)) OVER (PARTITION BY c.cc)
                                                      + 180) / 6)::int + 1)) AS pm
    FROM coarse c
), fine AS (
    SELECT z.*,
           ST_ClusterDBSCAN(z.pm, eps := %(distance_m)s, minpoints := %(min_members)s)
               OVER (PARTITION BY z.cc) AS fc
    FROM zoned z
), clusters AS (
    SELECT cc, fc, count(*) AS members, count(*) FILTER (WHERE status = 'full') AS full_members,
           array_agg(DISTINCT mobile_destination ORDER BY mobile_destination) AS destinations,
           ST_Centroid(ST_Collect(geom)) AS centre
    FROM fine WHERE fc IS NOT NULL
    GROUP BY cc, fc
    HAVING count(*) >= %(min_members)s
)
SELECT c.members, c.full_members, c.destinations,
       ST_X(c.centre) AS lon, ST_Y(c.centre) AS lat,
       g.id AS nearest_group_id, g.name AS nearest_group_name, g.d AS nearest_group_m
FROM clusters c
LEFT JOIN LATERAL (
    SELECT k.id, k.name, k.d FROM (
        SELECT s.id, s.name, ST_Distance(s.geog, c.centre::geography) AS d
        FROM migrant_group_sites s ORDER BY s.geog <-> c.centre::geography LIMIT 4) k
    ORDER BY k.d LIMIT 1
) g ON true
WHERE g.id IS NULL OR g.d > %(distance_m)s
ORDER BY c.members DESC, lon
