"""The generated demo territory (small: 榆阳区 and 横山区 with streets or towns, 佳县 without)
is consistent: what a planner or leader would trip over if not."""

from __future__ import annotations

import shapely

from geodata.demo import places


def rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def one(conn, sql, params=()):
    return rows(conn, sql, params)[0][0]


def test_grids_tile_their_community_without_gaps(conn):
    # in the lon/lat plane, where the tiling is exact: as geography, the long straight edges
    # of grids in villages of hundreds of km² bend and shift areas by a few 0.01 %
    bad = rows(
        conn,
        """
        SELECT a.code, ST_Area(a.geom) AS area, sum(ST_Area(g.geom)) AS grids
        FROM admin_areas a JOIN grids g ON g.community_code = a.code
        GROUP BY a.code, a.geom
        HAVING abs(sum(ST_Area(g.geom)) - ST_Area(a.geom)) > 0.0005 * ST_Area(a.geom)
    """,
    )
    assert bad == []
    assert (
        one(
            conn,
            """SELECT count(*) FROM admin_areas a WHERE level IN ('community', 'village')
                        AND NOT EXISTS (SELECT 1 FROM grids g WHERE g.community_code = a.code)""",
        )
        == 0
    )


def test_grids_do_not_overlap(conn):
    # measured in the lon/lat plane (degrees² scaled to m² at 38.3°N): reprojected or as
    # geography, the zero-width slivers along shared edges bend and get areas of several m²
    overlapping = rows(
        conn,
        """
        SELECT a.code, b.code FROM grids a JOIN grids b ON a.id < b.id AND a.geom && b.geom
        WHERE ST_Area(ST_Intersection(a.geom, b.geom)) * 111320 * 87330 > 1.0
    """,
    )
    assert overlapping == []


def test_grids_are_numbered_north_to_south(conn):
    # in every community with several rows of grids, the first half of the serials lies
    # further north on average than the second half
    wrong = rows(
        conn,
        """
        WITH g AS (
            SELECT community_code, right(code, 3)::int AS serial,
                   ST_Y(ST_Centroid(geom)) AS y,
                   count(*) OVER (PARTITION BY community_code) AS n
            FROM grids)
        SELECT community_code
        FROM g WHERE n >= 4
        GROUP BY community_code
        HAVING avg(y) FILTER (WHERE serial * 2 <= n) < avg(y) FILTER (WHERE serial * 2 > n)
    """,
    )
    assert wrong == []


def test_codes_are_unique_and_nested(conn):
    assert one(conn, "SELECT count(*) FROM admin_areas WHERE code !~ '^6108[0-9]{8}$'") == 0
    # each level below the top has its parent one level up, held in the database
    assert (
        one(
            conn,
            """SELECT count(*) FROM admin_areas a LEFT JOIN admin_areas p ON p.code = a.parent_code
               WHERE a.level <> 'city' AND (p.code IS NULL
                  OR (a.level = 'county' AND p.level <> 'city')
                  OR (a.level IN ('street', 'town') AND p.level <> 'county')
                  OR (a.level IN ('community', 'village') AND p.level NOT IN ('street', 'town')))""",
        )
        == 0
    )
    assert one(conn, "SELECT count(*) FROM grids WHERE left(code, 12) <> community_code") == 0
    assert one(conn, "SELECT count(*) - count(DISTINCT code) FROM party_orgs") == 0
    assert one(conn, "SELECT count(*) - count(DISTINCT code) FROM service_points") == 0
    # org codes extend their parent's code below the city committee (6108 → 610802 → …)
    assert (
        one(
            conn,
            """SELECT count(*) FROM party_orgs o JOIN party_orgs p ON p.id = o.parent_id
                        WHERE left(o.code, length(p.code)) <> p.code
                          AND NOT (p.code = '610800' AND o.code LIKE '6108__')""",
        )
        == 0
    )


def test_counties_lie_on_their_real_boundaries(conn):
    stored = dict(
        rows(conn, "SELECT code, ST_AsBinary(geom) FROM admin_areas WHERE level = 'county'")
    )
    assert set(stored) == {"610802000000", "610803000000", "610828000000"}
    real = places.boundaries()
    for code, wkb in stored.items():
        geom = shapely.from_wkb(bytes(wkb))
        assert shapely.hausdorff_distance(geom, real[code]["geom"]) < 1e-9, code
    city = shapely.from_wkb(
        bytes(one(conn, "SELECT ST_AsBinary(geom) FROM admin_areas WHERE level = 'city'"))
    )
    assert shapely.hausdorff_distance(city, real[places.CITY_CODE]["geom"]) < 1e-9


