"""Markup stored in every name is shown as text on every page (issue 13, HTML by construction).

The test has a database of its own (the small demo city): as the admin, through the records
API, it puts markup before the name of every street, town, community, grid, service point,
migrant group, branch and some members. Then Chromium opens every page, shows the tooltips,
popups, panels and labels that carry names, and after each step asserts that no element was
made from the markup (no img[src=x], no svg[onload], no <b>X</b> of the data), that no dialog
opened and that nothing asked for /x; where names show, the markup's literal text is there.
Screenshots: tests/screenshots/markup-*.png.
"""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path

import pytest

from mapsvc.records.catalog import RESOURCES
from tests.conftest import (
    client_of,
    own_database,
    token_for,
)

SHOTS = Path(__file__).parents[1] / "screenshots"
MARKUP = ("<img src=x onerror=alert(1)><b>X</b>", '"><svg onload=alert(1)>')
SHOWN = ("<b>X</b>", "<svg onload=alert(1)>")  # what a reader sees of either
MAP = ".folium-map"

# what every step checks: elements the markup would have made, and the literal text shown
PROBE = """() => ({
  made: [...document.querySelectorAll('img[src="x"], svg[onload], [onerror]')]
          .map(e => e.outerHTML.slice(0, 80)),
  bold: [...document.querySelectorAll('b')].filter(b => b.textContent === 'X').length,
  text: document.body ? document.body.innerText : ''
})"""


# ------------------------------------------------------------------ a city full of markup
@pytest.fixture(scope="module")
def url(server_url):
    """A database of this module's own with the small demo city."""
    with own_database(server_url, "markup") as u:
        yield u


# a name-only PATCH is refused when the demo's generated boundary pokes a few m² out of its
# parent: the rule is checked on the whole record (reported in issue 13's notes); those names
# are written with SQL instead, which is not what this test is about
GEOMETRY_RULES = {"grid_outside_community", "area_outside_parent"}
TABLES = {"grids": "grids", "admin-areas": "admin_areas"}


def _mark(client, url: str, resource: str, query: str, most: int = 1000) -> list[dict]:
    """Markup before the name of the listed records (through PATCH); returns them as stored."""
    key = RESOURCES[resource].key
    items = client.get(f"/api/v1/{resource}?{query}&limit={most}").get_json()["items"]
    assert items, resource
    out, refused = [], []
    for i, it in enumerate(items):
        name = MARKUP[i % 2] + it["name"]
        res = client.patch(
            f"/api/v1/{resource}/{it[key]}",
            json={"name": name},
            headers={"If-Match": f'"{it["version"]}"'},
        )
        codes = {e["code"] for e in (res.get_json() or {}).get("errors", [])}
        if res.status_code == 400 and codes <= GEOMETRY_RULES:
            refused.append((name, it[key]))
            out.append({**it, "name": name})
            continue
        assert res.status_code == 200, (resource, res.get_json())
        out.append(res.get_json())
    if refused:
        import psycopg2

        from mapsvc.infra.db import libpq_dsn

        with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
            cur.executemany(f"UPDATE {TABLES[resource]} SET name = %s WHERE {key} = %s", refused)
    return out


@pytest.fixture(scope="module")
def marked(url):
    """Every name-like field of every kind that a page shows, marked up."""
    client = client_of(url)
    return {
        "areas": _mark(
            client, url, "admin-areas", "level=province,city,county,street,town,community,village"
        ),
        "grids": _mark(client, url, "grids", "q="),
        "service_points": _mark(client, url, "service-points", "q="),
        "migrant_groups": _mark(client, url, "orgs", "category=migrant"),
        "branches": _mark(client, url, "orgs", "level=branch,joint_branch"),
        "orgs": _mark(client, url, "orgs", "level=committee,general_branch"),
        "members": _mark(client, url, "members", "q=", most=200),
    }


