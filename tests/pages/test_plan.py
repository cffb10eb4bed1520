"""The planner's page /plan, driven in Chromium at a desk size (1440×900).

Like test_page_nearest: the app runs on a local port against the test database; requests to
other hosts are aborted and fail the test; console errors fail it. Screenshots go to
tests/screenshots/plan-*.png for a person to look at.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

SHOTS = Path(__file__).parents[1] / "screenshots"  # tests/screenshots/
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture()
def session(browser, auth_headers):
    """A desk browser context that records requests to other hosts and console errors."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900},
        locale="zh-CN",
        accept_downloads=True,
        extra_http_headers=auth_headers,
    )
    seen = {"external": [], "errors": []}

    def guard(route):
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if url.startswith(("blob:", "data:", "file:")) or host in LOCAL_HOSTS:
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
    try:
        yield page, seen, context
    finally:
        context.close()


HEADERS: dict = {}  # the admin's Authorization header, for calls made outside the browser


@pytest.fixture(autouse=True)
def _logged_in(auth_headers):
    HEADERS.update(auth_headers)


def api(base_url: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base_url + path, data=data, headers={"Content-Type": "application/json", **HEADERS}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"plan-{name}.png"))


def wait_ready(page, attr: str = "state") -> None:
    page.wait_for_function(
        f"() => ['ready', 'error'].includes(document.querySelector('#map').dataset.{attr})"
    )
    name = "data-" + re.sub("([A-Z])", r"-\1", attr).lower()
    assert page.locator("#map").get_attribute(name) == "ready"


def test_landing_has_no_external_assets(client):
    html = client.get("/plan").get_data(as_text=True)
    assert "<title>服务覆盖与选址规划 · 党建电子地图</title>" in html
    assert "http://" not in html and "https://" not in html


