"""What the map page asks of the database: an org's record for its side panel (who it is, where
it sits, who is in it), and branch counts per street or town for low zooms."""

from __future__ import annotations

from mapsvc.infra.sql import Queries, execute
from mapsvc.lookup import service as lookup

query = Queries(__file__)


def org_summary(cur, org_id: int) -> dict | None:
    """The org with its parent chain, member counts over its subtree and nearest service point."""
    execute(cur, query("org_summary"), {"id": org_id})
    row = cur.fetchone()
    if row is None:
        return None
    org = dict(row)
    lon, lat = org.pop("lon"), org.pop("lat")
    org["founded_on"] = org["founded_on"].isoformat() if org["founded_on"] else None
    org["location"] = None if lon is None else [round(lon, 7), round(lat, 7)]
    org["nearest_service_point"] = None
    if lon is not None:
        sites = lookup.nearest_sites(cur, lon, lat, "service_point", 1)
        if sites:
            s = sites[0]
            org["nearest_service_point"] = {
                "id": s["id"],
                "code": s["properties"]["code"],
                "name": s["properties"]["name"],
                "level": s["properties"]["level"],
                "location": [round(s["lon"], 7), round(s["lat"], 7)],
                "distance_m": s["distance_m"],
                "network_distance_m": s["network_distance_m"],
                "walk_minutes": s["walk_minutes"],
            }
    return org


# ?level= of /api/v1/branch-counts → the area levels it sums over
BRANCH_COUNT_LEVELS = {
    "city": "市 / city",
    "county": "区县 / county",
    "street": "街道（镇乡） / street or town",
}
_LEVELS_OF = {"city": ["city"], "county": ["county"], "street": ["street", "town"]}


def branch_counts(cur, level: str = "street") -> list[dict]:
    """Branches and their members per area of a level (an aggregate: no person's data)."""
    execute(cur, query("branch_counts"), {"levels": _LEVELS_OF[level]})
    return cur.fetchall()
