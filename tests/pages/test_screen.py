"""The leaders' wall screen /screen, driven in Chromium at 1920×1080 and at 3840×2160.

The app runs on a local port against the test database; requests to other hosts are aborted
and fail the test; console errors fail it. Screenshots go to tests/screenshots/screen-*.png
for a person to look at.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2
import pytest

from mapsvc.infra.db import libpq_dsn

SHOTS = Path(__file__).parents[1] / "screenshots"  # tests/screenshots/
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHARTS = ["age", "category", "map", "streets", "flows"]


HEADERS: dict = {}


@pytest.fixture(autouse=True)
def _logged_in(auth_headers):
    """The API calls of these tests log in as the admin, like the browser contexts."""
    HEADERS.update(auth_headers)


@pytest.fixture()
def open_screen(browser, auth_headers):
    """Opens a browser context of the given size (logged in as the admin unless told
    otherwise); records requests to other hosts and console errors."""
    made = []

    def make(width: int, height: int, headers: dict | None = auth_headers):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="zh-CN",
            extra_http_headers=headers or {},
        )
        seen = {"external": [], "errors": []}

        def guard(route):
            url = route.request.url
            host = urllib.parse.urlsplit(url).hostname
            if url.startswith(("blob:", "data:")) or host in LOCAL_HOSTS:
                route.continue_()
            else:
                seen["external"].append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on(
            "console",
            lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
        made.append(context)
        return page, seen

    yield make
    for c in made:
        c.close()


def api(base_url: str, path: str) -> dict:
    req = urllib.request.Request(base_url + path, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


def wait_ready(page) -> None:
    page.wait_for_function("() => ['ready', 'error'].includes(document.body.dataset.state)")
    assert page.locator("body").get_attribute("data-state") == "ready"


def kpi(page, name: str) -> str:
    return page.locator(f'[data-kpi="{name}"]').get_attribute("data-value")


def painted(page, chart: str) -> int:
    """How many sampled pixels of the chart's canvas are drawn (not transparent)."""
    return page.evaluate(
        """(id) => {
            const c = document.querySelector('#chart-' + id + ' canvas');
            if (!c || !c.width || !c.height) return 0;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) n++;
            return n;
        }""",
        chart,
    )


def check_screen(page, seen, base_url: str, width: int, height: int) -> None:
    """What a person at the wall sees: everything drawn, the right figures, no scrolling."""
    wait_ready(page)
    page.wait_for_timeout(1500)  # the charts' entry animations
    assert seen["external"] == [] and seen["errors"] == []
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " document.body.scrollWidth, document.body.scrollHeight, innerWidth, innerHeight]"
    )
    assert max(size[0], size[2]) <= width and max(size[1], size[3]) <= height
    assert size[4:] == [width, height]
    # the 1920×1080 stage fills the screen
    box = page.locator("#stage").bounding_box()
    assert box["width"] == pytest.approx(width, abs=2)
    assert box["height"] == pytest.approx(height, abs=2)
    for chart in CHARTS:
        assert painted(page, chart) > 1000, chart
        canvas = page.locator(f"#chart-{chart} canvas").first.evaluate("c => c.width")
        assert (
            canvas
            >= page.locator(f"#chart-{chart}").evaluate("e => e.clientWidth") * (width / 1920) - 2
        )  # drawn at the wall's resolution, not blown up
    ov = api(base_url, "/api/v1/stats/overview")
    assert kpi(page, "members") == str(ov["members"]["total"])
    assert kpi(page, "mobile_out") == str(ov["members"]["mobile_out"])
    assert kpi(page, "mobile_in") == str(ov["members"]["mobile_in"])
    assert kpi(page, "orgs") == str(ov["orgs"]["total"])
    assert kpi(page, "service_points") == str(ov["service_points"]["total"])
    assert kpi(page, "circle") == str(ov["coverage_15min"]["population_share"])
    members_text = page.locator('[data-kpi="members"] .v').inner_text()
    assert members_text == f"{ov['members']['total']:,}"
    assert f"{ov['members']['full']:,}" in page.locator('[data-kpi="members"] .k-sub').inner_text()
    district = ov["scope"]["name"]
    assert page.locator("h1").inner_text().startswith(district)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"screen-{name}.png"))