def test_plan_page_analysis_gaps_sites_and_org(session, base_url: str, tmp_path: Path):
    page, seen, context = session
    page.goto(base_url + "/plan")
    wait_ready(page)
    grids = api(base_url, "/api/v1/coverage?by=grid")
    # the choropleth: one path per grid, coloured by covered/uncovered
    assert page.locator("#map").get_attribute("data-units") == str(len(grids["units"]))
    assert page.locator(".leaflet-units-pane path").count() == len(grids["units"])
    fills = set(
        page.locator(".leaflet-units-pane path").evaluate_all(
            "els => els.map(e => e.getAttribute('fill'))"
        )
    )
    assert {"#2e7d32", "#c62828"} <= fills
    totals = page.locator("#totals").inner_text()
    t = grids["totals"]
    assert f"{t['covered_units']:,} / {t['units']:,}" in totals
    gaps = api(base_url, "/api/v1/coverage/gaps?limit=100")
    rows = page.locator("#gaps tbody tr")
    assert rows.count() == len(gaps["grids"])
    assert rows.first.locator("td").nth(1).inner_text() == gaps["grids"][0]["name"]
    sites = api(base_url, "/api/v1/service-points?limit=1")["total"]
    assert page.locator("#map").get_attribute("data-service-areas") == str(sites)
    shot(page, "coverage")

    # communities as units, walking mode
    page.locator("input[name=mode][value=walk]").check()
    page.locator("#by").select_option("community")
    page.locator("#run").click()
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.startsWith('分析完成')"
        " && document.querySelector('#map').dataset.state === 'ready'"
    )
    communities = api(base_url, "/api/v1/coverage?by=community&mode=walk&minutes=15")
    assert page.locator("#map").get_attribute("data-units") == str(len(communities["units"]))
    page.locator("#tab-gap-communities").click()
    assert page.locator("#gaps tbody tr").count() > 0
    shot(page, "walk-communities")

    # site suggestions
    page.locator("#k").fill("3")
    page.locator("#plan-btn").click()
    wait_ready(page, "planState")
    expected = api(base_url, "/api/v1/coverage/plan", {"k": 3, "minutes": 15})
    assert page.locator("#sites tbody tr").count() == len(expected["sites"]) > 0
    assert page.locator(".site-marker").count() == len(expected["sites"])
    summary = page.locator("#plan-summary").inner_text()
    assert f"{expected['covered_population_after']:,}" in summary
    shot(page, "sites")

    # organisation coverage
    page.locator("#org-btn").click()
    wait_ready(page, "org")
    org = api(base_url, "/api/v1/org-coverage")
    text = page.locator("#org").inner_text()
    assert f"建议成立流动党员党支部的地点（{len(org['suggested_migrant_groups'])}）" in text
    assert f"正式党员不足 3 人的支部（{len(org['undersized_branches'])}）" in text
    shot(page, "org")

    # exports: XLSX link, GeoJSON and a standalone HTML map that works offline
    href = page.locator("#export-xlsx").get_attribute("href")
    req = urllib.request.Request(base_url + href, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200 and resp.read(2) == b"PK"
    with page.expect_download() as dl:
        page.locator("#export-geojson").click()
    geo = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    layers = {f["properties"]["layer"] for f in geo["features"]}
    assert {"coverage_community", "service_areas", "suggested_sites"} <= layers
    with page.expect_download() as dl:
        page.locator("#export-html").click()
    html_path = tmp_path / "coverage-map.html"
    dl.value.save_as(html_path)
    html = html_path.read_text(encoding="utf-8")
    assert "http://" not in html.split('<script type="application/json"')[0].split("<style>")[0]
    standalone = context.new_page()
    standalone.goto(html_path.as_uri())
    standalone.wait_for_function("() => document.querySelector('#map').dataset.features")
    assert int(standalone.locator("#map").get_attribute("data-features")) == len(geo["features"])
    assert standalone.locator(".leaflet-overlay-pane path").count() > 0
    standalone.screenshot(path=str(SHOTS / "plan-standalone.png"))

    assert seen["external"] == [], seen["external"]
    assert seen["errors"] == [], seen["errors"]


def test_bad_parameters_show_the_message(session, base_url: str):
    page, seen, _ = session
    page.goto(base_url + "/plan")
    wait_ready(page)
    page.locator("input[name=mode][value=walk]").check()
    page.locator("#minutes").fill("600")
    page.locator("#run").click()
    page.wait_for_function("() => document.querySelector('#map').dataset.state === 'error'")
    assert "超过预先计算的路网步行范围" in page.locator("#status").inner_text()
    assert seen["external"] == []
    # the browser logs the 400 responses themselves; nothing else may fail
    assert all("400" in e for e in seen["errors"]), seen["errors"]


def no_horizontal_overflow(page) -> None:
    """Nothing sticks out sideways: not the page, not a card, a table or the header."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1440, f"page is {width}px wide at a 1440px viewport"
    wide = page.evaluate(
        """() => [...document.querySelectorAll(
              '.app-header, .side, .card, .table-wrap, .row, .inline, .legend, .tabs, .leaflet-control')]
            .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
            .map(el => (el.id || el.className) + ': ' + el.scrollWidth + ' > ' + el.clientWidth)"""
    )
    assert wide == [], wide
    # the header's items sit on one line and inside the viewport
    right = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.app-header > *')]"
        ".map(el => el.getBoundingClientRect().right))"
    )
    assert right <= 1440


def chinese_left(page) -> list[str]:
    """Visible text with Chinese in it, leaving out names from the data and the 中文 button."""
    return page.evaluate(
        """() => {
            const skip = '#lang-toggle, #gaps tbody td:nth-child(2), #org li, .leaflet-tooltip';
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
                    if (v && el.id !== 'lang-toggle' && /[\u4e00-\u9fff\uff00-\uffef]/.test(v)) out.push(a + '=' + v);
                }
            }
            return out;
        }"""
    )


def test_language_toggle_switches_plan_to_english_and_back(session, base_url: str, tmp_path: Path):
    page, seen, context = session
    page.goto(base_url + "/plan")
    wait_ready(page)
    page.locator("#k").fill("3")
    page.locator("#plan-btn").click()
    wait_ready(page, "planState")
    page.locator("#org-btn").click()
    wait_ready(page, "org")
    toggle = page.locator("#lang-toggle")
    assert toggle.inner_text() == "EN"
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    toggle.click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Service coverage & site planning · Party-building map"
    assert toggle.inner_text() == "中文"
    assert page.locator("h1").inner_text() == "Service coverage & site planning"
    assert page.get_by_role("button", name="Analyse coverage").is_visible()
    assert page.get_by_role("button", name="Suggest sites").is_visible()
    assert page.get_by_role("button", name="Check organisation coverage").is_visible()
    assert page.get_by_role("tab", name="Grids").get_attribute("aria-selected") == "true"
    assert page.locator("#gaps th").all_inner_texts() == [
        "#",
        "Name",
        "Uncovered population",
        "Uncovered members",
        "Nearest service point",
    ]
    assert page.locator("#sites th").all_inner_texts() == [
        "#",
        "Position (lon, lat)",
        "Population gained",
        "Grids newly covered",
    ]
    assert page.locator(".legend > span").all_inner_texts() == [
        "Covered",
        "Partly covered",
        "Not covered",
    ]
    assert page.locator("#by option").all_inner_texts() == [
        "Grid",
        "Community (village)",
        "Street (town)",
    ]
    assert page.locator("#totals dt").all_inner_texts() == [
        "Units",
        "Population",
        "Members (by residence)",
        "Coverage by",
    ]
    assert "covered" in page.locator("#totals dd").first.inner_text()
    assert page.locator("#status").inner_text().startswith("Analysis done:")
    assert page.locator("#plan-summary").inner_text().startswith("Population covered")
    layer_names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [n.strip() for n in layer_names] == [
        "Coverage",
        "Service areas",
        "Existing service points",
        "Suggested sites",
        "Organisation coverage",
    ]
    # units: distances in m / km; no Chinese left in anything the page itself writes
    nearest = page.locator("#gaps tbody tr").first.locator("td").nth(4).inner_text()
    assert re.fullmatch(r"[\d.]+ (m|km)|—", nearest), nearest
    assert chinese_left(page) == []
    for line in page.locator("#org li").all_inner_texts():
        # names come from the data; the rest of the line is English
        assert re.search(r"(full members|members|migrant branch [\d.]+ k?m|^None)$", line), line
    assert "Grids with 3+ full members but no grid party group" in page.locator("#org").inner_text()
    assert page.locator("#radius").get_attribute("placeholder").startswith("Empty: by level")
    no_horizontal_overflow(page)
    page.locator(".side").evaluate("el => el.scrollTop = 0")
    shot(page, "en")
    page.locator("#plan-title").scroll_into_view_if_needed()
    page.locator(".side").evaluate("el => el.scrollTop = el.scrollHeight / 3")
    shot(page, "en-middle")
    page.locator(".side").evaluate("el => el.scrollTop = el.scrollHeight")
    shot(page, "en-bottom")

    # the standalone map is written in the current language
    with page.expect_download() as dl:
        page.locator("#export-html").click()
    html_path = tmp_path / "coverage-map-en.html"
    dl.value.save_as(html_path)
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith('<!doctype html>\n<html lang="en">')
    assert "<title>Coverage analysis map · Party-building map</title>" in html
    standalone = context.new_page()
    standalone.goto(html_path.as_uri())
    standalone.wait_for_function("() => document.querySelector('#map').dataset.features")
    assert standalone.evaluate("document.documentElement.lang") == "en"
    standalone.close()

    # walking mode: the labels that only show then
    page.locator("input[name=mode][value=walk]").check()
    assert page.locator("#minutes-row").inner_text().strip() == "Walking minutes (75 m/min)"
    page.locator("#minutes").fill("600")
    page.locator("#run").click()
    page.wait_for_function("() => document.querySelector('#map').dataset.state === 'error'")
    assert "exceeds the precomputed road walks" in page.locator("#status").inner_text()
    no_horizontal_overflow(page)
    shot(page, "en-error")

    toggle.click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.title() == "服务覆盖与选址规划 · 党建电子地图"
    assert toggle.inner_text() == "EN"
    assert page.locator("h1").inner_text() == "服务覆盖与选址规划"
    assert page.get_by_role("button", name="分析覆盖").is_visible()
    assert "超过预先计算的路网步行范围" in page.locator("#status").inner_text()
    assert page.locator("#totals dt").first.inner_text() == "统计单元"
    assert "建议成立流动党员党支部的地点" in page.locator("#org").inner_text()
    no_horizontal_overflow(page)
    shot(page, "zh-back")

    # the choice is remembered
    toggle.click()
    page.reload()
    wait_ready(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Service coverage & site planning"
    assert page.locator("#status").inner_text().startswith("Analysis done:")
    shot(page, "en-reload")

    assert seen["external"] == [], seen["external"]
    # the 400s of the too-long walk are logged by the browser itself; nothing else may fail
    assert all("400" in e for e in seen["errors"]), seen["errors"]


def test_plan_restricted_to_a_chosen_area(session, base_url: str):
    page, seen, _ = session
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/" in r.url else None)
    page.goto(base_url + "/plan")
    wait_ready(page)
    page.wait_for_function("() => Number(document.querySelector('#map').dataset.areas) > 0")
    root = api(base_url, "/api/v1/stats/areas")
    county = root["items"][0]
    street = api(base_url, f"/api/v1/stats/areas?parent={county['code']}")["items"][0]
    values = page.locator("#area option").evaluate_all("os => os.map(o => o.value)")
    assert values[:2] == ["", root["parent"]["code"]]
    assert {c["code"] for c in root["items"]} | {street["code"]} <= set(values)
    # a street: coverage, gaps, export and org coverage ask for it
    page.locator("#area").select_option(street["code"])
    assert f"area={street['code']}" in page.url
    asked.clear()
    page.locator("#run").click()
    wait_ready(page)
    prefix = street["code"][:9]
    for path in ("/api/v1/coverage?", "/api/v1/coverage/gaps?"):
        calls = [u for u in asked if path in u]
        assert calls and all(f"area={street['code']}" in u for u in calls), path
    assert f"area={street['code']}" in page.locator("#export-xlsx").get_attribute("href")
    grids = api(base_url, f"/api/v1/coverage?by=grid&area={street['code']}")
    assert 0 < len(grids["units"]) < len(api(base_url, "/api/v1/coverage?by=grid")["units"])
    assert all(u["community_code"].startswith(prefix) for u in grids["units"])
    assert page.locator("#map").get_attribute("data-units") == str(len(grids["units"]))
    rows = page.locator("#gaps tbody tr")
    gaps = api(base_url, f"/api/v1/coverage/gaps?limit=100&area={street['code']}")
    assert rows.count() == len(gaps["grids"])
    asked.clear()
    page.locator("#org-btn").click()
    wait_ready(page, "org")
    assert any(f"/api/v1/org-coverage?area={street['code']}" in u for u in asked)
    shot(page, "area")
    # the address names the area: a reload analyses it at once
    page.goto(base_url + f"/plan?area={county['code']}")
    wait_ready(page)
    assert page.locator("#area").input_value() == county["code"]
    by_county = api(base_url, f"/api/v1/coverage?by=grid&area={county['code']}")
    assert page.locator("#map").get_attribute("data-units") == str(len(by_county["units"]))
    assert seen["errors"] == [] and seen["external"] == []
