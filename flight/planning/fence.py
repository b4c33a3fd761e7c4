"""Geofence values (inclusion/exclusion polygons and circles) and their MAVLink fence items."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import LineString, Point, Polygon

from geo.frames import LocalFrame

from flight.mission import Cmd, Frame, MissionItem, MissionType
from flight.planning.errors import PlanParameterError


@dataclass(frozen=True)
class FencePolygon:
    """A fence polygon: vertices (lat, lon) in order, not closed; inclusion keeps the vehicle inside."""

    vertices: list[tuple[float, float]]
    inclusion: bool = True

    def __post_init__(self) -> None:
        if len(self.vertices) < 3:
            raise PlanParameterError(f"fence polygon needs >= 3 vertices, got {len(self.vertices)}")


@dataclass(frozen=True)
class FenceCircle:
    """A fence circle: centre (lat, lon) and radius in metres; inclusion keeps the vehicle inside."""

    lat: float
    lon: float
    radius_m: float
    inclusion: bool = True

    def __post_init__(self) -> None:
        if not self.radius_m > 0:
            raise PlanParameterError(f"fence circle radius must be > 0, got {self.radius_m!r}")


@dataclass(frozen=True)
class Geofence:
    """All fence zones of a plan, plus the optional fence return point (lat, lon)."""

    polygons: list[FencePolygon] = field(default_factory=list)
    circles: list[FenceCircle] = field(default_factory=list)
    return_point: tuple[float, float] | None = None

    @property
    def empty(self) -> bool:
        """True when no zone is defined."""
        return not self.polygons and not self.circles

    def to_items(self) -> list[MissionItem]:
        """MAV_MISSION_TYPE_FENCE items: NAV_FENCE_POLYGON_VERTEX_* (param1 = vertex count), NAV_FENCE_CIRCLE_* (param1 = radius)."""
        out: list[MissionItem] = []
        if self.return_point is not None:
            out.append(MissionItem.at(0, Cmd.NAV_FENCE_RETURN_POINT, *self.return_point, 0.0,
                                      frame=Frame.GLOBAL_INT, mission_type=MissionType.FENCE))
        for poly in self.polygons:
            cmd = Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION if poly.inclusion else Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION
            for lat, lon in poly.vertices:
                out.append(MissionItem.at(0, cmd, lat, lon, 0.0, frame=Frame.GLOBAL_INT,
                                          params=(float(len(poly.vertices)), 0.0, 0.0, 0.0), mission_type=MissionType.FENCE))
        for c in self.circles:
            cmd = Cmd.NAV_FENCE_CIRCLE_INCLUSION if c.inclusion else Cmd.NAV_FENCE_CIRCLE_EXCLUSION
            out.append(MissionItem.at(0, cmd, c.lat, c.lon, 0.0, frame=Frame.GLOBAL_INT,
                                      params=(float(c.radius_m), 0.0, 0.0, 0.0), mission_type=MissionType.FENCE))
        return [item.with_seq(i) for i, item in enumerate(out)]

    @classmethod
    def from_items(cls, items: list[MissionItem]) -> "Geofence":
        """Rebuild a Geofence from fence items; raises PlanParameterError on a truncated polygon."""
        polygons: list[FencePolygon] = []
        circles: list[FenceCircle] = []
        ret = None
        i = 0
        while i < len(items):
            it = items[i]
            if it.command in (Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
                n = int(round(it.param1))
                group = items[i:i + n]
                if n < 3 or len(group) < n or any(g.command != it.command for g in group):
                    raise PlanParameterError(f"fence item {i}: polygon of {n} vertices is truncated or mixed")
                polygons.append(FencePolygon([(g.lat_deg, g.lon_deg) for g in group],
                                             it.command == Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION))
                i += n
                continue
            if it.command in (Cmd.NAV_FENCE_CIRCLE_INCLUSION, Cmd.NAV_FENCE_CIRCLE_EXCLUSION):
                circles.append(FenceCircle(it.lat_deg, it.lon_deg, float(it.param1),
                                           it.command == Cmd.NAV_FENCE_CIRCLE_INCLUSION))
            elif it.command == Cmd.NAV_FENCE_RETURN_POINT:
                ret = (it.lat_deg, it.lon_deg)
            i += 1
        return cls(polygons, circles, ret)


@dataclass(frozen=True)
class FenceEnu:
    """A Geofence in a local ENU frame (shapely polygons; circles as centre + radius) for exact leg checks.

    `inclusion_rule`: "all" = inside every inclusion zone (ArduPilot), "any" = inside at least one (PX4).
    """

    inclusions: list[Polygon]
    exclusions: list[Polygon]
    inc_circles: list[tuple[float, float, float]]
    exc_circles: list[tuple[float, float, float]]
    inclusion_rule: str = "all"

    @classmethod
    def from_fence(cls, fence: Geofence, frame: LocalFrame, inclusion_rule: str = "all") -> "FenceEnu":
        """Project every zone into `frame`."""
        def poly(p: FencePolygon) -> Polygon:
            lat, lon = np.array(p.vertices, dtype=float).T
            e, n, _ = frame.to_enu(lat, lon, frame.alt)
            return Polygon(np.column_stack([e, n])).buffer(0)

        def circ(c: FenceCircle) -> tuple[float, float, float]:
            e, n, _ = frame.to_enu(c.lat, c.lon, frame.alt)
            return float(e), float(n), c.radius_m

        return cls([poly(p) for p in fence.polygons if p.inclusion], [poly(p) for p in fence.polygons if not p.inclusion],
                   [circ(c) for c in fence.circles if c.inclusion], [circ(c) for c in fence.circles if not c.inclusion],
                   inclusion_rule)

    def leg_problem(self, a: tuple[float, float], b: tuple[float, float], tol_m: float = 0.01) -> str | None:
        """Why the straight leg a -> b (ENU metres) breaks the fence, or None when it is allowed."""
        seg = LineString([a, b]) if a != b else Point(a)
        for k, zone in enumerate(self.exclusions):
            if seg.intersects(zone.buffer(-tol_m)):
                return f"leg enters exclusion polygon {k}"
        for k, (e, n, r) in enumerate(self.exc_circles):
            if seg.distance(Point(e, n)) < r - tol_m:
                return f"leg enters exclusion circle {k}"
        inside = []
        for zone in self.inclusions:
            inside.append(zone.buffer(tol_m).covers(seg))
        for e, n, r in self.inc_circles:
            far = max(np.hypot(a[0] - e, a[1] - n), np.hypot(b[0] - e, b[1] - n))
            inside.append(far <= r + tol_m)
        if not inside:
            return None
        if self.inclusion_rule == "any":
            return None if any(inside) else "leg is outside every inclusion zone"
        bad = [k for k, ok in enumerate(inside) if not ok]
        return None if not bad else f"leg leaves inclusion zone {bad[0]}"
