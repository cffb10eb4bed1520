-- Walking distances between road vertices up to a reach, precomputed with pgRouting
-- (pgr_drivingDistance from every vertex), so a lookup of a short walk is an index probe
-- instead of a route search per request. Pairs farther apart than the reach are absent:
-- callers route those on the fly. Rebuild with refresh_road_walks() whenever roads change.

CREATE TABLE road_walks (
    from_vid bigint NOT NULL,
    to_vid   bigint NOT NULL,
    metres   double precision NOT NULL,
    PRIMARY KEY (from_vid, to_vid)
);

CREATE TABLE road_walks_reach (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    reach_m  double precision NOT NULL CHECK (reach_m > 0),
    built_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION refresh_road_walks(reach_m double precision DEFAULT 2000)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    TRUNCATE road_walks;
    IF EXISTS (SELECT 1 FROM roads) THEN
        INSERT INTO road_walks (from_vid, to_vid, metres)
        SELECT from_v, node, agg_cost
        FROM pgr_drivingDistance(
            'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads',
            ARRAY(SELECT DISTINCT source FROM roads UNION SELECT DISTINCT target FROM roads),
            reach_m, false, false);
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO road_walks_reach (reach_m, built_at) VALUES (reach_m, now())
    ON CONFLICT (only_row) DO UPDATE SET reach_m = EXCLUDED.reach_m, built_at = EXCLUDED.built_at;
    RETURN n;
END
$$;
