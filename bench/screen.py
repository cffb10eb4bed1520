"""Benchmark of the leaders' wall screen (/screen and /api/v1/stats/*) at `province` scale.

* each stats endpoint: the first request on a cold service (every figure computed from the
  million members), then the median of WARM_REQUESTS requests served from the snapshot
  cached per data version — target under 200 ms;
* first full render of /screen in headless Chromium (a fresh browser context each time:
  navigation until every figure and chart is drawn) — target under 3 s; the median of
  RENDERS, beside the render on a cold service;
* a long run (BENCH_SCREEN_MINUTES, default 10) with the carousel changing street every 3 s
  and the figures refreshed every 5 s, a record changed every 2 minutes (so the map is
  rebuilt too): JS heap after a forced garbage collection (CDP HeapProfiler.collectGarbage,
  Runtime.getHeapUsage) at the start and every minute — target under 20 % growth.

The scale is loaded into a scratch database (bench.nearest.scratch_db) served by
`mapsvc serve --workers 2` (bench.nearest.serving), dropped afterwards.
`BENCH_SCREEN_SCALE=city` for a quicker run.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2

from bench.nearest import scratch_db, serving
from mapsvc.access import accounts
from mapsvc.dev import cluster
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import cursor, libpq_dsn

CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 200.0
TARGET_RENDER_S = 3.0
TARGET_GROWTH = 0.20
WARM_REQUESTS = 40
RENDERS = 5
VIEWPORT = {"width": 1920, "height": 1080}
READY = "() => document.body.dataset.state === 'ready'"
HEADERS: dict = {}  # a kiosk account's token, as a wall screen would hold


def kiosk_headers(url: str) -> dict:
    """Authorization for a new kiosk account in the database at url."""
    with cursor(url) as cur:
        accounts.add_user(cur, "bench-screen", "kiosk", None, None)
        token = accounts.issue_token(cur, "bench-screen", label="bench screen")
    return {"Authorization": f"Bearer {token}"}


def _get(base: str, path: str) -> tuple[float, dict]:
    t = time.perf_counter()
    req = urllib.request.Request(base + path, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=300) as res:
        body = json.load(res)
    return (time.perf_counter() - t) * 1000, body


def endpoint_paths(base: str) -> list[str]:
    """Every stats endpoint for the root area, a county of it (the drill-down) and the
    street-filtered forms for the first-ranked street."""
    _, streets = _get(base, "/api/v1/stats/streets")
    code = streets["streets"][0]["code"]
    _, areas = _get(base, "/api/v1/stats/areas")
    county = next((a["code"] for a in areas["items"] if a["level"] == "county"), code)
    return [
        "/api/v1/stats/overview",
        f"/api/v1/stats/overview?street={code}",
        f"/api/v1/stats/overview?area={county}",
        "/api/v1/stats/areas",
        f"/api/v1/stats/areas?parent={county}",
        "/api/v1/stats/streets",
        "/api/v1/stats/flows",
        f"/api/v1/stats/flows?street={code}",
        "/api/v1/stats/map",
        f"/api/v1/stats/map?area={county}",
    ]


def latencies(base: str, paths: list[str]) -> dict[str, dict]:
    """Median and 95th percentile (ms) of WARM_REQUESTS requests per path, interleaved."""
    times: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(WARM_REQUESTS):
        for p in paths:
            times[p].append(_get(base, p)[0])
    out = {}
    for p, ts in times.items():
        ts.sort()
        out[p] = {
            "median": statistics.median(ts),
            "p95": ts[int(0.95 * (len(ts) - 1))],
            "min": ts[0],
        }
    return out


def render_once(browser, base: str, parts: list | None = None) -> float:
    """Seconds from navigation to a screen with every figure and chart drawn."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", extra_http_headers=HEADERS)
    try:
        page = context.new_page()
        t = time.perf_counter()
        page.goto(base + "/screen", wait_until="commit")
        page.wait_for_function(READY, timeout=300_000)
        page.wait_for_function(
            "() => ['age','category','map','streets','flows'].every(id => "
            "document.querySelector('#chart-' + id + ' canvas'))"
        )
        took = time.perf_counter() - t
        if parts is not None:  # where the time went, by the page's own clock
            parts.append(
                page.evaluate(
                    "() => [performance.getEntriesByType('navigation')[0].responseEnd,"
                    " performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,"
                    " Number(document.body.dataset.readyMs)]"
                )
            )
        return took
    finally:
        context.close()


def touch_record(url: str, n: int) -> None:
    """Change one service point's opening hours: the data version moves, nothing else."""
    with psycopg2.connect(libpq_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE service_points SET opening_hours = %s "
            "WHERE id = (SELECT min(id) FROM service_points)",
            (f"09:00-17:{n % 60:02d}",),
        )
    conn.close()