def test_children_lie_inside_their_parents(conn):
    # streets and towns tile their county, communities and villages their street or town
    # (measured in the lon/lat plane as in test_grids_do_not_overlap)
    outside = rows(
        conn,
        """
        SELECT c.code, ST_Area(ST_Difference(c.geom, p.geom)) * 111320 * 87330 AS m2
        FROM admin_areas c JOIN admin_areas p ON p.code = c.parent_code
        WHERE c.level IN ('street', 'town', 'community', 'village')
          AND ST_Area(ST_Difference(c.geom, p.geom)) * 111320 * 87330 > 1.0""",
    )
    assert outside == []
    gaps = rows(
        conn,
        """
        SELECT p.code FROM admin_areas p JOIN admin_areas c ON c.parent_code = p.code
        WHERE p.level IN ('county', 'street', 'town')
        GROUP BY p.code, p.geom
        HAVING abs(ST_Area(p.geom) - sum(ST_Area(c.geom))) > 0.0005 * ST_Area(p.geom)""",
    )
    assert gaps == []


def test_a_county_without_streets_is_partial_data(conn):
    # 佳县: its real boundary, its committee and people, but no streets or towns loaded yet
    name, children = rows(
        conn,
        """SELECT a.name, (SELECT count(*) FROM admin_areas c WHERE c.parent_code = a.code)
           FROM admin_areas a WHERE a.code = '610828000000' AND a.level = 'county'""",
    )[0]
    assert (name, children) == ("佳县", 0)
    assert one(conn, "SELECT name FROM party_orgs WHERE code = '610828'") == "中共佳县委"
    assert one(conn, "SELECT count(*) FROM party_orgs WHERE admin_area_code = '610828000000'") > 1
    # the two others have streets or towns, communities and grids
    for county in ("610802", "610803"):
        assert one(conn, "SELECT count(*) FROM grids WHERE code LIKE %s", (county + "%",)) > 5


def test_every_member_is_in_a_branch_of_at_most_fifty(conn):
    assert (
        one(
            conn,
            """SELECT count(*) FROM members m JOIN party_orgs o ON o.id = m.org_id
                        WHERE NOT o.is_branch_level""",
        )
        == 0
    )
    assert (
        one(conn, "SELECT max(n) FROM (SELECT count(*) AS n FROM members GROUP BY org_id) x") <= 50
    )
    assert (
        one(
            conn,
            """SELECT count(*) FROM party_orgs o WHERE o.status = 'dissolved'
                        AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = o.id)""",
        )
        == 0
    )


def test_mobile_members_have_an_outflow_org_and_a_destination(conn):
    counts = rows(
        conn,
        """
        SELECT count(*) FILTER (WHERE is_mobile),
               count(*) FILTER (WHERE is_mobile AND (outflow_org_id IS NULL OR mobile_destination IS NULL
                                                     OR mobile_since > DATE '2026-11-01' - 180)),
               count(DISTINCT mobile_destination)
        FROM members""",
    )[0]
    mobile, broken, destinations = counts
    assert mobile > 50
    assert broken == 0
    assert destinations >= 5


def test_members_going_out_are_met_by_migrant_groups_at_their_destination(conn):
    far = one(
        conn,
        """
        SELECT count(*) FROM members m JOIN party_orgs g ON g.id = m.inflow_org_id
        WHERE g.category = 'migrant' AND ST_Distance(m.destination_geom::geography, g.geog) > 60000""",
    )
    assert far == 0
    assert one(conn, "SELECT count(*) FROM party_orgs WHERE category = 'migrant'") >= 3


def test_hierarchy_runs_city_county_street_community(conn):
    root = rows(conn, "SELECT code, name, admin_area_code FROM party_orgs WHERE parent_id IS NULL")
    assert root == [("610800", "中共榆林市委", "610800000000")]
    # each county has its committee directly under the city committee
    assert (
        one(
            conn,
            """SELECT count(*) FROM admin_areas a WHERE a.level = 'county'
                        AND NOT EXISTS (SELECT 1 FROM party_orgs o JOIN party_orgs p ON p.id = o.parent_id
                                        WHERE o.admin_area_code = a.code AND o.code = left(a.code, 6)
                                          AND p.code = '610800')""",
        )
        == 0
    )
    # each street and town has its committee directly under its county's committee
    assert (
        one(
            conn,
            """SELECT count(*) FROM admin_areas a WHERE a.level IN ('street', 'town')
                        AND NOT EXISTS (SELECT 1 FROM party_orgs o JOIN party_orgs p ON p.id = o.parent_id
                                        WHERE o.admin_area_code = a.code AND p.code = left(a.code, 6))""",
        )
        == 0
    )
    assert (
        one(
            conn,
            "SELECT name FROM party_orgs WHERE admin_area_code = '610802001000' "
            "AND level = 'working_committee'",
        )
        == "鼓楼街道党工委"
    )
    # each community and village has an org of its own under its street's or town's committee
    assert (
        one(
            conn,
            """SELECT count(*) FROM admin_areas a WHERE a.level IN ('community', 'village')
                        AND NOT EXISTS (
                            SELECT 1 FROM party_orgs o JOIN party_orgs s ON s.id = o.parent_id
                            WHERE o.admin_area_code = a.code AND s.admin_area_code = a.parent_code)""",
        )
        == 0
    )
    categories = {r[0] for r in rows(conn, "SELECT DISTINCT category FROM party_orgs")}
    assert {
        "government",
        "public_institution",
        "soe",
        "non_public",
        "social_org",
        "village",
        "community",
        "school",
        "migrant",
    } <= categories


