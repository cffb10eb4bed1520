"""The layered map /map, driven in Chromium at a desk size (1440×900) and at a phone size.

Like test_page_plan: the app runs on a local port against the test database; requests to
other hosts are aborted and fail the test; console errors fail it. Screenshots go to
tests/screenshots/map-*.png for a person to look at.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import shapely.geometry

from layers import all_layers
from tests.conftest import authorized

SHOTS = Path(__file__).parents[1] / "screenshots"  # tests/screenshots/
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAP = ".folium-map"


HEADERS: dict = {}  # the admin's Authorization header, for calls made outside the browser


@pytest.fixture(autouse=True)
def _logged_in(auth_headers):
    HEADERS.update(auth_headers)


def api(base_url: str, path: str) -> dict:
    req = urllib.request.Request(base_url + path, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


def _context(browser, seen: dict, **kwargs):
    context = browser.new_context(
        locale="zh-CN", accept_downloads=True, extra_http_headers=HEADERS, **kwargs
    )

    def guard(route):
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if url.startswith(("blob:", "data:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            seen["external"].append(url)
            route.abort()

    context.route("**/*", guard)
    return context


def _page(context, seen: dict):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("console", lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    return page


@pytest.fixture()
def desk(browser):
    """A desk-sized page that records requests to other hosts and console errors."""
    seen = {"external": [], "errors": []}
    context = _context(browser, seen, viewport={"width": 1440, "height": 900})
    try:
        yield _page(context, seen), seen, context
    finally:
        context.close()
    assert seen["external"] == [], seen["external"]
    assert seen["errors"] == [], seen["errors"]


@pytest.fixture()
def phone(browser):
    """A phone-sized page (390×844, touch), with the same guards."""
    seen = {"external": [], "errors": []}
    context = _context(
        browser, seen, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        yield _page(context, seen), seen, context
    finally:
        context.close()
    assert seen["external"] == [], seen["external"]
    assert seen["errors"] == [], seen["errors"]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(250)
    page.screenshot(path=str(SHOTS / f"map-{name}.png"))


def wait_ready(page) -> None:
    page.wait_for_function(f"() => document.querySelector('{MAP}').dataset.state === 'ready'")


def open_map(page, base_url: str) -> None:
    page.goto(base_url + "/map")
    wait_ready(page)


def drawn(page, layer_id: str) -> int:
    value = page.locator(MAP).get_attribute("data-drawn-" + layer_id.replace("_", "-"))
    return int(value or 0)


def set_view(page, lat: float, lon: float, zoom: float) -> None:
    page.evaluate(f"mapPage.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_timeout(50)
    wait_ready(page)


def switch(page, layer_id: str, on: bool) -> None:
    box = page.locator(f"#layer-{layer_id}")
    if box.is_checked() != on:
        box.click()
    page.wait_for_timeout(50)
    wait_ready(page)


def screen_point(page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(
        page.evaluate(
            f"""() => {{
                const p = mapPage.map.latLngToContainerPoint([{lat}, {lon}]);
                const r = mapPage.map.getContainer().getBoundingClientRect();
                return [p.x + r.left, p.y + r.top];
            }}"""
        )
    )


def a_feature(base_url: str, layer_id: str) -> dict:
    """One feature of the layer with its geometry, from the OGC API."""
    fc = api(base_url, f"/ogc/collections/{layer_id}/items?limit=1")
    assert fc["features"], f"the demo city has no {layer_id}"
    return fc["features"][0]


def centre(feature: dict) -> tuple[float, float]:
    """(lat, lon) of a point on the feature."""
    p = shapely.geometry.shape(feature["geometry"]).representative_point()
    return p.y, p.x


# ------------------------------------------------------------------ the HTML itself
def test_map_page_loads_nothing_from_outside(client):
    resp = client.get("/map")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<title>党建电子地图</title>" in html
    assert '<html lang="zh-CN"' in html
    # folium's CDN defaults are all replaced by the project's pinned copies
    assert re.findall(r"https?://", html) == []
    assets = re.findall(r'<script src="([^"]+)"|<link rel="stylesheet" href="([^"]+)"', html)
    urls = [a or b for a, b in assets]
    assert any("vendor/leaflet-1.9.4/leaflet.js" in u for u in urls)
    assert any("vendor/leaflet.vectorgrid-1.3.0/" in u for u in urls)
    assert any("vendor/leaflet.markercluster-1.5.3/" in u for u in urls)
    for url in urls:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url


def test_map_page_lists_every_layer_of_the_catalog(client):
    html = client.get("/map").get_data(as_text=True)
    config = json.loads(re.search(r"MapPage\.start\(map_main, (\{.*\})\);", html).group(1))
    ids = [d["id"] for d in config["layers"]]
    public = [lay.id for lay in all_layers().values() if not lay.personal]
    assert [i for i in ids if i in public] == public
    for d in config["layers"]:
        layer = all_layers()[d["id"]]
        assert d["title"] == {"zh": layer.title_zh, "en": layer.title_en}
        assert (d["minzoom"], d["maxzoom"]) == (layer.minzoom, layer.maxzoom)
    # big layers come as tiles or bbox-limited items, never inside the page
    assert "FeatureCollection" not in html
    assert len(html) < 60_000


def test_base_map_is_configurable(app, admin_token):
    client = authorized(app.test_client(), admin_token)
    app.config["MAPSVC_BASEMAP"] = "tianditu"
    app.config["MAPSVC_TIANDITU_KEY"] = "k123"
    html = client.get("/map").get_data(as_text=True)
    assert "tianditu.gov.cn/DataServer?T=vec_w" in html and "tk=k123" in html
    assert "T=cva_w" in html  # the labels over the map
    app.config["MAPSVC_BASEMAP"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = client.get("/map").get_data(as_text=True)
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in html
    # a key is needed for Tianditu; without one, and for anything else, the page draws its own
    for value, key in (("tianditu", None), ("not a url", None)):
        app.config["MAPSVC_BASEMAP"] = value
        app.config["MAPSVC_TIANDITU_KEY"] = key
        html = client.get("/map").get_data(as_text=True)
        assert re.findall(r"https?://", html) == []


def test_map_needs_a_login_and_lists_personal_layers_for_people_with_a_scope(
    anon_client, client_for, client
):
    resp = anon_client.get("/map")
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
    assert anon_client.get("/map/export.html?bbox=109,38,110,39").status_code in (302, 303)
    assert anon_client.get("/api/v1/orgs/1/summary").status_code == 401
    # the branch counts are an aggregate: a kiosk may read them, not an org's record
    kiosk = client_for("kiosk")
    assert kiosk.get("/api/v1/branch-counts").status_code == 200
    assert kiosk.get("/api/v1/orgs/1/summary").status_code in (401, 403)

    def layer_ids(c) -> list[str]:
        html = c.get("/map").get_data(as_text=True)
        config = json.loads(re.search(r"MapPage\.start\(map_main, (\{.*\})\);", html).group(1))
        return [d["id"] for d in config["layers"]]

    personal = [lay.id for lay in all_layers().values() if lay.personal]
    assert personal and set(personal) <= set(layer_ids(client))
    # a kiosk (totals only) does not get the page at all
    assert kiosk.get("/map").status_code in (302, 303, 401, 403)


def test_inline_scripts_carry_the_csp_nonce(client):
    resp = client.get("/map")
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)
    html = resp.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)


# ------------------------------------------------------------------ endpoints behind the page
def test_org_summary_has_the_parent_chain_members_and_nearest_point(client, conn):
    branch = client.get("/api/v1/orgs?level=branch&limit=1").get_json()["items"][0]
    org = client.get(f"/api/v1/orgs/{branch['id']}/summary").get_json()
    assert (org["name"], org["code"], org["category"]) == (
        branch["name"],
        branch["code"],
        branch["category"],
    )
    # the chain, root first, is the parent_code path of the records API
    chain, code = [], branch["parent_code"]
    while code:
        parent = client.get(f"/api/v1/orgs?code={code}").get_json()["items"][0]
        chain.insert(0, parent["name"])
        code = parent["parent_code"]
    assert [p["name"] for p in org["parents"]] == chain and len(chain) >= 2
    members = client.get(f"/api/v1/members?org_code={branch['code']}&limit=1000").get_json()[
        "items"
    ]
    assert org["members"] == len(members)
    assert org["full_members"] == sum(m["status"] == "full" for m in members)
    assert org["probationary_members"] == sum(m["status"] == "probationary" for m in members)
    assert org["mobile_out"] == sum(bool(m["is_mobile"]) for m in members)
    nearest = client.get(
        f"/api/v1/nearest?kind=service_point&k=1&lon={org['location'][0]}&lat={org['location'][1]}"
    ).get_json()["features"][0]
    assert org["nearest_service_point"]["id"] == nearest["id"]
    # the same distance, each rounded to the centimetre on its own path
    assert org["nearest_service_point"]["distance_m"] == pytest.approx(
        nearest["properties"]["distance_m"], abs=0.011
    )
    # a committee counts its whole subtree
    root = org["parents"][1]
    whole = client.get(f"/api/v1/orgs/{root['id']}/summary").get_json()
    assert whole["members"] > org["members"] and whole["child_orgs"] > 0
    assert whole["full_members"] + whole["probationary_members"] == whole["members"]


def test_org_summary_of_a_missing_org_is_404(client):
    for path in ("/api/v1/orgs/987654321/summary", "/api/v1/orgs/99999999999999999999/summary"):
        resp = client.get(path)
        assert resp.status_code == 404
        body = resp.get_json()
        assert body["message"] and body["message_en"]


def test_branch_counts_match_the_branches_inside_each_area(client):
    fc = client.get("/api/v1/branch-counts").get_json()
    areas = client.get("/api/v1/admin-areas?level=street,town&geometry=full&limit=500").get_json()
    assert len(fc["features"]) == len(areas["items"]) > 0
    by_code = {f["properties"]["code"]: f for f in fc["features"]}
    for area in areas["items"][:3]:
        shape = shapely.geometry.shape(area["geometry"])
        w, s, e, n = shape.bounds
        items = client.get(
            f"/ogc/collections/branches/items?bbox={w},{s},{e},{n}&limit=10000"
        ).get_json()["features"]
        inside = [f for f in items if shape.intersects(shapely.geometry.shape(f["geometry"]))]
        f = by_code[area["code"]]
        assert f["properties"]["count"] == len(inside)
        assert f["properties"]["members"] == sum(x["properties"]["member_count"] for x in inside)
        assert shape.intersects(shapely.geometry.Point(f["geometry"]["coordinates"]))


# ------------------------------------------------------------------ in the browser
def test_every_layer_shows_when_switched_on(desk, base_url: str):
    page, seen, _ = desk
    open_map(page, base_url)
    config = page.evaluate("Object.values(mapPage.layers).map(e => e.def)")
    assert len(config) == page.locator(".layer-row").count() >= 9
    shot(page, "city")

    # the first view (the territory held): branches summed per area of the level that fits the
    # zoom, bubbles merged where they crowd
    level = page.locator(MAP).get_attribute("data-aggregate-level")
    counts = api(base_url, f"/api/v1/branch-counts?level={level}")["features"]
    assert drawn(page, "branches") == sum(1 for f in counts if f["properties"]["count"] > 0)
    bubbles = page.locator(".mp-bubble:not(.mp-bubble-square) .mp-bubble-dot").all_inner_texts()
    total = sum(f["properties"]["count"] for f in counts)
    assert sum(int(b.replace(",", "")) for b in bubbles) == total
    assert "汇总" in page.locator("#layer-row-branches").inner_text()

    for d in config:
        layer_id = d["id"]
        for other in config:
            switch(page, other["id"], False)
        feature = a_feature(base_url, layer_id)
        lat, lon = centre(feature)
        zoom = min(max(d["minzoom"], 14 if d["kind"] == "point" else 12), d["maxzoom"])
        if d["aggregate"]:
            zoom = max(zoom, d["aggregate"]["below"] + 1)
        set_view(page, lat, lon, zoom)
        assert drawn(page, layer_id) == 0
        switch(page, layer_id, True)
        n = drawn(page, layer_id)
        assert n > 0, layer_id
        count_text = page.locator(f"#count-{layer_id}").inner_text()
        assert count_text.replace(",", "") == str(n)
        pane = f".leaflet-mp-{d['kind']}-pane"
        if d["render"] == "tiles":
            assert page.locator(f"{pane} canvas.leaflet-tile-loaded").count() > 0, layer_id
        else:
            on_map = page.locator(f"{pane} path.leaflet-interactive, .mp-bubble-square").count()
            assert on_map > 0, layer_id
        shot(page, f"layer-{layer_id}")
        switch(page, layer_id, False)
        assert drawn(page, layer_id) == 0
        if d["render"] == "tiles":
            assert page.locator(f"{pane} canvas").count() == 0


def test_aggregate_level_and_area_labels_follow_the_zoom(desk, base_url: str):
    page, seen, _ = desk
    open_map(page, base_url)
    # the first view fits the territory held (the demo: 榆林市), not one district
    root = api(base_url, "/api/v1/stats/overview")["area"]
    b = page.evaluate(
        "(() => { const b = mapPage.map.getBounds(); return [b.getWest(), "
        "b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )
    counties = api(base_url, "/api/v1/branch-counts?level=county")["features"]
    for f in counties:  # every county held is in view
        lon, lat = f["geometry"]["coordinates"]
        assert b[0] < lon < b[2] and b[1] < lat < b[3], f["properties"]["name"]
    assert root["level"] == "city"
    lon, lat = counties[0]["geometry"]["coordinates"]
    seen_levels = {}
    for zoom, level in [(7, "city"), (9, "county"), (11, "street"), (12, "street")]:
        set_view(page, lat, lon, zoom)
        page.wait_for_function(
            f"() => document.querySelector('{MAP}').dataset.labelLevel === '{level}'"
        )
        wait_ready(page)
        el = page.locator(MAP)
        assert el.get_attribute("data-aggregate-level") == level
        counts = api(base_url, f"/api/v1/branch-counts?level={level}")["features"]
        bubbles = page.locator(".mp-bubble:not(.mp-bubble-square) .mp-bubble-dot").all_inner_texts()
        on_screen = sum(int(x.replace(",", "")) for x in bubbles)
        assert 0 < on_screen <= sum(f["properties"]["count"] for f in counts)
        # labels: names of areas of this level, none overlapping another
        names = page.locator(".mp-area-label").all_inner_texts()
        assert names and set(names) <= {f["properties"]["name"] for f in counts}
        assert int(el.get_attribute("data-labels")) == len(names)
        boxes = [page.locator(".mp-area-label").nth(i).bounding_box() for i in range(len(names))]
        for i, p in enumerate(boxes):
            for q in boxes[i + 1 :]:
                assert not (
                    p["x"] < q["x"] + q["width"]
                    and q["x"] < p["x"] + p["width"]
                    and p["y"] < q["y"] + q["height"]
                    and q["y"] < p["y"] + p["height"]
                )
        seen_levels[zoom] = names
        if zoom in (7, 9):
            shot(page, f"aggregate-{level}")
    assert root["name"] in seen_levels[7]
    assert counties[0]["properties"]["name"] in seen_levels[9]
    # at the branches' own zoom the bubbles give way to the branches
    set_view(page, lat, lon, 13)
    assert page.locator(".mp-bubble:not(.mp-bubble-square)").count() == 0
    assert seen["errors"] == []


def test_click_on_a_branch_shows_its_record(desk, base_url: str):
    page, seen, _ = desk
    open_map(page, base_url)
    branch = a_feature(base_url, "branches")
    org = api(base_url, f"/api/v1/orgs/{branch['id']}/summary")
    lon, lat = branch["geometry"]["coordinates"]
    set_view(page, lat, lon, 18)
    page.mouse.click(*screen_point(page, lat, lon))
    page.wait_for_function(
        f"() => document.querySelector('{MAP}').dataset.panel === 'org:{branch['id']}'"
    )
    panel = page.locator("#record")
    assert panel.is_visible()
    assert page.locator("#record-title").inner_text() == org["name"]
    text = panel.inner_text()
    assert org["code"] in text
    chain = page.locator(".chain li").all_inner_texts()
    assert chain == [p["name"] for p in org["parents"]] + [org["name"]]
    assert org["secretary"] in text
    assert (
        f"{org['members']} 人（正式 {org['full_members']}，预备 {org['probationary_members']}）"
        in text
    )
    assert f"外出 {org['mobile_out']} 人" in text
    assert org["nearest_service_point"]["name"] in text
    shot(page, "record")

    # the chain leads up: a click on the parent shows the parent's record
    parent = org["parents"][-1]
    page.locator(".chain a", has_text=parent["name"]).click()
    page.wait_for_function(
        f"() => document.querySelector('{MAP}').dataset.panel === 'org:{parent['id']}'"
    )
    assert page.locator("#record-title").inner_text() == parent["name"]
    page.locator("#record-close").click()
    assert not panel.is_visible()

    # a click on a grid shows the grid's facts
    switch(page, "branches", False)
    switch(page, "service_points", False)
    switch(page, "grids", True)
    page.mouse.click(*screen_point(page, lat, lon))
    page.wait_for_function(
        f"() => (document.querySelector('{MAP}').dataset.panel || '').startsWith('grids:')"
    )
    # the panel ends up with the grid's whole record, not only what its tile carried
    gid = page.locator(MAP).get_attribute("data-panel").split(":")[1]
    grid = api(base_url, f"/ogc/collections/grids/items/{gid}")["properties"]
    page.wait_for_function(
        "name => document.querySelector('#record-title').textContent === name", arg=grid["name"]
    )
    assert "网格员" in panel.inner_text() and grid["grid_worker"] in panel.inner_text()


def test_search_by_pinyin_initials(desk, base_url: str):
    page, seen, _ = desk
    open_map(page, base_url)
    expected = api(base_url, "/api/v1/search?q=gldj&limit=10")["items"]
    assert expected[0]["name"] == "鼓楼街道"
    page.locator("#search").fill("gldj")
    page.wait_for_selector(".search-item")
    names = page.locator(".search-item .name").all_inner_texts()
    assert names == [x["name"] for x in expected]
    shot(page, "search")
    page.locator(".search-item").first.click()
    # the map flies there (the zoom is animated)
    page.wait_for_function(
        f"""() => {{ const c = mapPage.map.getCenter();
                 return Math.abs(c.lat - {expected[0]["lat"]}) < 1e-4
                     && Math.abs(c.lng - {expected[0]["lon"]}) < 1e-4
                     && mapPage.map.getZoom() === 13; }}"""
    )
    wait_ready(page)
    assert page.locator(".search-item").count() == 0

    # an org found by name opens its record
    org = next(x for x in expected if x["kind"] == "org")
    page.locator("#search").fill(org["code"])
    page.wait_for_selector(".search-item")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('{MAP}').dataset.panel === 'org:{org['id']}'"
    )
    assert page.locator("#record-title").inner_text() == org["name"]


def chinese_left(page) -> list[str]:
    """Visible text with Chinese in it, leaving out names from the data and the 中文 button."""
    return page.evaluate(
        """() => {
            const skip = '#lang-toggle, #record-title, .chain, .facts dd, .mp-bubble-name, .mp-area-label, .leaflet-tooltip';
            const out = [];
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                const el = n.parentElement;
                if (!el || el.closest(skip) || el.closest('script') || !el.getClientRects().length) continue;
                if (/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(n.textContent)) out.push(n.textContent.trim());
            }
            for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
                for (const a of ['placeholder', 'aria-label', 'title']) {
                    const v = el.getAttribute(a);
                    if (v && el.id !== 'lang-toggle' && !el.closest(skip) && /[\u4e00-\u9fff]/.test(v)) out.push(a + '=' + v);
                }
            }
            return out;
        }"""
    )


def test_english_toggle(desk, base_url: str):
    page, seen, _ = desk
    open_map(page, base_url)
    branch = a_feature(base_url, "branches")
    page.evaluate(f"mapPage.showOrg({branch['id']})")
    page.wait_for_function(
        f"() => document.querySelector('{MAP}').dataset.panel === 'org:{branch['id']}'"
    )
    page.locator("#lang-toggle").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Party-building map"
    assert page.locator("h1").inner_text() == "Party-building map"
    titles = [t.strip() for t in page.locator(".layer-title").all_inner_texts()]
    catalog = all_layers()
    assert titles == [catalog[i].title_en for i in page.evaluate("Object.keys(mapPage.layers)")]
    assert "Parent orgs" in page.locator("#record").inner_text()
    assert "Community" in page.locator("#layer-row-branches .legend-values").inner_text()
    assert chinese_left(page) == []
    shot(page, "en")
    page.locator("#lang-toggle").click()
    assert page.locator("h1").inner_text() == "党建电子地图"
    assert "上级组织" in page.locator("#record").inner_text()


def test_export_opens_offline(desk, browser, base_url: str, tmp_path: Path):
    page, seen, _ = desk
    open_map(page, base_url)
    street = api(base_url, "/api/v1/search?q=gldj&limit=1")["items"][0]
    set_view(page, street["lat"], street["lon"], 15)
    for layer_id in ("grids",):
        switch(page, layer_id, True)
    on = [
        i
        for i in page.evaluate("Object.keys(mapPage.layers)")
        if page.locator(f"#layer-{i}").is_checked()
    ]
    with page.expect_download() as dl:
        page.locator("#export").click()
    path = tmp_path / "map-export.html"
    dl.value.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert html.startswith('<!doctype html>\n<html lang="zh-CN"')
    # outside the inlined code (Leaflet's source names its home page in a string) no address
    markup = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    assert re.findall(r"https?://", markup) == []
    assert "<script src=" not in html and 'rel="stylesheet"' not in html
    b = page.evaluate("mapPage.map.getBounds().toBBoxString()")
    expected = 0
    for layer_id in on:
        n = api(base_url, f"/ogc/collections/{layer_id}/items?bbox={b}&limit=1")["numberMatched"]
        expected += min(n, 5000)
    assert expected > 0

    # open the file with every request blocked: it needs nothing but itself
    offline = browser.new_context(viewport={"width": 1200, "height": 800}, offline=True)
    requested, errors = [], []
    offline.route(
        "**/*",
        lambda r: (
            (requested.append(r.request.url), r.abort())
            if not r.request.url.startswith(("file:", "data:"))
            else r.continue_()
        ),
    )
    view = offline.new_page()
    view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    view.on("pageerror", lambda e: errors.append(str(e)))
    view.goto(path.as_uri())
    view.wait_for_function(f"() => document.querySelector('{MAP}').dataset.features")
    assert int(view.locator(MAP).get_attribute("data-features")) == expected
    links = view.evaluate(
        "[...document.querySelectorAll('[src], [href]')].map(e => e.src || e.href)"
    )
    assert [u for u in links if u.startswith("http")] == []
    assert view.locator(".leaflet-overlay-pane path").count() > 0
    legend = view.locator("#legend").inner_text()
    assert "网格" in legend and "党支部" in legend
    view.screenshot(path=str(SHOTS / "map-export.png"))
    offline.close()
    assert requested == [] and errors == [], (requested, errors)


def test_export_refuses_bad_requests(client):
    for query, code in (
        ("bbox=1,2,3", "bad_bbox"),
        ("bbox=110,38,109,39", "bad_bbox"),
        ("bbox=109,38,110,39&layers=nope", "unknown_layer"),
        ("bbox=109,38,110,39&lang=fr", "bad_lang"),
    ):
        resp = client.get("/map/export.html?" + query)
        assert resp.status_code == 400, query
        body = resp.get_json()
        assert body["code"] == code and body["message"] and body["message_en"]


def test_phone_layout(phone, base_url: str):
    page, seen, _ = phone
    open_map(page, base_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.locator("#layers-card").is_visible()
    shot(page, "phone")
    page.locator("#layers-toggle").tap()
    assert page.locator("#layers-card").is_visible()
    box = page.locator("#layers-card").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "phone-layers")
    page.locator("#layers-toggle").tap()
    branch = a_feature(base_url, "branches")
    lon, lat = branch["geometry"]["coordinates"]
    set_view(page, lat, lon, 18)
    page.touchscreen.tap(*screen_point(page, lat, lon))
    page.wait_for_function(
        f"() => document.querySelector('{MAP}').dataset.panel === 'org:{branch['id']}'"
    )
    sheet = page.locator("#record").bounding_box()
    assert sheet["y"] > 844 / 3 and sheet["x"] == 0 and sheet["width"] == 390
    # the header's parts stay inside the screen
    right = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.app-header > *')].map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 390
    shot(page, "phone-record")