def test_screen_page_has_no_external_assets(client):
    html = client.get("/screen").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert "vendor/echarts-5.5.1/echarts.min.js" in html


def test_screen_at_1920_by_1080(open_screen, base_url: str):
    page, seen = open_screen(1920, 1080)
    page.goto(base_url + "/screen")
    check_screen(page, seen, base_url, 1920, 1080)
    shot(page, "1920x1080")


def test_screen_at_3840_by_2160(open_screen, base_url: str):
    page, seen = open_screen(3840, 2160)
    page.goto(base_url + "/screen")
    check_screen(page, seen, base_url, 3840, 2160)
    shot(page, "3840x2160")


def click_bar(page, index: int) -> None:
    """Click the bar of the child area ranked `index` (0 = first) in the ranking chart."""
    point = page.evaluate(
        """(i) => {
            const el = document.getElementById('chart-streets');
            const chart = echarts.getInstanceByDom(el);
            const opt = chart.getOption();
            const n = opt.yAxis[0].data.length;
            const v = opt.series[0].data[n - 1 - i].value;  // the first rank is drawn on top
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [v / 2, n - 1 - i]);
            const r = el.getBoundingClientRect();
            const s = r.width / el.offsetWidth;
            return [r.left + x * s, r.top + y * s];
        }""",
        index,
    )
    page.mouse.click(point[0], point[1])


def wait_scope(page, code: str) -> None:
    page.wait_for_function(f"() => document.body.dataset.scope === '{code}'")


def check_area(page, base_url: str, code: str) -> dict:
    """Every panel shows the area: figures, age bands, categories, destinations, breadcrumb."""
    ov = api(base_url, f"/api/v1/stats/overview?area={code}")
    fl = api(base_url, f"/api/v1/stats/flows?area={code}")
    assert kpi(page, "members") == str(ov["members"]["total"])
    assert kpi(page, "orgs") == str(ov["orgs"]["total"])
    assert kpi(page, "mobile_out") == str(ov["members"]["mobile_out"])
    assert page.locator("h1").inner_text().startswith(ov["area"]["name"])
    age, category, flows = page.evaluate(
        """() => ['age', 'category', 'flows'].map(id =>
              echarts.getInstanceByDom(document.getElementById('chart-' + id)).getOption())"""
    )
    assert (
        sum(-v for v in age["series"][0]["data"]) + sum(age["series"][1]["data"])
        == ov["members"]["total"]
    )
    assert sum(d["value"] for d in category["series"][0]["data"]) == ov["orgs"]["total"]
    top = fl["flows"][: len(flows["series"][0]["data"])]
    assert sorted(d["value"] for d in flows["series"][0]["data"]) == sorted(
        f["members"] for f in top
    )
    # the breadcrumb: root → … → this area; the last one is not a link
    crumbs = page.locator("#crumbs .crumb")
    names = [crumbs.nth(i).get_attribute("data-code") for i in range(crumbs.count())]
    assert names[:-1] == [c["code"] for c in ov["area"]["path"]][:-1] and names[-1] is None
    assert ov["area"]["name"] in crumbs.last.inner_text()
    assert f"area={code}" in page.url
    return ov


def test_drilling_down_city_county_street_and_back_by_breadcrumb(open_screen, base_url: str):
    page, seen = open_screen(1920, 1080)
    page.goto(base_url + "/screen")
    wait_ready(page)
    root = api(base_url, "/api/v1/stats/overview")["area"]
    counties = api(base_url, f"/api/v1/stats/areas?parent={root['code']}")["items"]
    assert root["level"] == "city" and counties[0]["level"] == "county"
    # the ranking names what it counts: the children's level and members
    assert page.locator("#rank-title").inner_text() == "区县排名 · 党员人数"
    click_bar(page, 0)
    county = counties[0]["code"]
    wait_scope(page, county)
    ov = check_area(page, base_url, county)
    assert [c["code"] for c in ov["area"]["path"]] == [root["code"], county]
    streets = api(base_url, f"/api/v1/stats/areas?parent={county}")["items"]
    assert page.locator("#rank-title").inner_text().endswith("排名 · 党员人数")
    click_bar(page, 1)
    street = streets[1]["code"]
    wait_scope(page, street)
    check_area(page, base_url, street)
    page.mouse.move(5, 5)  # no tooltip in the picture
    page.wait_for_timeout(1500)  # the charts' transitions
    shot(page, "street")
    # the browser's back button goes back to the county, forward to the street again
    page.go_back()
    wait_scope(page, county)
    check_area(page, base_url, county)
    page.go_forward()
    wait_scope(page, street)
    # the breadcrumb's first crumb brings the city back
    page.locator(f'#crumbs button[data-code="{root["code"]}"]').click()
    wait_scope(page, root["code"])
    check_area(page, base_url, root["code"])
    # a reload keeps the area
    page.locator("#crumbs .crumb.current").wait_for()
    page.goto(base_url + f"/screen?area={street}")
    wait_ready(page)
    wait_scope(page, street)
    assert seen["errors"] == [] and seen["external"] == []