def heap_run(browser, base: str, url: str, minutes: float) -> dict:
    """JS heap (after forced GC) at the start and each minute of a long carousel run."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", extra_http_headers=HEADERS)
    try:
        page = context.new_page()
        page.goto(base + "/screen?carousel=1&carousel_s=3&refresh=5")
        page.wait_for_function(READY, timeout=300_000)
        cdp = context.new_cdp_session(page)
        cdp.send("HeapProfiler.enable")

        def heap() -> float:
            cdp.send("HeapProfiler.collectGarbage")
            return cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6

        page.wait_for_timeout(30_000)  # first carousel rounds: caches, fonts, glyphs
        samples = [heap()]
        start = time.monotonic()
        changes = 0
        next_change = start + 120
        for minute in range(1, int(minutes) + 1):
            end = start + 60 * minute
            while time.monotonic() < end:
                if time.monotonic() >= next_change:
                    changes += 1
                    touch_record(url, changes)
                    next_change += 120
                page.wait_for_timeout(1000)
            samples.append(heap())
            print(f"   heap after {minute} min: {samples[-1]:.1f} MB", flush=True)
        left = minutes - int(minutes)
        if left > 0:
            page.wait_for_timeout(left * 60_000)
            samples.append(heap())
        steps = int(page.locator("body").get_attribute("data-carousel-steps") or 0)
        refreshes = int(page.locator("body").get_attribute("data-refreshes") or 0)
        return {
            "samples": samples,
            "growth": (samples[-1] - samples[0]) / samples[0],
            "steps": steps,
            "refreshes": refreshes,
            "changes": changes,
        }
    finally:
        context.close()


def main() -> None:
    """Load, serve and measure; one line per measurement with its target."""
    from playwright.sync_api import sync_playwright

    if not external_database_url():
        cluster.up()
    scale = os.environ.get("BENCH_SCREEN_SCALE", "province")
    minutes = float(os.environ.get("BENCH_SCREEN_MINUTES", "10"))
    t = time.perf_counter()
    with scratch_db(scale) as url, tempfile.TemporaryDirectory(prefix="bench-screen-") as tmp:
        print(f"scale {scale}: loaded in {time.perf_counter() - t:.0f} s", flush=True)
        HEADERS.update(kiosk_headers(url))
        with (
            serving(url, Path(tmp) / "serve.log") as base,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                cold_render = render_once(browser, base)  # both workers start cold
                for _ in range(4):  # warm both workers
                    _get(base, "/api/v1/stats/overview")
                # a record changes: a thread recounts; requests wait at most 2 s for it
                touch_record(url, 0)
                t0 = time.perf_counter()
                first_ms, body = _get(base, "/api/v1/stats/overview")
                cold = {"first_ms": first_ms, "stale": body["stale"]}
                while body["stale"]:
                    time.sleep(0.5)
                    body = _get(base, "/api/v1/stats/overview")[1]
                cold["fresh_s"] = time.perf_counter() - t0
                cold["compute_ms"] = body["computed_in_ms"]
                for _ in range(8):  # the other worker's recount
                    _get(base, "/api/v1/stats/overview")
                    time.sleep(0.5)
                paths = endpoint_paths(base)
                lat = latencies(base, paths)
                parts: list = []
                renders = sorted(render_once(browser, base, parts) for _ in range(RENDERS))
                heap = heap_run(browser, base, url, minutes)
            finally:
                browser.close()

    print(f"{'measurement':<46} {'value':>12} {'target':>10} {'ratio':>7}")
    failures = []

    def line(name: str, value: float, unit: str, target: float) -> None:
        ratio = value / target
        print(f"{name:<46} {value:>10.1f}{unit:>2} {target:>8.0f}{unit:>2} {ratio:>7.2f}")
        if ratio > 1:
            failures.append(name)

    for path, r in lat.items():
        line(f"GET {path[len('/api/v1/stats/') :]} median", r["median"], "ms", TARGET_MS)
        print(f"{'':<6}p95 {r['p95']:.1f} ms, min {r['min']:.1f} ms")
    print(
        f"{'after a change: first overview':<46} {cold['first_ms']:>10.0f}ms "
        f"({'previous figures, stale' if cold['stale'] else 'new figures'}); new figures "
        f"after {cold['fresh_s']:.1f} s (recount {cold['compute_ms']} ms, once per worker)"
    )
    line("first full render, warm service (median)", renders[len(renders) // 2], " s", 3.0)
    print(f"{'':<6}renders {', '.join(f'{r:.2f}' for r in renders)} s")
    print(
        f"{'':<6}by the page's clock (ms from navigation: HTML received, scripts run, figures "
        f"drawn): {'; '.join('/'.join(f'{x:.0f}' for x in p) for p in parts)}"
    )
    print(f"{'first full render, cold service':<46} {cold_render:>10.1f} s")
    line(
        f"JS heap growth over {minutes:g} min (%)",
        heap["growth"] * 100,
        " %",
        TARGET_GROWTH * 100,
    )
    print(
        f"{'':<6}heap MB {' → '.join(f'{s:.1f}' for s in heap['samples'])}; "
        f"{heap['steps']} carousel steps, {heap['refreshes']} loads, "
        f"{heap['changes']} record changes"
    )
    if failures:
        print("over target: " + "; ".join(failures))
