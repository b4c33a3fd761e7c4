"""Geofence built from uploaded fence items: inclusion/exclusion polygons and circles, home circle, max altitude."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mavlink
from shapely import prepared
from shapely.geometry import Point, Polygon

from geo.frames import LocalFrame

from .mission_store import MissionItem

C = mavlink
BREACH_NONE, BREACH_MAXALT, BREACH_BOUNDARY = C.FENCE_BREACH_NONE, C.FENCE_BREACH_MAXALT, C.FENCE_BREACH_BOUNDARY


@dataclass
class FenceGeometry:
    """Fence areas in local ENU metres (x = east, y = north)."""

    inclusions: list = field(default_factory=list)
    exclusions: list = field(default_factory=list)
    return_point: tuple[float, float, float] | None = None  # lat, lon, alt (as uploaded)

    @classmethod
    def from_items(cls, items: list[MissionItem], frame: LocalFrame) -> "FenceGeometry":
        """Group polygon vertices (param1 = vertex count) and circles (param1 = radius m) into shapes."""
        geom = cls()
        i = 0
        while i < len(items):
            it = items[i]
            if it.command in (C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
                n = int(it.param1)
                group = items[i:i + n]
                e, nn, _ = frame.to_enu(np.array([g.lat for g in group]), np.array([g.lon for g in group]), frame.alt)
                poly = Polygon(list(zip(e.tolist(), nn.tolist())))
                if not poly.is_valid:
                    poly = poly.buffer(0)
                shape = prepared.prep(poly)
                (geom.inclusions if it.command == C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION else geom.exclusions).append(
                    (shape, poly))
                i += max(n, 1)
                continue
            if it.command in (C.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, C.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION):
                e, nn, _ = frame.to_enu(it.lat, it.lon, frame.alt)
                circle = Point(float(e), float(nn)).buffer(float(it.param1), 64)
                (geom.inclusions if it.command == C.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION else geom.exclusions).append(
                    (prepared.prep(circle), circle))
            elif it.command == C.MAV_CMD_NAV_FENCE_RETURN_POINT:
                geom.return_point = (it.lat, it.lon, it.z)
            i += 1
        return geom


@dataclass
class FenceChecker:
    """Decides the breach type for a position, honouring FENCE_ENABLE / FENCE_TYPE / FENCE_ALT_MAX / FENCE_RADIUS."""

    geometry: FenceGeometry = field(default_factory=FenceGeometry)

    def breach(self, east: float, north: float, alt_rel_m: float, home_en: tuple[float, float] | None,
               params) -> int:
        """FENCE_BREACH type at a position (ENU metres, altitude above home), BREACH_NONE when inside."""
        if not params["FENCE_ENABLE"]:
            return BREACH_NONE
        ftype = int(params["FENCE_TYPE"])
        if ftype & 1 and alt_rel_m > params["FENCE_ALT_MAX"]:
            return BREACH_MAXALT
        if ftype & 2 and home_en is not None and params["FENCE_RADIUS"] > 0:
            if math.hypot(east - home_en[0], north - home_en[1]) > params["FENCE_RADIUS"]:
                return BREACH_BOUNDARY
        if ftype & 4:
            p = Point(east, north)
            for shape, _ in self.geometry.inclusions:
                if not shape.contains(p):
                    return BREACH_BOUNDARY
            for shape, _ in self.geometry.exclusions:
                if shape.contains(p):
                    return BREACH_BOUNDARY
        return BREACH_NONE
