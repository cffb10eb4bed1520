"""The grid worker's phone page /nearest, driven in Chromium at 390×844 like a phone.

The app runs for real on a local port (a werkzeug server in a thread) against the test
database with the small demo city. Every request to another host is aborted and recorded:
the page must work on an intranet with no internet. Console errors and page errors fail
the tests. Screenshots go to tests/screenshots/nearest-*.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pypinyin
import pytest

SHOTS = Path(__file__).parents[1] / "screenshots"  # tests/screenshots/
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WIDTH, HEIGHT = 390, 844
MIN_TOUCH_PX = 44


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def demo_point(db_url: str) -> tuple[float, float]:
    """A point inside the first grid of the demo city (lon, lat), chosen from the data."""
    from mapsvc.infra.db import libpq_dsn

    conn = psycopg2.connect(libpq_dsn(db_url))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
                "ORDER BY code LIMIT 1) s"
            )
            lon, lat = cur.fetchone()
    finally:
        conn.close()
    return float(lon), float(lat)


@dataclass
class Run:
    """One phone session: the page and what it tried that it should not have."""

    page: object
    base_url: str
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto_nearest(self) -> None:
        self.page.goto(self.base_url + "/nearest")
        self.page.wait_for_function(
            "() => document.querySelector('#map').dataset.areas !== undefined"
        )
        areas = self.page.locator("#map").get_attribute("data-areas")
        assert areas not in (None, "error", "0"), f"boundaries not drawn: {areas}"

    def shot(self, name: str, full_page: bool = False) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(350)  # let map animations settle
        self.page.screenshot(path=str(SHOTS / f"nearest-{name}.png"), full_page=full_page)

    def assert_clean(self, allowed: tuple[str, ...] = ()) -> None:
        """No request left the machine; no console or page errors except `allowed` patterns."""
        assert self.external == [], f"requests to other hosts: {self.external}"
        unexpected = [e for e in self.errors if not any(re.search(a, e) for a in allowed)]
        assert unexpected == [], f"console/page errors: {unexpected}"


@pytest.fixture()
def run(browser, base_url: str, demo_point: tuple[float, float], auth_headers):
    lon, lat = demo_point
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lon, "latitude": lat},
        permissions=["geolocation"],
        locale="zh-CN",
        extra_http_headers=auth_headers,
    )
    r = Run(page=None, base_url=base_url)

    def guard(route):
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            r.external.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(20_000)

    def on_console(msg):
        if msg.type == "error":
            r.errors.append(f"console: {msg.text} @ {(msg.location or {}).get('url', '')}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: r.errors.append(f"pageerror: {exc}"))
    r.page = page
    try:
        yield r
    finally:
        context.close()


# ------------------------------------------------------------------ helpers


HEADERS: dict = {}  # the admin's Authorization header, for calls made outside the browser


@pytest.fixture(autouse=True)
def _logged_in(auth_headers):
    HEADERS.update(auth_headers)


def api(base_url: str, path: str) -> tuple[int, dict]:
    """GET a JSON endpoint of the running app: (status, body)."""
    try:
        req = urllib.request.Request(base_url + path, headers=HEADERS)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"page is {width}px wide at a {WIDTH}px viewport"


def assert_touch_targets(page, selector: str) -> None:
    """Every visible element matching selector is at least 44×44 CSS px."""
    items = page.locator(selector)
    assert items.count() > 0, selector
    for i in range(items.count()):
        el = items.nth(i)
        if not el.is_visible():
            continue
        box = el.bounding_box()
        assert box["width"] >= MIN_TOUCH_PX and box["height"] >= MIN_TOUCH_PX, (selector, i, box)


def locate_by_gps(run: Run) -> None:
    run.page.get_by_role("button", name="定位").tap()
    run.page.locator("#where [data-field=community]").wait_for()


DISTANCE_TEXT = re.compile(r"^(\d+ 米|\d+(\.\d)? 公里)$")
WALK_TEXT = re.compile(r"步行约 \d+ 分钟")


# ------------------------------------------------------------------ tests


def test_landing_page_links_the_pages(client):
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<title>党建电子地图</title>" in html
    assert 'href="/nearest"' in html and "附近党组织与服务点" in html
    assert 'href="/health"' in html and "服务状态" in html
    assert "http://" not in html and "https://" not in html  # no external assets


def test_locate_fills_card_and_lists_nearest(run: Run, demo_point):
    page = run.page
    lon, lat = demo_point
    run.goto_nearest()
    # the map draws its own context: one path per street/town boundary
    _, areas = api(run.base_url, "/api/v1/admin-areas?level=street,town&geometry=simplified")
    assert page.locator(".leaflet-areas-pane path").count() == len(areas["items"]) > 0
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "附近党组织与服务点"
    run.shot("start")

    locate_by_gps(run)
    status, expected = api(run.base_url, f"/api/v1/locate?lon={lon}&lat={lat}&crs=wgs84")
    assert status == 200
    card = page.locator("#where")
    assert card.locator("[data-field=street]").inner_text() == expected["street"]["name"]
    assert card.locator("[data-field=community]").inner_text() == expected["community"]["name"]
    assert card.locator("[data-field=community-code]").inner_text() == expected["community"]["code"]
    assert expected["grid"] is not None, "the demo point lies in a grid"
    assert card.locator("[data-field=grid]").inner_text() == expected["grid"]["name"]
    assert card.locator("[data-field=grid-code]").inner_text() == expected["grid"]["code"]
    if expected["grid"]["grid_worker"]:
        assert (
            card.locator("[data-field=grid-worker]").inner_text() == expected["grid"]["grid_worker"]
        )
        phone = card.locator("[data-field=grid-worker-phone]").inner_text()
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", phone), phone
    if expected["branch"]:
        assert card.locator("[data-field=branch]").inner_text() == expected["branch"]["name"]
    if expected["nearest_service_point"]:
        sp = expected["nearest_service_point"]["name"]
        assert card.locator("[data-field=service-point]").inner_text() == sp
    # the community and the grid are drawn, and a marker for "my position"
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-focus-pane path').length >= 2"
    )
    assert page.locator(".me-marker").count() == 1

    for kind, tab_name in (("branch", "党支部"), ("service_point", "党群服务中心")):
        page.get_by_role("tab", name=tab_name).tap()
        panel = page.locator(f"#panel-{kind}")
        items = panel.locator(".result")
        items.first.wait_for()
        _, fc = api(run.base_url, f"/api/v1/nearest?lon={lon}&lat={lat}&crs=wgs84&kind={kind}&k=5")
        n = items.count()
        assert 0 < n <= 5
        assert n == len(fc["features"])
        assert [items.nth(i).locator(".result-name").inner_text() for i in range(n)] == [
            f["properties"]["name"] for f in fc["features"]
        ]
        distances = [float(items.nth(i).get_attribute("data-distance-m")) for i in range(n)]
        assert distances == sorted(distances), distances
        for i in range(n):
            item = items.nth(i)
            assert DISTANCE_TEXT.match(item.locator(".dist").inner_text()), item.inner_text()
            assert WALK_TEXT.search(item.locator(".result-dist").inner_text())
            gaode = item.get_by_role("link", name=re.compile("高德"))
            baidu = item.get_by_role("link", name=re.compile("百度"))
            assert gaode.inner_text() == "高德导航" and baidu.inner_text() == "百度导航"
            assert gaode.get_attribute("href").startswith("https://uri.amap.com/")
            assert baidu.get_attribute("href").startswith("https://api.map.baidu.com/")
        # one numbered marker per result; tapping an item highlights its marker
        assert page.locator(f".leaflet-marker-pane .num-marker.num-{kind}").count() == n
        pick = min(1, n - 1)
        items.nth(pick).locator(".result-main").tap()
        active = page.locator(".leaflet-marker-pane .num-marker.is-active")
        assert active.count() == 1 and active.inner_text() == str(pick + 1)
        assert "is-active" in items.nth(pick).get_attribute("class")
        no_horizontal_scroll(page)
        run.shot("service-points" if kind == "service_point" else "branches")

    page.get_by_role("tab", name="党支部").tap()
    page.evaluate("window.scrollTo(0, 0)")
    run.shot("located")
    run.shot("located-full", full_page=True)
    for sel in (
        "#locate-btn",
        "#lang-toggle",
        ".tab",
        "#search-input",
        ".result-main",
        "#panel-branch .btn-nav",
        ".leaflet-control-zoom a",
    ):
        assert_touch_targets(page, sel)
    no_horizontal_scroll(page)
    run.assert_clean()


def test_search_by_pinyin_initials_moves_the_card(run: Run):
    page = run.page
    run.goto_nearest()
    locate_by_gps(run)
    here = page.locator("#where [data-field=street]").inner_text()
    _, body = api(run.base_url, "/api/v1/admin-areas?level=street&geometry=none")
    streets = sorted(body["items"], key=lambda s: s["code"])
    street = next(s for s in streets if s["name"] != here)
    initials = "".join(pypinyin.lazy_pinyin(street["name"], style=pypinyin.Style.FIRST_LETTER))

    search = page.get_by_role("combobox")
    search.tap()
    search.press_sequentially(initials, delay=40)
    option = page.locator("#search-list [role=option]").filter(
        has=page.locator(".sugg-name", has_text=re.compile(rf"^{re.escape(street['name'])}$"))
    )
    option.first.wait_for()
    assert option.first.locator(".sugg-kind").inner_text() == "街道"
    assert street["code"] in option.first.inner_text()
    assert search.get_attribute("aria-expanded") == "true"
    no_horizontal_scroll(page)
    run.shot("search")

    option.first.tap()
    page.wait_for_function(
        "name => (document.querySelector('#where [data-field=street]') || {}).textContent === name",
        arg=street["name"],
    )
    page.locator("#search-list").wait_for(state="hidden")  # waits: the machine may be busy
    page.locator("#panel-branch .result").first.wait_for()
    run.shot("search-chosen")
    run.assert_clean()


def _district_bounds(base_url: str) -> tuple[float, float, float, float]:
    _, body = api(base_url, "/api/v1/admin-areas?level=street,town&geometry=simplified")
    lons, lats = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            lons.append(c[0])
            lats.append(c[1])
        else:
            for x in c:
                walk(x)

    for item in body["items"]:
        walk(item["geometry"]["coordinates"])
    return min(lons), min(lats), max(lons), max(lats)


def test_tap_outside_the_district_shows_notice(run: Run):
    page = run.page
    run.goto_nearest()
    west, south, east, north = _district_bounds(run.base_url)
    lon, lat = west - 0.03, (south + north) / 2
    status, _ = api(run.base_url, f"/api/v1/locate?lon={lon}&lat={lat}&crs=wgs84")
    assert status == 404  # precondition: the point lies outside every area

    js_point = "([lat, lon]) => { const p = window.mapsvcNearest.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }"
    x, y = page.evaluate(js_point, [lat, lon])
    box = page.locator("#map").bounding_box()
    if not (20 < x < box["width"] - 70 and 20 < y < box["height"] - 30):
        page.evaluate(
            "([lat, lon]) => window.mapsvcNearest.map.setView([lat, lon], 10, {animate: false})",
            [lat, lon],
        )
        x, y = page.evaluate(js_point, [lat, lon])
    with page.expect_response(lambda r: "/api/v1/locate" in r.url) as info:
        page.touchscreen.tap(box["x"] + x, box["y"] + y)
    resp = info.value
    assert resp.status == 404
    body = resp.json()

    notice = page.locator("#notice")
    notice.wait_for()
    assert notice.get_attribute("role") == "alert"
    assert notice.locator(".notice-title").inner_text() == "不在本区范围内"
    assert notice.locator(".notice-message").inner_text() == body["message"]
    assert re.search(r"[\u4e00-\u9fff]", body["message"])
    assert page.locator(".me-marker").count() == 1
    no_horizontal_scroll(page)
    run.shot("outside")

    page.locator("#lang-toggle").tap()
    assert notice.locator(".notice-message").inner_text() == body["message_en"]
    assert notice.locator(".notice-title").inner_text() == "Outside the district"
    run.shot("outside-en")
    # the browser reports the 404 of /locate itself; that one is expected
    run.assert_clean(allowed=(r"status of 404 .*/api/v1/locate",))


def test_point_outside_china_shows_server_message(run: Run):
    page = run.page
    run.goto_nearest()
    with page.expect_response(lambda r: "/api/v1/locate" in r.url) as info:
        page.evaluate("window.mapsvcNearest.setPosition(10.5, 38.2, 'map')")
    assert info.value.status == 400
    body = info.value.json()
    notice = page.locator("#notice")
    notice.wait_for()
    assert notice.locator(".notice-message").inner_text() == body["message"]
    # the lists say why they are empty instead of spinning
    page.locator("#panel-branch .list-status.error").wait_for()
    run.assert_clean(allowed=(r"status of 400 .*/api/v1/(locate|nearest)",))


def test_refused_geolocation_explains_what_to_do(run: Run):
    page = run.page
    run.goto_nearest()
    page.context.clear_permissions()
    page.get_by_role("button", name="定位").tap()
    notice = page.locator("#notice")
    notice.wait_for()
    assert notice.locator(".notice-title").inner_text() == "无法定位"
    assert "地图上点选" in notice.locator(".notice-message").inner_text()
    assert page.get_by_role("button", name="定位").is_enabled()  # not stuck "locating"
    run.assert_clean()


def test_language_toggle_switches_labels(run: Run):
    page = run.page
    run.goto_nearest()
    locate_by_gps(run)
    page.locator("#panel-branch .result").first.wait_for()
    toggle = page.locator("#lang-toggle")
    assert toggle.inner_text() == "EN"

    toggle.tap()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Nearby party orgs & service points"
    assert toggle.inner_text() == "中文"
    assert page.get_by_role("button", name="Locate me").is_visible()
    assert page.get_by_role("tab", name="Party branches").get_attribute("aria-selected") == "true"
    assert page.get_by_role("tab", name="Service centres").is_visible()
    assert page.locator("#where-title").inner_text() == "Where I am"
    labels = page.locator("#where dt").all_inner_texts()
    assert "Community" in labels or "Village" in labels
    assert "Grid worker" in labels
    first = page.locator("#panel-branch .result").first
    assert re.search(r"About \d+ min walk", first.inner_text())
    assert first.get_by_role("link", name=re.compile("Gaode")).inner_text() == "Gaode nav"
    assert page.get_by_role("combobox").get_attribute("placeholder").startswith("Search")
    no_horizontal_scroll(page)
    run.shot("en")
    run.shot("en-full", full_page=True)

    toggle.tap()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "附近党组织与服务点"
    assert page.get_by_role("button", name="定位").is_visible()
    assert page.locator("#where-title").inner_text() == "我的位置"
    run.assert_clean()