def test_population_adds_up(conn):
    assert (
        rows(
            conn,
            """
        SELECT a.code FROM admin_areas a
        WHERE a.level IN ('community', 'village')
          AND a.population <> (SELECT sum(population) FROM grids g WHERE g.community_code = a.code)
        UNION ALL
        SELECT p.code FROM admin_areas p
        WHERE p.level <> 'community' AND p.level <> 'village'
          AND p.population <> (SELECT sum(population) FROM admin_areas c WHERE c.parent_code = p.code)
    """,
        )
        == []
    )


def test_members_live_in_their_org_s_county(conn):
    # everyone but mobile members lives in the county of their org (members of a county
    # without streets anywhere in it); mobile members who moved to another county live there
    outside, moved = rows(
        conn,
        """
        SELECT count(*) FILTER (WHERE NOT m.is_mobile AND NOT ST_Intersects(c.geom, m.home_geom)),
               count(*) FILTER (WHERE m.is_mobile AND m.inflow_org_id IS NOT NULL
                                AND NOT ST_Intersects(c.geom, m.home_geom))
        FROM members m JOIN party_orgs o ON o.id = m.org_id
        JOIN admin_areas c ON c.code = left(o.admin_area_code, 6) || '000000'""",
    )[0]
    assert outside == 0
    assert moved > 10


def test_members_of_community_and_village_orgs_live_there(conn):
    # the people of a community's branch live in that community (but for mobile members:
    # those who moved to another county live there now)
    outside, total = rows(
        conn,
        """
        SELECT count(*) FILTER (WHERE NOT ST_Intersects(a.geom, m.home_geom)), count(*)
        FROM members m JOIN party_orgs o ON o.id = m.org_id
        JOIN admin_areas a ON a.code = o.admin_area_code
        WHERE o.category IN ('community', 'village') AND NOT m.is_mobile""",
    )[0]
    assert total > 0 and outside == 0
    # and homes spread over the grids: most grids have someone living there
    empty = one(
        conn,
        """SELECT count(*) FROM grids g WHERE NOT EXISTS (
                             SELECT 1 FROM members m WHERE ST_Intersects(g.geom, m.home_geom))""",
    )
    assert empty < 0.2 * one(conn, "SELECT count(*) FROM grids")


def test_status_age_and_gender_mix_is_realistic(conn):
    total, probationary, female, young, old = rows(
        conn,
        """
        SELECT count(*), count(*) FILTER (WHERE status = 'probationary'),
               count(*) FILTER (WHERE gender = 'F'),
               count(*) FILTER (WHERE 2026 - birth_year <= 35),
               count(*) FILTER (WHERE 2026 - birth_year > 60)
        FROM members""",
    )[0]
    assert 0.01 < probationary / total < 0.08
    assert 0.2 < female / total < 0.45
    assert 0.15 < young / total < 0.45
    assert 0.15 < old / total < 0.45


def test_service_points_of_every_level(conn):
    levels = dict(rows(conn, "SELECT level, count(*) FROM service_points GROUP BY level"))
    assert levels.get("district_centre") == one(
        conn, "SELECT count(*) FROM admin_areas WHERE level = 'county'"
    )
    assert levels.get("street_centre") == one(
        conn, "SELECT count(*) FROM admin_areas WHERE level IN ('street', 'town')"
    )
    assert levels.get("community_centre", 0) > 0
    # some communities have no centre of their own: the gaps planners look for
    assert (
        one(
            conn,
            """SELECT count(*) FROM admin_areas a WHERE level IN ('community', 'village')
                        AND NOT EXISTS (SELECT 1 FROM service_points s
                                        WHERE s.admin_area_code = a.code)""",
        )
        > 0
    )


def test_road_network_is_routable_end_to_end(conn):
    # one connected network: a walk from any village reaches the city centre
    components = one(
        conn,
        """
        SELECT count(DISTINCT component) FROM pgr_connectedComponents(
            'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads')""",
    )
    assert components == 1
    far, near = rows(
        conn,
        """
        SELECT (SELECT id FROM road_vertices ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) DESC LIMIT 1),
               (SELECT id FROM road_vertices ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 1)
    """,
        (*places.CENTRE_LONLAT, *places.CENTRE_LONLAT),
    )[0]
    metres = one(
        conn,
        """SELECT max(agg_cost) FROM pgr_dijkstra(
            'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads',
            %s, %s, false)""",
        (far, near),
    )
    straight = one(
        conn,
        """SELECT ST_Distance(a.geom::geography, b.geom::geography)
                            FROM road_vertices a, road_vertices b WHERE a.id = %s AND b.id = %s""",
        (far, near),
    )
    assert straight <= metres < 2.0 * straight
