"""/map: the layered electronic map, composed by folium on the project's own Leaflet copy.

folium writes the page and the Leaflet map; every script and style it links is one of the
project's pinned copies in web/static/vendor (folium's CDN defaults are replaced), so the page
loads nothing from outside. The layer list comes from the layer catalog (layers/); big layers
arrive as vector tiles or bbox-limited items from /ogc, never embedded in the page.
web/static/js/map.js then drives the map (switcher, legend, record panel, search, export).

/map/export.html writes the current view as one standalone file: the same composition with
the visible features embedded and every script and style inlined, for reports offline.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import folium
from branca.element import Figure, MacroElement
from flask import Blueprint, Response, current_app, request
from jinja2 import Template

from layers import all_layers
from mapsvc import access
from mapsvc.domain.errors import BadInput
from mapsvc.http import params
from mapsvc.infra import db
from mapsvc.infra.config import PROJECT_ROOT, basemap_settings
from mapsvc.infra.sql import Queries, execute
from mapsvc.ogc import catalog, extents, features

query = Queries(__file__)

log = logging.getLogger(__name__)
bp = Blueprint("map_page", __name__)

LEAFLET = "vendor/leaflet-1.9.4"
VECTORGRID = "vendor/leaflet.vectorgrid-1.3.0"
MARKERCLUSTER = "vendor/leaflet.markercluster-1.5.3"
# the scripts and styles of the page, in load order; all served from web/static
PAGE_JS = [
    ("leaflet", f"{LEAFLET}/leaflet.js"),
    ("vectorgrid", f"{VECTORGRID}/Leaflet.VectorGrid.bundled.min.js"),
    ("markercluster", f"{MARKERCLUSTER}/leaflet.markercluster.js"),
    ("i18n", "js/i18n.js"),
    ("common", "js/common.js"),
    ("map_page", "js/map.js"),
]
PAGE_CSS = [
    ("leaflet_css", f"{LEAFLET}/leaflet.css"),
    ("markercluster_css", f"{MARKERCLUSTER}/MarkerCluster.css"),
    ("map_css", "css/map.css"),
]
EXPORT_JS = [
    PAGE_JS[0],
    ("i18n", "js/i18n.js"),
    ("common", "js/common.js"),
    ("map_page", "js/map.js"),
    ("map_export", "js/map-export.js"),
]
EXPORT_CSS = [PAGE_CSS[0], ("map_css", "css/map.css")]

# How the page shows some layers: small point layers as clustered markers (bbox-limited
# items), branches summed per street or town below a zoom (server aggregates); the rest as
# vector tiles. Orgs open their record (/api/v1/orgs/{id}/summary) when clicked.
CLUSTERED = {"service_points", "migrant_groups"}
AGGREGATED_BELOW = {"branches": 13}
# the level branches are summed by at each zoom (below `below`): cities at a province's view,
# counties at a city's, streets and towns at a county's, then the branches themselves
AGGREGATE_LEVELS = [
    {"level": "city", "below": 8},
    {"level": "county", "below": 11},
    {"level": "street", "below": 13},
]
ORG_RECORDS = {"branches", "migrant_groups"}
ITEM_LIMIT = 2000
EXPORT_LIMIT = 5000  # features of one layer in an exported view
# the view when the database holds no area yet: 榆林市
DEFAULT_BOUNDS = [[36.8, 107.2], [39.6, 111.3]]
TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T={layer}_w&x={x}&y={y}&l={z}&tk={key}"


class MapFigure(Figure):
    """The HTML document: Chinese by default, its title switched by i18n.js."""

    _template = Template(
        "<!doctype html>\n"
        '<html lang="{{ this.lang }}" data-i18n-title="{{ this.title_key }}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        "<title>{{ this.title }}</title>\n"
        '<link rel="icon" href="data:,">\n'
        "{{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        '<body class="{{ this.body_class }}">\n'
        "{{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>\n"
        "{{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</html>\n"
    )

    def __init__(self, title: str, lang: str, title_key: str, body_class: str):
        super().__init__(title=title)
        self.lang = lang
        self.title_key = title_key
        self.body_class = body_class


class LocalMap(folium.Map):
    """folium's map with its CDN scripts and styles replaced by the given local ones."""

    def __init__(self, *, js: list, css: list, **kwargs):
        super().__init__(**kwargs)
        self._name = "Map"
        self._id = "main"  # a stable element id: map_main
        self.default_js = js
        self.default_css = css


