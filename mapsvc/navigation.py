"""Links that open walking navigation in the phone's map app.

Gaode (Amap) takes GCJ-02 and Baidu BD-09, so the destination is converted here, through
geodata.crs. These are links for the phone to follow; the server never calls these services.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from geodata import crs

SOURCE = "mapsvc"  # apps ask callers to name themselves


def links_many(places: list[tuple[str, float, float]], origin: tuple[float, float]) -> list[dict]:
    """Walking-navigation links from origin to each (name, lon, lat), all WGS84.

    The coordinates are converted in one vectorised call per system: this runs per request.
    """
    lons = [origin[0], *(p[1] for p in places)]
    lats = [origin[1], *(p[2] for p in places)]
    glon, glat = crs.from_wgs84(lons, lats, crs.GCJ02)
    blon, blat = crs.from_wgs84(lons, lats, crs.BD09)
    g = [(round(float(x), 6), round(float(y), 6)) for x, y in zip(glon, glat, strict=True)]
    b = [(round(float(x), 6), round(float(y), 6)) for x, y in zip(blon, blat, strict=True)]
    return [_links(name, g[i + 1], b[i + 1], g[0], b[0]) for i, (name, _, _) in enumerate(places)]


def links(name: str, lon: float, lat: float, origin: tuple[float, float]) -> dict:
    """Walking-navigation links to one place (lon, lat) from origin, both WGS84."""
    return links_many([(name, lon, lat)], origin)[0]


def _enc(params: dict) -> str:
    return urlencode(params, quote_via=quote, safe=",:|")


def _links(name: str, gcj: tuple, bd: tuple, gcj_from: tuple, bd_from: tuple) -> dict:
    me = "我的位置"
    gaode = {
        "from": f"{gcj_from[0]},{gcj_from[1]},{me}",
        "to": f"{gcj[0]},{gcj[1]},{name}",
        "mode": "walk",
        "src": SOURCE,
        "coordinate": "gaode",
        "callnative": "1",
    }
    baidu = {
        "origin": f"latlng:{bd_from[1]},{bd_from[0]}|name:{me}",
        "destination": f"latlng:{bd[1]},{bd[0]}|name:{name}",
        "mode": "walking",
        "coord_type": "bd09ll",
        "output": "html",
        "src": SOURCE,
    }
    gaode_app = {
        "sourceApplication": SOURCE,
        "slat": gcj_from[1],
        "slon": gcj_from[0],
        "sname": me,
        "dlat": gcj[1],
        "dlon": gcj[0],
        "dname": name,
        "dev": "0",
        "t": "2",
    }
    baidu_app = {k: v for k, v in baidu.items() if k != "output"}
    return {
        "gaode": f"https://uri.amap.com/navigation?{_enc(gaode)}",
        "baidu": f"https://api.map.baidu.com/direction?{_enc(baidu)}",
        "gaode_app": f"amapuri://route/plan/?{_enc(gaode_app)}",
        "baidu_app": f"baidumap://map/direction?{_enc(baidu_app)}",
    }
