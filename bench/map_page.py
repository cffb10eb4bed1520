"""Benchmark of the map page /map at the city view, in headless Chromium, against a naive page.

With the demo city at `province` scale (BENCH_MAP_SCALE, default province) in a scratch database,
served by `mapsvc serve --workers 2`, each round opens, in a fresh browser context (cold
cache) at 1920×1080 with every non-loopback request blocked:

* ours: /map, as a logged-in admin;
* naive: a folium page the benchmark builds itself, embedding every branch as GeoJSON (the
  branches layer's own items) drawn as circle markers, on the same local Leaflet — the way a
  folium map is usually made.

It reports the time to idle — from navigation start until the last of: the load event, the
last response, and (ours) the map's last "ready" mark (all tiles and counts drawn) — and
the bytes transferred (response bodies and headers as Chromium counts them). Targets for
ours: under 2 s and under 3 MB. Medians of ROUNDS interleaved rounds, with min–max and the
ratios naive ÷ ours.
"""

from __future__ import annotations

import functools
import http.server
import os
import statistics
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2.extras import RealDictCursor

from bench.nearest import scratch_db, serving
from mapsvc.dev import cluster
from mapsvc.infra.config import external_database_url
from mapsvc.infra.db import libpq_dsn

ROUNDS = int(os.environ.get("BENCH_MAP_ROUNDS", "5"))
VIEWPORT = {"width": 1920, "height": 1080}
TARGET_S = 2.0
TARGET_BYTES = 3_000_000
CHROMIUM = "/usr/bin/chromium"
LOCAL = ("127.0.0.1", "localhost")


def _token(url: str) -> str:
    """An admin API token in the scratch database."""
    from mapsvc.access import accounts

    with (
        psycopg2.connect(libpq_dsn(url)) as conn,
        conn.cursor(cursor_factory=RealDictCursor) as cur,
    ):
        accounts.add_user(cur, "bench_map_page", "admin", None, None)
        token = accounts.issue_token(cur, "bench_map_page")
    conn.close()
    return token


def naive_page(url: str, base: str, folder: Path) -> tuple[Path, int]:
    """The naive folium page: every branch embedded as GeoJSON; returns (file, features)."""
    import json

    import folium

    from layers import all_layers
    from mapsvc.ogc import features
    from mapsvc.webmap.page import LEAFLET, LocalMap

    with (
        psycopg2.connect(libpq_dsn(url)) as conn,
        conn.cursor(cursor_factory=RealDictCursor) as cur,
    ):
        text, _returned, matched = features.items(
            cur, all_layers()["branches"], features.ItemQuery(limit=10_000_000)
        )
        # the territory held (its top-most areas), the view /map opens on
        cur.execute(
            "SELECT ST_XMin(e) w, ST_YMin(e) s, ST_XMax(e) e, ST_YMax(e) n FROM "
            "(SELECT ST_Extent(a.geom)::geometry e FROM admin_areas a WHERE NOT EXISTS "
            "(SELECT 1 FROM admin_areas p WHERE p.code = a.parent_code)) x"
        )
        b = cur.fetchone()
    conn.close()
    data = {"type": "FeatureCollection", "features": json.loads(text)}
    m = LocalMap(
        js=[("leaflet", f"{base}/static/{LEAFLET}/leaflet.js")],
        css=[("leaflet_css", f"{base}/static/{LEAFLET}/leaflet.css")],
        location=[(b["s"] + b["n"]) / 2, (b["w"] + b["e"]) / 2],
        zoom_start=10,
        tiles=None,
    )
    folium.GeoJson(
        data,
        name="branches",
        marker=folium.CircleMarker(radius=4, fill=True, fill_opacity=0.9, weight=1),
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"]),
    ).add_to(m)
    m.fit_bounds([[b["s"], b["w"]], [b["n"], b["e"]]])
    path = folder / "naive.html"
    m.save(str(path))
    return path, matched