class MapApp(MacroElement):
    """The page's own parts around the map, and the call that hands the map to map.js."""

    _template = Template(
        "{% macro html(this, kwargs) %}" + "{{ this.chrome }}" + "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "{{ this.start }}({{ this._parent.get_name() }}, {{ this.config }});"
        "{% endmacro %}"
    )

    def __init__(self, chrome: str, start: str, config: dict):
        super().__init__()
        self._name = "MapApp"
        self.chrome = chrome
        self.start = start
        self.config = _script_json(config)


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _static(path: str) -> str:
    return current_app.static_url_path + "/" + path


# ------------------------------------------------------------------ what the page shows
def _member_filter(principal):
    return access.member_filter(principal, alias="m")


def _kind(geometry_type: str) -> str:
    if geometry_type.endswith("Point"):
        return "point"
    if geometry_type.endswith("LineString"):
        return "line"
    return "polygon"


def layer_bounds(cur, layer) -> list[list[float]] | None:
    """[[s, w], [n, e]] around a layer's features, padded: the page asks no tile outside it.

    The extent is /ogc's (mapsvc.ogc.extents, under the tables' versions: a feature added
    outside it shows at once); personal layers, different for each caller, have none.
    """
    if layer.personal:
        return None
    box = extents.layer_extent(cur, layer)
    if box is None:
        return None
    w, s, e, n = box
    pad_x, pad_y = max((e - w) * 0.02, 0.01), max((n - s) * 0.02, 0.01)
    return [
        [max(s - pad_y, -85.0), max(w - pad_x, -180.0)],
        [min(n + pad_y, 85.0), min(e + pad_x, 180.0)],
    ]


def page_layers(principal, cur=None) -> list[dict]:
    """The layer list of /ogc/collections (mapsvc.ogc.catalog) and how the page draws each."""
    base = request.script_root + "/ogc"  # relative: the page names no host
    out = []
    for layer in catalog.readable_layers(principal):
        entry = {
            **catalog.describe_layer(layer, base),
            # the page's own: titles for i18n.js, how to draw, what a click opens
            "title": {"zh": layer.title_zh, "en": layer.title_en},
            "kind": _kind(layer.geometry_type),
            "render": "cluster" if layer.id in CLUSTERED else "tiles",
            "record": "org" if layer.id in ORG_RECORDS else None,
            "aggregate": None,
            "bounds": layer_bounds(cur, layer) if cur is not None else None,
        }
        if layer.id in AGGREGATED_BELOW:
            entry["aggregate"] = {
                "url": "/api/v1/branch-counts",
                "below": AGGREGATED_BELOW[layer.id],
                "levels": AGGREGATE_LEVELS,
            }
        out.append(entry)
    return out


def city_bounds(cur) -> list[list[float]]:
    """[[south, west], [north, east]] of the territory held (a province, a city or a county)."""
    execute(cur, query("map_city_bounds"), {})
    row = cur.fetchone()
    if not row or row["west"] is None:
        return DEFAULT_BOUNDS
    return [[row["south"], row["west"]], [row["north"], row["east"]]]


def _basemap(m: folium.Map) -> str:
    """Add the configured base map; returns its kind: none, tianditu or xyz."""
    choice, key = basemap_settings(current_app.config)
    if choice == "none":
        return "none"
    if choice == "tianditu":
        if not key:
            log.warning("MAPSVC_BASEMAP=tianditu needs MAPSVC_TIANDITU_KEY; drawing no base map")
            return "none"
        for layer in ("vec", "cva"):
            folium.TileLayer(
                tiles=TIANDITU.replace("{layer}", layer).replace("{key}", key),
                attr="天地图",
                subdomains="01234567",
                max_zoom=18,
                name=f"tianditu_{layer}",
                control=False,
            ).add_to(m)
        return "tianditu"
    folium.TileLayer(tiles=choice, attr=" ", max_zoom=19, name="basemap", control=False).add_to(m)
    return "xyz"


_CHROME = PROJECT_ROOT / "web" / "templates" / "map_chrome.html"


def _compose(
    title: str,
    lang: str,
    bounds,
    js,
    css,
    start: str,
    config: dict,
    chrome: str,
    title_key: str,
    with_basemap: bool,
) -> tuple[str, str]:
    fig = MapFigure(title, lang, title_key, "map-page" if with_basemap else "map-page map-export")
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = LocalMap(
        js=js,
        css=css,
        location=center,
        zoom_start=10,
        tiles=None,
        minZoom=3,  # on the L.map itself (folium's min_zoom/max_zoom only reach tile layers)
        maxZoom=20,
        control_scale=True,
        zoom_control="bottomright",
    )
    fig.add_child(m)
    kind = _basemap(m) if with_basemap else "none"
    config["basemap"] = kind
    m.add_child(MapApp(chrome, start, config))
    return fig.render(), kind