def test_clicking_the_map_drills_down(open_screen, base_url: str):
    page, seen = open_screen(1920, 1080)
    root = api(base_url, "/api/v1/stats/overview")["area"]
    county = api(base_url, f"/api/v1/stats/areas?parent={root['code']}")["items"][0]["code"]
    page.goto(base_url + f"/screen?area={county}")
    wait_ready(page)
    stats_map = api(base_url, f"/api/v1/stats/map?area={county}")
    town = next(f for f in stats_map["children"]["features"] if f["properties"]["level"] == "town")
    # a point inside the town (its label point), as the map draws it
    xy = page.evaluate(
        """(p) => {
            const el = document.getElementById('chart-map');
            const [x, y] = echarts.getInstanceByDom(el).convertToPixel('geo', p);
            const r = el.getBoundingClientRect();
            return [r.left + x, r.top + y];
        }""",
        [town["properties"]["lon"], town["properties"]["lat"]],
    )
    page.mouse.click(xy[0], xy[1])
    code = town["properties"]["code"]
    wait_scope(page, code)
    check_area(page, base_url, code)
    mapopt = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-map')).getOption()"
    )
    series = {s["id"]: s for s in mapopt["series"]}
    assert series["origin"]["data"][0]["name"] == town["properties"]["name"]
    kids = api(base_url, f"/api/v1/stats/map?area={code}")["children"]["features"]
    assert {d["name"] for d in series["labels"]["data"]} == {f["properties"]["name"] for f in kids}
    assert seen["errors"] == []


def test_a_county_without_streets_says_so(open_screen, base_url: str):
    root = api(base_url, "/api/v1/stats/overview")["area"]
    counties = api(base_url, f"/api/v1/stats/areas?parent={root['code']}")["items"]
    bare = next(
        c["code"]
        for c in counties
        if not api(base_url, f"/api/v1/stats/areas?parent={c['code']}")["items"]
    )
    page, seen = open_screen(1920, 1080)
    page.goto(base_url + f"/screen?area={bare}")
    wait_ready(page)
    ov = api(base_url, f"/api/v1/stats/overview?area={bare}")
    note = next(n for n in ov["missing"] if n["what"] == "children")
    assert page.locator("#rank-empty").is_visible()
    assert page.locator("#rank-empty").inner_text() == note["message"]
    assert note["message"] in page.locator("#missing").inner_text()
    assert kpi(page, "members") == str(ov["members"]["total"])
    page.wait_for_timeout(1000)
    for chart in ["age", "category", "map", "flows"]:  # the other panels are drawn
        assert painted(page, chart) > 1000, chart
    shot(page, "county-without-streets")
    page.locator("#lang-toggle").click()
    assert page.locator("#rank-empty").inner_text() == note["message_en"]
    assert seen["errors"] == []