@pytest.fixture(scope="module")
def live(url, marked):
    """The app on a free local port against this module's database, and an admin's header."""
    from werkzeug.serving import make_server

    from mapsvc.app import create_app

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="markup-server", daemon=True)
    thread.start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_port}",
            {"Authorization": f"Bearer {token_for(url, name='markup-admin')}"},
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class Watch:
    """One browser page, and everything it must not do: dialogs, requests for /x or elsewhere."""

    def __init__(self, browser, headers: dict, **kwargs):
        self.dialogs: list[str] = []
        self.bad_requests: list[str] = []
        self.context = browser.new_context(
            locale="zh-CN", extra_http_headers=headers, accept_downloads=True, **kwargs
        )
        self.context.route("**/*", self._guard)
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _guard(self, route) -> None:
        u = urllib.parse.urlsplit(route.request.url)
        local = u.scheme in ("blob", "data", "file") or u.hostname == "127.0.0.1"
        if not local or u.path.endswith("/x"):
            self.bad_requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def check(self, name: str, *, shows: bool = True) -> str:
        """Nothing made from markup so far; the page's text (with the markup shown if shows)."""
        self.page.wait_for_timeout(200)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"markup-{name}.png"))
        seen = self.page.evaluate(PROBE)
        assert seen["made"] == [], (name, seen["made"])
        assert seen["bold"] == 0, name
        assert self.dialogs == [] and self.bad_requests == [], (
            name,
            self.dialogs,
            self.bad_requests,
        )
        if shows:
            assert any(s in seen["text"] for s in SHOWN), (name, seen["text"][:300])
        return seen["text"]

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def watch(browser, live, marked):
    base, headers = live
    lon, lat = marked["service_points"][0]["geometry"]["coordinates"]
    w = Watch(
        browser,
        headers,
        viewport={"width": 1440, "height": 900},
        geolocation={"longitude": lon, "latitude": lat},  # /nearest: "here" is a service point
        permissions=["geolocation"],
    )
    w.base = base
    try:
        yield w
    finally:
        w.close()


# ------------------------------------------------------------------ the map
def _map_ready(page) -> None:
    page.wait_for_function(f"() => document.querySelector('{MAP}').dataset.state === 'ready'")