@bp.get("/map")
@params.declare()
def map_page():
    """The layered map: boundaries, grids, roads, orgs, service points, mobile members."""
    principal = access.principal()
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        bounds = city_bounds(cur)
        layers = page_layers(principal, cur)
    config = {
        "layers": layers,
        "bounds": bounds,
        "itemLimit": ITEM_LIMIT,
        "urls": {
            "search": "/api/v1/search",
            "summary": "/api/v1/orgs/{id}/summary",
            "export": "/map/export.html",
        },
    }
    js = [(n, _static(p)) for n, p in PAGE_JS]
    css = [(n, _static(p)) for n, p in PAGE_CSS]
    html, _ = _compose(
        "党建电子地图",
        "zh-CN",
        bounds,
        js,
        css,
        "MapPage.start",
        config,
        _CHROME.read_text(encoding="utf-8"),
        "map_docTitle",
        with_basemap=True,
    )
    return Response(_with_nonce(html), mimetype="text/html")


def _with_nonce(html: str) -> str:
    """folium's inline scripts carry the response's CSP nonce (mapsvc.access)."""
    return html.replace("<script>", f'<script nonce="{access.csp_nonce()}">')


# ------------------------------------------------------------------ standalone export
_LINKED = re.compile(
    r'<script src="(?P<js>[^"]+)"></script>|<link rel="stylesheet" href="(?P<css>[^"]+)"/>'
)


def _inline(html: str) -> str:
    """Every linked local script and style written into the page itself."""
    root = Path(current_app.static_folder)
    prefix = current_app.static_url_path + "/"

    def read(url: str) -> str:
        if not url.startswith(prefix):
            raise ValueError(f"not a local asset: {url}")
        return (root / url.removeprefix(prefix)).read_text(encoding="utf-8")

    def swap(match: re.Match) -> str:
        if match.group("js"):
            return (
                "<script>"
                + re.sub(r"</(script)", r"<\\/\1", read(match.group("js")), flags=re.I)
                + "</script>"
            )
        text = read(match.group("css"))
        return "<style>" + re.sub(r"</(style)", r"<\\/\1", text, flags=re.I) + "</style>"

    return _LINKED.sub(swap, html)


LANGS = {"zh-CN": "中文", "en": "English"}
EXPORT_PARAMS = (
    params.Bbox(required=True),
    params.worded(params.Choice("lang", "语言 / language", LANGS, default="zh-CN"), "bad_lang"),
    params.Integer("zoom", "缩放级别 / zoom", default=12, lo=0, hi=22),
    params.Text("layers", "图层编号，逗号分隔 / layer ids, comma-separated"),
)
"""The export's view: its box, language, zoom and the layers shown."""


def _export_layers(principal, wanted: list[str]) -> list[dict]:
    """The page's descriptions of the wanted layers; unknown or unreadable ones are refused."""
    known = {d["id"]: d for d in page_layers(principal)}
    unknown = [x for x in wanted if x not in known]
    if unknown:
        raise BadInput("unknown_layer", names_zh="、".join(unknown), names=", ".join(unknown))
    return [known[x] for x in wanted]


@bp.get("/map/export.html")
@params.declare(*EXPORT_PARAMS)
def map_export():
    """The view as one file that opens offline: its features and every script inside."""
    q = params.parsed()
    bbox, lang, zoom = q["bbox"], q["lang"], q["zoom"]
    principal = access.principal()
    described = _export_layers(principal, [x for x in (q["layers"] or "").split(",") if x])
    data = []
    with db.cursor(current_app.config["DATABASE_URL"]) as cur:
        for d in described:
            layer = all_layers()[d["id"]]
            text, _returned, matched = features.items(
                cur,
                layer,
                features.ItemQuery(bbox=bbox, limit=EXPORT_LIMIT),
                _member_filter(principal) if layer.personal else None,
            )
            data.append({"layer": d, "features": json.loads(text), "matched": matched})
    w, s, e, n = bbox
    config = {"layers": data, "bounds": [[s, w], [n, e]], "zoom": zoom, "lang": lang}
    js = [(n_, _static(p)) for n_, p in EXPORT_JS]
    css = [(n_, _static(p)) for n_, p in EXPORT_CSS]
    title = "党建电子地图（导出）" if lang == "zh-CN" else "Party-building map (export)"
    html, _ = _compose(
        title,
        lang,
        [[s, w], [n, e]],
        js,
        css,
        "MapExport.start",
        config,
        '<div class="export-title" data-i18n="map_exportHeading"></div>'
        '<div id="legend" class="export-legend"></div>',
        "map_exportDocTitle",
        with_basemap=False,
    )
    body = _inline(html)
    return Response(
        body,
        mimetype="text/html",
        headers={"Content-Disposition": 'attachment; filename="map-export.html"'},
    )
