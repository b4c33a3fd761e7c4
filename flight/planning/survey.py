"""Area survey: boustrophedon transects clipped to a polygon (concave, with holes) joined inside it.

Transects are parallel lines at the spacing that gives the asked side overlap of the camera footprint;
each line is clipped against the polygon with shapely, so a line crossing a hole or a concavity becomes
several segments. Segments are visited greedily from the entry corner and joined by the shortest path
that stays inside the polygon (visibility graph), so no leg of the survey leaves the area.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import LineString, Polygon

from flight.planning.errors import PlanParameterError
from flight.planning.fence import Geofence
from flight.planning.geometry import LatLon, PolygonRouter, XY, enu_polygon, to_latlon
from flight.planning.items import ItemBuilder
from flight.planning.model import CameraSpec, Home, PatrolPlan, RallyPoint, SurveySpan

#: Segments shorter than this (m) are dropped (a transect grazing a vertex).
MIN_SEGMENT_M = 0.5
#: How many nearest candidates get a true inside-path cost when choosing the next segment.
_CANDIDATES = 6


@dataclass(frozen=True)
class SurveyGeometry:
    """Result of the transect layout in ENU metres: the flown polyline and which pieces image the ground."""

    waypoints: list[XY]
    imaging: list[tuple[XY, XY]]  # transect segments in flight order (start, end)
    spacing_m: float
    angle_deg: float
    line_count: int
    extra: dict = field(default_factory=dict)


def _uv_matrix(angle_deg: float) -> list[float]:
    """Affine params mapping (east, north) -> (u along the transect bearing, v across); it is its own inverse."""
    t = math.radians(angle_deg)
    s, c = math.sin(t), math.cos(t)
    return [s, c, c, -s, 0.0, 0.0]


def _segments(poly_uv: Polygon, spacing: float) -> tuple[list[tuple[int, np.ndarray]], int]:
    """Clip horizontal lines v = const (centred in the polygon's v-extent) against the polygon."""
    umin, vmin, umax, vmax = poly_uv.bounds
    width = vmax - vmin
    n = max(1, math.ceil(width / spacing - 1e-9))
    v0 = vmin + (width - (n - 1) * spacing) / 2.0
    vs = v0 + spacing * np.arange(n)
    lines = shapely.linestrings([[[umin - 1.0, v], [umax + 1.0, v]] for v in vs])
    clipped = shapely.intersection(lines, poly_uv)
    out: list[tuple[int, np.ndarray]] = []
    for k, geom in enumerate(clipped):
        parts = geom.geoms if hasattr(geom, "geoms") else [geom]
        for part in parts:
            if part.geom_type == "LineString" and part.length >= MIN_SEGMENT_M:
                xy = np.asarray(part.coords)[[0, -1]]
                xy = xy[np.argsort(xy[:, 0])]
                out.append((k, xy))
    return out, n


def _swaths(segs: list[np.ndarray], across: float, along: float):
    """Camera coverage of transect segments (u-sorted, in uv): rectangles +-across/2, extended along/2 at the ends."""
    rects = [shapely.box(xy[0, 0] - along / 2, xy[0, 1] - across / 2, xy[1, 0] + along / 2, xy[1, 1] + across / 2)
             for xy in segs]
    return shapely.union_all(rects) if rects else shapely.Polygon()


def _fill_gaps(poly_uv: Polygon, segs: list[tuple[float, np.ndarray]], spacing: float, across: float, along: float,
               rounds: int = 4) -> list[tuple[float, np.ndarray]]:
    """Add transects where the regular lines leave the footprint short of full coverage (concave arms, hole sides)."""
    umin, _, umax, _ = poly_uv.bounds
    min_area = max(1.0, 1e-4 * poly_uv.area)
    for _ in range(rounds):
        gap = poly_uv.difference(_swaths([xy for _, xy in segs], across, along))
        gap = gap.buffer(-0.25).buffer(0.25)  # ignore numerical slivers
        parts = [g for g in getattr(gap, "geoms", [gap]) if not g.is_empty and g.area >= min_area]
        if not parts:
            break
        for part in parts:
            _, a, _, b = part.bounds
            n = max(1, math.ceil((b - a) / spacing - 1e-9))
            for v in a + (b - a - (n - 1) * spacing) / 2 + spacing * np.arange(n):
                cut = LineString([(umin - 1, v), (umax + 1, v)]).intersection(poly_uv)
                for piece in getattr(cut, "geoms", [cut]):
                    if piece.geom_type == "LineString" and piece.length >= MIN_SEGMENT_M and piece.intersects(part):
                        xy = np.asarray(piece.coords)[[0, -1]]
                        segs.append((v / spacing, xy[np.argsort(xy[:, 0])]))
    return segs


def _without_slivers(polygon: Polygon, width_m: float = 0.05) -> Polygon:
    """The polygon less spikes and slivers narrower than 2*width_m (a morphological opening: always a subset)."""
    opened = polygon.buffer(-width_m, quad_segs=2).buffer(width_m, quad_segs=2)
    if opened.geom_type != "Polygon" or opened.area < 0.5 * polygon.area:
        return polygon
    return opened


def _extend(seg: np.ndarray, t: float, poly_uv: Polygon | None) -> np.ndarray:
    """Extend a u-sorted segment by `t` at both ends; clipped back into the polygon when one is given."""
    if t <= 0:
        return seg
    ext = np.array([[seg[0, 0] - t, seg[0, 1]], [seg[1, 0] + t, seg[1, 1]]])
    if poly_uv is None:
        return ext
    inside = LineString(ext).intersection(poly_uv)
    parts = inside.geoms if hasattr(inside, "geoms") else [inside]
    mid = LineString(seg).interpolate(0.5, normalized=True)
    for p in parts:
        if p.geom_type == "LineString" and p.distance(mid) < 1e-6:
            xy = np.asarray(p.coords)[[0, -1]]
            return xy[np.argsort(xy[:, 0])]
    return seg


def layout_survey(polygon: Polygon, spacing_m: float, angle_deg: float = 0.0, entry: int = 0,
                  turnaround_m: float = 0.0, keep_inside: bool = True,
                  footprint_m: tuple[float, float] | None = None) -> SurveyGeometry:
    """Transects over an ENU polygon: spacing (m), bearing of the lines (deg), entry corner 0..3, turnaround (m).

    Entry: 0/1 start on the first line (smallest cross-track coordinate) at its low/high end, 2/3 on the last.
    With `footprint_m` (across, along) extra transects are added wherever the camera footprints of the regular
    lines would leave part of the polygon unseen (arms of a U, strips beside holes).
    With keep_inside (default) turnaround stubs are clipped to the polygon so every leg stays inside it.
    """
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        raise PlanParameterError(f"line spacing must be > 0 m, got {spacing_m!r}")
    if entry not in (0, 1, 2, 3):
        raise PlanParameterError(f"entry corner must be 0..3, got {entry!r}")
    if turnaround_m < 0:
        raise PlanParameterError(f"turnaround distance must be >= 0 m, got {turnaround_m!r}")
    if polygon.is_empty or polygon.area <= 0:
        raise PlanParameterError("survey polygon is empty")
    polygon = _without_slivers(polygon)
    m = _uv_matrix(angle_deg)
    poly_uv = shapely.affinity.affine_transform(polygon, m)
    segs, n_lines = _segments(poly_uv, spacing_m)
    if not segs:
        raise PlanParameterError(f"no transect fits the polygon at spacing {spacing_m:.1f} m")
    if footprint_m is not None:
        segs = _fill_gaps(poly_uv, [(float(k), xy) for k, xy in segs], spacing_m, *footprint_m)
    # Grow segments by the turnaround: kept inside the polygon, or free (checked against the fence later).
    flown = [(k, _extend(xy, turnaround_m, poly_uv if keep_inside else None), xy) for k, xy in segs]
    router = PolygonRouter(poly_uv if keep_inside else poly_uv.buffer(turnaround_m + 1.0, join_style="mitre"))

    # Entry corner.
    first_line = min(k for k, _, _ in flown) if entry in (0, 1) else max(k for k, _, _ in flown)
    cands = [i for i, (k, _, _) in enumerate(flown) if k == first_line]
    high = entry in (1, 3)
    start_i = max(cands, key=lambda i: flown[i][1][1, 0]) if high else min(cands, key=lambda i: flown[i][1][0, 0])
    order: list[tuple[int, bool]] = [(start_i, high)]  # (segment index, reversed?)
    left = set(range(len(flown))) - {start_i}
    pos = flown[start_i][1][0 if high else 1]
    while left:
        ends = [(i, r, flown[i][1][1 if r else 0]) for i in left for r in (False, True)]
        d = np.array([math.dist(pos, p) for _, _, p in ends])
        near = np.argsort(d)[: _CANDIDATES]
        best, best_cost = None, math.inf
        for j in near:
            i, r, p = ends[j]
            cost = d[j] if router.visible(tuple(pos), tuple(p)) else _plen(router.path(tuple(pos), tuple(p)))
            cost += 1e-6 * abs(flown[i][0] - flown[order[-1][0]][0])  # prefer the neighbouring line on ties
            if cost < best_cost:
                best, best_cost = (i, r), cost
        i, r = best
        order.append((i, r))
        left.discard(i)
        pos = flown[i][1][0 if r else 1]

    waypoints: list[XY] = []
    imaging: list[tuple[XY, XY]] = []
    for i, r in order:
        seg = flown[i][1][::-1] if r else flown[i][1]
        a, b = tuple(map(float, seg[0])), tuple(map(float, seg[1]))
        if waypoints:
            waypoints.extend(router.path(waypoints[-1], a)[1:-1])
        waypoints.extend([a, b])
        core = flown[i][2][::-1] if r else flown[i][2]
        imaging.append((tuple(map(float, core[0])), tuple(map(float, core[1]))))

    mat = np.array([[m[0], m[1]], [m[2], m[3]]])
    back = lambda pts: [tuple(map(float, p)) for p in np.asarray(pts, dtype=float).reshape(-1, 2) @ mat.T]  # noqa: E731
    wps = back(waypoints)
    img_pts = back([p for seg in imaging for p in seg])
    return SurveyGeometry(wps, list(zip(img_pts[0::2], img_pts[1::2])), spacing_m, angle_deg, n_lines)


def _plen(pts: Sequence[XY]) -> float:
    return sum(math.dist(a, b) for a, b in zip(pts[:-1], pts[1:]))


def survey_spacing(camera: CameraSpec, alt_m: float, side_overlap_pct: float) -> tuple[float, float, float]:
    """(line spacing, footprint across, footprint along) in metres for `side_overlap_pct` at `alt_m`."""
    if not 0.0 <= side_overlap_pct < 100.0:
        raise PlanParameterError(f"side overlap must be in [0, 100) %, got {side_overlap_pct!r}")
    across, along = camera.footprint_m(alt_m)
    return across * (1.0 - side_overlap_pct / 100.0), across, along


def plan_survey(area: Sequence[LatLon], home: Home, *, alt_m: float | None = None, gsd_cm: float | None = None,
                camera: CameraSpec = CameraSpec(), side_overlap_pct: float = 20.0, front_overlap_pct: float = 70.0,
                angle_deg: float = 0.0, entry: int = 0, turnaround_m: float = 0.0, keep_inside: bool = True,
                speed_mps: float | None = None, holes: Sequence[Sequence[LatLon]] = (), fence: Geofence | None = None,
                rally: Sequence[RallyPoint] = (), takeoff_alt_m: float | None = None, return_home: bool = True) -> PatrolPlan:
    """A survey mission over `area` (lat, lon ring) at `alt_m` or at the altitude giving `gsd_cm`.

    Items: TAKEOFF, [DO_CHANGE_SPEED], per transect WAYPOINT start, DO_SET_CAM_TRIGG_DIST(d),
    WAYPOINT end, DO_SET_CAM_TRIGG_DIST(0), inside-the-area connecting WAYPOINTs, then RTL.
    """
    if (alt_m is None) == (gsd_cm is None):
        raise PlanParameterError("give exactly one of alt_m or gsd_cm")
    if alt_m is None:
        alt_m = camera.alt_for_gsd(float(gsd_cm))
    if not (math.isfinite(alt_m) and alt_m > 0):
        raise PlanParameterError(f"survey altitude must be > 0 m, got {alt_m!r}")
    if not 0.0 <= front_overlap_pct < 100.0:
        raise PlanParameterError(f"front overlap must be in [0, 100) %, got {front_overlap_pct!r}")
    spacing, across, along = survey_spacing(camera, alt_m, side_overlap_pct)
    trigger = along * (1.0 - front_overlap_pct / 100.0)
    frame = home.frame()
    poly = enu_polygon(frame, area, holes)
    geom = layout_survey(poly, spacing, angle_deg, entry, turnaround_m, keep_inside, (across, along))

    b = ItemBuilder()
    b.takeoff(takeoff_alt_m if takeoff_alt_m is not None else alt_m)
    if speed_mps is not None:
        b.speed(speed_mps)
    first = len(b.items)
    img_starts = {tuple(np.round(s, 6)) for s, _ in geom.imaging}
    img_ends = {tuple(np.round(e, 6)) for _, e in geom.imaging}
    ll = to_latlon(frame, geom.waypoints)
    for (lat, lon), xy in zip(ll, geom.waypoints):
        key = tuple(np.round(xy, 6))
        b.waypoint(lat, lon, alt_m)
        if key in img_starts:
            b.camera_trigger_distance(trigger)
        elif key in img_ends:
            b.camera_trigger_distance(0.0)
    last = len(b.items)
    if return_home:
        b.rtl()
    ring = [tuple(p) for p in area]
    span = SurveySpan(first=first, last=last, polygon=ring, alt_m=alt_m, angle_deg=angle_deg, spacing_m=spacing,
                      turnaround_m=turnaround_m, entry=entry, camera=camera, side_overlap_pct=side_overlap_pct,
                      front_overlap_pct=front_overlap_pct, trigger_distance_m=trigger,
                      holes=[list(map(tuple, h)) for h in holes])
    return PatrolPlan(kind="survey", home=home, items=b.items, fence=fence or Geofence(), rally=list(rally),
                      swath_m=across, swath_along_m=along, cruise_speed_mps=speed_mps or 8.0, surveys=[span], area_polygon=ring,
                      notes={"area_holes": [list(map(tuple, h)) for h in holes], "alt_m": alt_m, "spacing_m": spacing,
                             "footprint_m": (across, along), "gsd_cm": camera.gsd_cm(alt_m), "trigger_distance_m": trigger,
                             "lines": geom.line_count, "segments": len(geom.imaging)})