def _view(page, lat: float, lon: float, zoom: float) -> None:
    page.evaluate(f"mapPage.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_timeout(100)
    _map_ready(page)


def _switch(page, layer_id: str, on: bool) -> None:
    box = page.locator(f"#layer-{layer_id}")
    if box.is_checked() != on:
        box.click()
    page.wait_for_timeout(50)
    _map_ready(page)


def _hover_first(page, selector: str) -> None:
    page.locator(selector).first.hover(force=True)
    page.wait_for_selector(".leaflet-tooltip")


def _point(record: dict) -> tuple[float, float]:
    lon, lat = record["geometry"]["coordinates"]
    return lat, lon


def test_map_tooltips_labels_and_panels_show_markup_as_text(watch, marked):
    page = watch.page
    page.goto(watch.base + "/map")
    _map_ready(page)
    # the first view: branches summed per area of the level that fits, the areas' names as labels
    page.wait_for_selector(".mp-area-label")
    labels = page.locator(".mp-area-label").all_inner_texts()
    assert labels and all(any(s in x for s in SHOWN) for x in labels)
    _hover_first(page, ".mp-bubble:not(.mp-bubble-square)")
    watch.check("map-aggregates")

    for layer_id, records in (
        ("service_points", marked["service_points"]),
        ("migrant_groups", [r for r in marked["migrant_groups"] if r.get("geometry")]),
    ):
        for other in ("branches", "service_points", "migrant_groups"):
            _switch(page, other, False)
        lat, lon = _point(records[0])
        _view(page, lat, lon, 17)
        _switch(page, layer_id, True)
        page.mouse.move(0, 0)
        _hover_first(page, ".leaflet-mp-point-pane path.leaflet-interactive")
        assert any(s in page.locator(".leaflet-tooltip").first.inner_text() for s in SHOWN)
        watch.check(f"map-{layer_id}")
        # a click opens the record panel with the name as its title
        page.locator(".leaflet-mp-point-pane path.leaflet-interactive").first.click(force=True)
        page.wait_for_function(f"() => document.querySelector('{MAP}').dataset.panel")
        page.wait_for_function(
            "() => document.querySelector('#record-title').textContent.length > 0"
        )
        watch.check(f"map-{layer_id}-panel")
        page.locator("#record-close").click()

    # a branch's record: its name, its parents' names, its nearest service point
    _switch(page, "service_points", False)
    _switch(page, "migrant_groups", False)
    branch = next(r for r in marked["branches"] if r.get("geometry"))
    page.evaluate(f"mapPage.showOrg({branch['id']})")
    page.wait_for_function(
        f"() => document.querySelector('{MAP}').dataset.panel === 'org:{branch['id']}'"
    )
    page.wait_for_function(
        "name => document.querySelector('#record-title').textContent === name",
        arg=branch["name"],
    )
    watch.check("map-branch-panel")

    # search lists names too
    page.locator("#search").fill("X")
    page.wait_for_selector(".search-item")
    watch.check("map-search")


def test_map_export_file_shows_markup_as_text(watch, marked, tmp_path):
    page = watch.page
    sp = marked["service_points"][0]
    lat, lon = _point(sp)
    d = 0.02
    bbox = f"{lon - d},{lat - d},{lon + d},{lat + d}"
    path = tmp_path / "map-export.html"
    res = page.request.get(
        f"{watch.base}/map/export.html?bbox={bbox}&zoom=15"
        "&layers=service_points,migrant_groups,branches,grids,admin_areas"
    )
    assert res.status == 200, res.text()[:300]
    path.write_bytes(res.body())
    page.goto(path.as_uri())
    page.wait_for_function(f"() => document.querySelector('{MAP}').dataset.features")
    watch.check("export-file", shows=False)
    page.locator(".leaflet-overlay-pane path.leaflet-interactive").last.click(force=True)
    page.wait_for_selector(".export-popup")
    watch.check("export-popup")


# ------------------------------------------------------------------ the other pages
def test_nearest_labels_results_and_tooltips_show_markup_as_text(watch):
    page = watch.page
    page.goto(watch.base + "/nearest")
    page.wait_for_function("() => document.querySelector('#map').dataset.areas !== undefined")
    assert page.locator("#map").get_attribute("data-areas") not in (None, "error", "0")
    watch.check("nearest-areas")  # street and town names: permanent labels
    page.get_by_role("button", name="定位").click()
    page.wait_for_selector(".result")
    watch.check("nearest-results")
    page.locator(".leaflet-marker-icon.num-marker").first.hover(force=True)
    watch.check("nearest-result-tooltip")


def test_plan_tooltips_and_tables_show_markup_as_text(watch):
    page = watch.page
    page.goto(watch.base + "/plan")
    page.wait_for_function(
        "() => ['ready', 'error'].includes(document.querySelector('#map').dataset.state)"
    )
    assert page.locator("#map").get_attribute("data-state") == "ready"
    watch.check("plan-gaps")  # the gap table lists grid names
    # the service circles' pane lies over the units: hand the unit the pointer's events
    page.evaluate(
        """() => {
          const path = [...document.querySelectorAll('.leaflet-units-pane path')].find(p => {
            const r = p.getBoundingClientRect();
            return r.width > 4 && r.top > 0 && r.left > 0 && r.bottom < innerHeight;
          });
          const r = path.getBoundingClientRect();
          const at = {bubbles: true, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
          path.dispatchEvent(new MouseEvent('mouseover', at));
          path.dispatchEvent(new MouseEvent('mousemove', at));
        }"""
    )
    page.wait_for_selector(".leaflet-tooltip")
    watch.check("plan-unit-tooltip")


def _show_tip(page, chart: str, series: int = 0, index: int = 0) -> None:
    page.evaluate(
        """([id, s, i]) => echarts.getInstanceByDom(document.getElementById('chart-' + id))
             .dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: i})""",
        [chart, series, index],
    )
    page.wait_for_timeout(300)


def test_screen_tooltips_show_markup_as_text(watch):
    page = watch.page
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(watch.base + "/screen")
    page.wait_for_function("() => ['ready', 'error'].includes(document.body.dataset.state)")
    assert page.locator("body").get_attribute("data-state") == "ready"
    watch.check("screen", shows=False)  # names drawn on canvas are pixels, not elements
    _show_tip(page, "streets")
    tip = page.evaluate(
        "() => [...document.querySelectorAll('#chart-streets div')].map(d => d.innerText).join(' ')"
    )
    assert any(s in tip for s in SHOWN), tip
    watch.check("screen-streets-tip")
    _show_tip(page, "map", series=0, index=0)
    watch.check("screen-map-tip", shows=False)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/audit",
        "/api/v1/docs",
        "/ogc/collections?f=html",
        "/ogc/collections/service_points/items?f=html&limit=50",
        "/ogc/collections/migrant_groups/items?f=html&limit=50",
        "/ogc/collections/branches/items?f=html&limit=50",
        "/ogc/collections/grids/items?f=html&limit=20",
        "/ogc/collections/admin_areas/items?f=html&limit=20",
    ],
)
def test_listings_show_markup_as_text(watch, marked, path):
    page = watch.page
    page.goto(watch.base + path)
    page.wait_for_load_state("networkidle")
    shows = path.startswith("/ogc/collections/")  # /audit records field names, not values
    watch.check("page" + path.split("?")[0].replace("/", "-"), shows=shows)


def test_an_ogc_item_page_shows_markup_as_text(watch, marked):
    sp = marked["service_points"][0]
    watch.page.goto(f"{watch.base}/ogc/collections/service_points/items/{sp['id']}?f=html")
    assert MARKUP[0] in watch.check("ogc-item")
