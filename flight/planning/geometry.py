"""Local-metre geometry for planners: WGS84 <-> ENU shapes and shortest paths that stay inside a polygon."""
from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from geo.frames import LocalFrame

from flight.planning.errors import PlanParameterError

LatLon = tuple[float, float]
XY = tuple[float, float]

#: Tolerance (m) for "on the boundary counts as inside" containment checks.
INSIDE_TOL_M = 1e-3


def frame_for(points: Sequence[LatLon], name: str = "plan") -> LocalFrame:
    """A local frame at the mean of `points` (for shapes that have no home yet)."""
    arr = np.asarray(points, dtype=float)
    return LocalFrame(float(arr[:, 0].mean()), float(arr[:, 1].mean()), 0.0, name=name)


def to_enu_xy(frame: LocalFrame, points: Sequence[LatLon]) -> np.ndarray:
    """(lat, lon) points -> N x 2 (east, north) metres in `frame` (at the frame's altitude)."""
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    e, n, _ = frame.to_enu(arr[:, 0], arr[:, 1], frame.alt)
    return np.column_stack([np.atleast_1d(e), np.atleast_1d(n)])


def to_latlon(frame: LocalFrame, xy: np.ndarray | Sequence[XY]) -> list[LatLon]:
    """N x 2 (east, north) metres in `frame` -> list of (lat, lon)."""
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    lat, lon, _ = frame.to_wgs84(arr[:, 0], arr[:, 1], np.zeros(len(arr)))
    return [(float(a), float(b)) for a, b in zip(np.atleast_1d(lat), np.atleast_1d(lon))]


def enu_polygon(frame: LocalFrame, ring: Sequence[LatLon], holes: Sequence[Sequence[LatLon]] = ()) -> Polygon:
    """A valid shapely Polygon in ENU metres from a (lat, lon) ring and holes; raises on degenerate input."""
    if len(ring) < 3:
        raise PlanParameterError(f"polygon needs >= 3 vertices, got {len(ring)}")
    poly = Polygon(to_enu_xy(frame, ring), [to_enu_xy(frame, h) for h in holes if len(h) >= 3])
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
        if poly.geom_type != "Polygon":
            parts = [g for g in getattr(poly, "geoms", []) if g.geom_type == "Polygon"]
            if not parts:
                raise PlanParameterError("polygon is degenerate (no area)")
            poly = max(parts, key=lambda g: g.area)
    if poly.area < 1.0:
        raise PlanParameterError(f"polygon area {poly.area:.3g} m^2 is too small to plan in")
    return poly


def path_length(xy: Sequence[XY]) -> float:
    """Length (m) of a polyline."""
    arr = np.asarray(xy, dtype=float)
    return float(np.hypot(*np.diff(arr, axis=0).T).sum()) if len(arr) > 1 else 0.0


class PolygonRouter:
    """Shortest paths between points of a polygon that never leave it (visibility graph + Dijkstra)."""

    def __init__(self, polygon: Polygon, tol_m: float = INSIDE_TOL_M) -> None:
        self.polygon = polygon
        self._area = polygon.buffer(tol_m)
        shapely.prepare(self._area)
        rings = [polygon.exterior, *polygon.interiors]
        self._nodes = np.array([c for r in rings for c in list(r.coords)[:-1]], dtype=float)
        n = len(self._nodes)
        self._adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        ii, jj = np.triu_indices(n, k=1)
        if len(ii):
            lines = shapely.linestrings(np.stack([self._nodes[ii], self._nodes[jj]], axis=1))
            ok = shapely.covers(self._area, lines)
            for i, j in zip(ii[ok], jj[ok]):
                d = float(np.hypot(*(self._nodes[i] - self._nodes[j])))
                self._adj[i].append((j, d))
                self._adj[j].append((i, d))

    def visible(self, a: XY, b: XY) -> bool:
        """True when the straight segment a -> b stays inside the polygon."""
        return bool(self._area.covers(LineString([a, b]))) if a != b else True

    def _visible_nodes(self, p: XY) -> list[tuple[int, float]]:
        if not len(self._nodes):
            return []
        lines = shapely.linestrings(np.stack([np.broadcast_to(p, self._nodes.shape), self._nodes], axis=1))
        ok = shapely.covers(self._area, lines)
        d = np.hypot(*(self._nodes - np.asarray(p)).T)
        return [(int(k), float(d[k])) for k in np.flatnonzero(ok)]

    def path(self, a: XY, b: XY) -> list[XY]:
        """Vertices of the shortest inside path a -> b (a and b included); raises when none exists."""
        a, b = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
        if self.visible(a, b):
            return [a, b]
        n = len(self._nodes)
        src, dst = n, n + 1
        from_a = self._visible_nodes(a)
        to_b = {k: d for k, d in self._visible_nodes(b)}
        dist = {src: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, src)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == dst:
                break
            if d > dist.get(u, math.inf):
                continue
            nbrs = from_a if u == src else self._adj[u] + ([(dst, to_b[u])] if u in to_b else [])
            for v, w in nbrs:
                nd = d + w
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if dst not in dist:
            raise PlanParameterError("no path inside the polygon between two transects (disconnected area?)")
        chain = [dst]
        while chain[-1] != src:
            chain.append(prev[chain[-1]])
        pts = {src: a, dst: b}
        return [pts[k] if k in pts else (float(self._nodes[k][0]), float(self._nodes[k][1])) for k in reversed(chain)]
