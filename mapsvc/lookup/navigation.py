"""Links that open walking navigation in the phone's map app.

Gaode (Amap) takes GCJ-02 and Baidu BD-09, so the destination is converted here, through
geodata.crs. These are links for the phone to follow; the server never calls these services.
"""

from __future__ import annotations

from urllib.parse import quote

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


_ME = quote("我的位置")


def _links(name: str, gcj: tuple, bd: tuple, gcj_from: tuple, bd_from: tuple) -> dict:
    # built with f-strings around one quoted name: urlencode per link cost more than the query
    q = quote(name, safe="")
    gaode = (
        f"from={gcj_from[0]},{gcj_from[1]},{_ME}&to={gcj[0]},{gcj[1]},{q}"
        f"&mode=walk&src={SOURCE}&coordinate=gaode&callnative=1"
    )
    baidu = (
        f"origin=latlng:{bd_from[1]},{bd_from[0]}|name:{_ME}"
        f"&destination=latlng:{bd[1]},{bd[0]}|name:{q}&mode=walking&coord_type=bd09ll"
    )
    gaode_app = (
        f"sourceApplication={SOURCE}&slat={gcj_from[1]}&slon={gcj_from[0]}&sname={_ME}"
        f"&dlat={gcj[1]}&dlon={gcj[0]}&dname={q}&dev=0&t=2"
    )
    return {
        "gaode": f"https://uri.amap.com/navigation?{gaode}",
        "baidu": f"https://api.map.baidu.com/direction?{baidu}&output=html&src={SOURCE}",
        "gaode_app": f"amapuri://route/plan/?{gaode_app}",
        "baidu_app": f"baidumap://map/direction?{baidu}&src={SOURCE}",
    }