def test_carousel_cycles_through_the_children(open_screen, base_url: str):
    page, seen = open_screen(1920, 1080)
    page.goto(base_url + "/screen?carousel=1&carousel_s=1")
    wait_ready(page)
    assert page.locator("#carousel").get_attribute("aria-pressed") == "true"
    root = api(base_url, "/api/v1/stats/overview")["area"]["code"]
    children = api(base_url, f"/api/v1/stats/areas?parent={root}")["items"]
    history = page.evaluate("() => history.length")
    canvases = page.evaluate("() => document.querySelectorAll('canvas').length")
    page.wait_for_function("() => Number(document.body.dataset.carouselSteps || 0) >= 1")
    wait_scope(page, children[0]["code"])
    assert kpi(page, "members") == str(children[0]["members"]["total"])
    wait_scope(page, children[1]["code"])
    assert kpi(page, "members") == str(children[1]["members"]["total"])
    # round again: back to the area it started on, then its first child
    wait_scope(page, root)
    wait_scope(page, children[0]["code"])
    # months of steps must not grow the history or the page
    assert page.evaluate("() => history.length") == history
    assert page.evaluate("() => document.querySelectorAll('canvas').length") == canvases
    # the button stops it
    page.locator("#carousel").click()
    assert page.locator("#carousel").get_attribute("aria-pressed") == "false"
    steps = page.locator("body").get_attribute("data-carousel-steps")
    page.wait_for_timeout(2500)
    assert page.locator("body").get_attribute("data-carousel-steps") == steps
    assert seen["errors"] == []


def test_figures_refresh_after_a_record_changes(open_screen, base_url: str, db_url: str):
    page, seen = open_screen(1920, 1080)
    page.goto(base_url + "/screen?refresh=1")
    wait_ready(page)
    before = int(kpi(page, "members"))
    conn = psycopg2.connect(libpq_dsn(db_url))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        "SELECT o.id FROM party_orgs o JOIN party_orgs d ON o.path <@ d.path "
        "JOIN admin_areas a ON a.code = d.admin_area_code AND a.level = 'county' "
        "WHERE o.is_branch_level AND o.status = 'active' AND o.category = 'community' "
        "ORDER BY o.id LIMIT 1"
    )
    org_id = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO members (org_id, name, gender, birth_year, joined_on, status) "
        "VALUES (%s, '大屏测试', 'M', 1990, '2020-07-01', 'full') RETURNING id",
        (org_id,),
    )
    member_id = cur.fetchone()[0]
    try:
        page.wait_for_function(
            f"() => document.querySelector('[data-kpi=\"members\"]').dataset.value === "
            f"'{before + 1}'",
            timeout=30_000,
        )
        assert page.locator('[data-kpi="members"] .v').inner_text() == f"{before + 1:,}"
    finally:
        cur.execute("DELETE FROM members WHERE id = %s", (member_id,))
        conn.close()
    page.wait_for_function(
        f"() => document.querySelector('[data-kpi=\"members\"]').dataset.value === '{before}'",
        timeout=30_000,
    )
    assert int(page.locator("body").get_attribute("data-refreshes")) >= 3
    assert seen["errors"] == []


def test_a_kiosk_link_opens_the_screen_and_nothing_else(open_screen, base_url: str, db_url):
    from tests.conftest import token_for

    token = token_for(db_url, "kiosk")
    page, seen = open_screen(1920, 1080, headers=None)
    page.goto(base_url + f"/screen?kiosk={token}&carousel=1")
    wait_ready(page)
    assert "kiosk=" not in page.url and "carousel=1" in page.url  # the token leaves the address
    assert page.locator("#carousel").get_attribute("aria-pressed") == "true"
    ov = api(base_url, "/api/v1/stats/overview")
    assert kpi(page, "members") == str(ov["members"]["total"])
    assert seen["errors"] == [] and seen["external"] == []
    # the kiosk's session reaches aggregates only
    status = page.evaluate("() => fetch('/api/v1/members?limit=1').then(r => r.status)")
    assert status == 403


def test_without_a_login_the_screen_asks_for_one(open_screen, base_url: str):
    page, seen = open_screen(1920, 1080, headers=None)
    page.goto(base_url + "/screen")
    assert "/login" in page.url


def test_english_toggle(open_screen, base_url: str):
    page, seen = open_screen(1920, 1080)
    page.goto(base_url + "/screen")
    wait_ready(page)
    page.locator("#lang-toggle").click()
    assert page.locator('[data-kpi="members"] .k-label').inner_text() == "Members"
    assert "party-building overview" in page.locator("h1").inner_text()
    legend = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-age'))"
        ".getOption().legend[0].data"
    )
    assert legend == ["Male", "Female"]
    page.wait_for_timeout(500)
    shot(page, "english")
    page.locator("#lang-toggle").click()
    assert page.locator('[data-kpi="members"] .k-label').inner_text() == "党员总数"
    assert seen["errors"] == []
