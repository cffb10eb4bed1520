"""Geometry helpers of the demo generator, in a local metric plane per county.

The plane is an affine image of lon/lat (equirectangular at a centre), so straight edges stay
straight and shared boundaries stay shared when converted to EPSG:4326 — grids tile their
community exactly.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union


# ---------------------------------------------------------------- the plane
class Plane:
    """Affine map between lon/lat and metres around a centre (a county seat)."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_540.0

    def to_lonlat(self, geom):
        """A metric-plane geometry as EPSG:4326 lon/lat."""
        return shapely.transform(
            geom,
            lambda xy: np.column_stack(
                [self.lon0 + xy[:, 0] / self.kx, self.lat0 + xy[:, 1] / self.ky]
            ),
        )

    def to_xy(self, geom):
        """An EPSG:4326 geometry in the metric plane."""
        return shapely.transform(
            geom,
            lambda ll: np.column_stack(
                [(ll[:, 0] - self.lon0) * self.kx, (ll[:, 1] - self.lat0) * self.ky]
            ),
        )

    def xy_to_lonlat(self, x, y):
        """Arrays of metres as arrays of lon, lat."""
        return self.lon0 + np.asarray(x) / self.kx, self.lat0 + np.asarray(y) / self.ky

    def lonlat_to_xy(self, lon, lat):
        """Arrays of lon, lat as metres."""
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky


# ---------------------------------------------------------------- geometry helpers
def _polygons(geom) -> list[Polygon]:
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty] + [
        p for g in getattr(geom, "geoms", []) if isinstance(g, MultiPolygon) for p in g.geoms
    ]


def as_multipolygon(geom) -> MultiPolygon:
    """Polygonal parts of geom as a valid MultiPolygon."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return MultiPolygon(_polygons(geom))


def blob(rng: np.random.Generator, cx: float, cy: float, radius: float, n: int = 72) -> Polygon:
    """An irregular star-shaped outline (an urban core around a county seat)."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in (2, 3, 5, 7):
        r += rng.uniform(0.03, 0.10) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    r *= radius
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def points_in(rng: np.random.Generator, geom, n: int) -> np.ndarray:
    """n uniform random points inside geom, as an (n, 2) array."""
    if n <= 0:
        return np.empty((0, 2))
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out = []
    got = 0
    ratio = max(geom.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.05)
    while got < n:
        m = int((n - got) / ratio * 1.3) + 8
        xs = rng.uniform(minx, maxx, m)
        ys = rng.uniform(miny, maxy, m)
        inside = shapely.contains_xy(geom, xs, ys)
        pts = np.column_stack([xs[inside], ys[inside]])
        out.append(pts)
        got += len(pts)
    return np.concatenate(out)[:n]


def partition(geom, seeds: np.ndarray) -> list[MultiPolygon]:
    """Split geom into Voronoi cells of the seeds, one per seed, in seed order."""
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=geom, ordered=True)
    return [as_multipolygon(c.intersection(geom)) for c in cells.geoms]


def spread_seeds(rng: np.random.Generator, geom, n: int, tries: int = 30) -> np.ndarray:
    """n points inside geom kept apart from each other (best of random candidates)."""
    chosen: list[np.ndarray] = []
    for _ in range(n):
        cand = points_in(rng, geom, tries)
        if chosen:
            c = np.array(chosen)
            d = np.min(
                np.hypot(cand[:, None, 0] - c[None, :, 0], cand[:, None, 1] - c[None, :, 1]), axis=1
            )
            chosen.append(cand[int(np.argmax(d))])
        else:
            chosen.append(cand[0])
    return np.array(chosen)


def tile(geom: MultiPolygon, target: int) -> list[tuple[int, int, MultiPolygon]]:
    """Tile geom with about `target` lattice cells; tiny slivers join a neighbour.

    Returns (row, col, piece) with rows counted from the north and columns from the west.
    """
    minx, miny, maxx, maxy = geom.bounds
    side = math.sqrt(geom.area / max(target, 1))
    ncols = max(1, math.ceil((maxx - minx) / side))
    nrows = max(1, math.ceil((maxy - miny) / side))
    shapely.prepare(geom)
    pieces: list[list] = []
    for r in range(nrows):
        for c in range(ncols):
            cell = box(
                minx + c * side, maxy - (r + 1) * side, minx + (c + 1) * side, maxy - r * side
            )
            if not geom.intersects(cell):
                continue
            piece = as_multipolygon(geom.intersection(cell))
            if piece.area > 0:
                pieces.append([r, c, piece])
    full = side * side
    # merge slivers (under a quarter of a cell) into the neighbour sharing most boundary
    changed = True
    while changed and len(pieces) > 1:
        changed = False
        pieces.sort(key=lambda p: p[2].area)
        small = pieces[0]
        if small[2].area >= 0.25 * full:
            break
        best, best_len = None, 0.0
        for other in pieces[1:]:
            shared = small[2].boundary.intersection(other[2].boundary).length
            if shared > best_len:
                best, best_len = other, shared
        if best is None:
            break
        best[2] = as_multipolygon(unary_union([best[2], small[2]]))
        pieces.pop(0)
        changed = True
    pieces.sort(key=lambda p: (p[0], p[1]))
    return [(r, c, g) for r, c, g in pieces]