@contextmanager
def static_server(folder: Path):
    """The folder over HTTP on a free loopback port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request: not wanted
        pass


def measure(browser, url: str, headers: dict | None, ready_mark: bool) -> dict:
    """Open url in a fresh context; time to idle (s), bytes transferred, requests."""
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers=headers or {})
    blocked, sizes, failed = [], [], []

    def guard(route):
        from urllib.parse import urlsplit

        if urlsplit(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(300_000)

    def finished(request):
        s = request.sizes()
        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url, wait_until="load")
    if ready_mark:
        page.wait_for_function(
            "() => document.querySelector('.folium-map').dataset.state === 'ready'"
        )
    page.wait_for_load_state("networkidle")
    idle_ms = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const ends = performance.getEntriesByType('resource').map(r => r.responseEnd);
            const marks = performance.getEntriesByName('mapsvc-ready').map(m => m.startTime);
            return Math.max(nav.loadEventEnd, nav.responseEnd, ...ends, ...marks);
        }"""
    )
    slowest = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .map(r => [r.duration, r.name.replace(location.origin, '')])
            .sort((a, b) => b[0] - a[0]).slice(0, 3)"""
    )
    drawn = page.evaluate(
        "() => document.querySelectorAll('.leaflet-overlay-pane path, canvas.leaflet-tile, "
        ".leaflet-marker-pane > *').length"
    )
    context.close()
    if blocked or failed:
        raise RuntimeError(f"{url}: blocked {blocked[:3]} failed {failed[:3]}")
    return {
        "s": idle_ms / 1000,
        "bytes": sum(sizes),
        "requests": len(sizes),
        "drawn": drawn,
        "slowest": slowest,
    }


def _stats(runs: list[dict], key: str) -> tuple[float, float, float]:
    values = [r[key] for r in runs]
    return statistics.median(values), min(values), max(values)


def main() -> None:
    """Load the scale, serve it, open both pages ROUNDS times; print medians and ratios."""
    from playwright.sync_api import sync_playwright

    if not external_database_url():
        cluster.up()
    scale = os.environ.get("BENCH_MAP_SCALE", "province")
    runs: dict = {"ours": [], "naive": []}
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp, scratch_db(scale) as url:
        folder = Path(tmp)
        token = _token(url)
        with serving(url, folder / "serve.log") as base:
            path, branches = naive_page(url, base, folder)
            with static_server(folder) as naive_base, sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                )
                auth = {"Authorization": f"Bearer {token}"}
                for _ in range(2):  # warm both workers' caches (layer extents, statements)
                    measure(browser, base + "/map", auth, True)
                for _ in range(ROUNDS):
                    runs["ours"].append(measure(browser, base + "/map", auth, True))
                    runs["naive"].append(measure(browser, f"{naive_base}/{path.name}", None, False))
                browser.close()
    print(
        f"scale {scale}: {branches:,} branches; city view at {VIEWPORT['width']}×"
        f"{VIEWPORT['height']}, {ROUNDS} rounds, fresh context (cold cache) each"
    )
    print(f"{'page':<7} {'idle s (median, min–max)':>26} {'MB transferred':>16} {'requests':>9}")
    for who in ("ours", "naive"):
        s, s0, s1 = _stats(runs[who], "s")
        b, _, _ = _stats(runs[who], "bytes")
        n, _, _ = _stats(runs[who], "requests")
        print(f"{who:<7} {s:>10.2f} ({s0:.2f}–{s1:.2f}){'':>7} {b / 1e6:>16.2f} {n:>9.0f}")
    slow: dict = {}
    for r in runs["ours"]:
        for ms, name in r["slowest"]:
            slow.setdefault(name.split("?")[0], []).append(ms)
    top = sorted(slow.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    print(
        "ours, slowest requests (median ms): "
        + ", ".join(f"{name} {statistics.median(ms):.0f}" for name, ms in top)
    )
    s_ours, s_naive = _stats(runs["ours"], "s")[0], _stats(runs["naive"], "s")[0]
    b_ours, b_naive = _stats(runs["ours"], "bytes")[0], _stats(runs["naive"], "bytes")[0]
    print(
        f"naive ÷ ours: time {s_naive / s_ours:.1f}×, bytes {b_naive / b_ours:.1f}×; "
        f"ours vs targets: {s_ours:.2f} s (< {TARGET_S} s: {'ok' if s_ours < TARGET_S else 'MISSED'}), "
        f"{b_ours / 1e6:.2f} MB (< {TARGET_BYTES / 1e6:.0f} MB: "
        f"{'ok' if b_ours < TARGET_BYTES else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
    sys.exit(0)
