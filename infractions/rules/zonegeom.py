"""Zones in local metres for the rules: signed depth inside a polygon and active-hours checks.

Built once per patrol from a ``geo.zones.ZoneSet`` (its ``.frame`` gives the ENU origin), so every
distance the rules compare with a position's sigma is in metres.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform


class ActiveHoursError(ValueError):
    """An ``active_hours`` entry that is not ``HH:MM-HH:MM``; names the zone."""


def parse_active_hours(zone_id: str, value: object) -> tuple[tuple[int, int], ...] | None:
    """``["07:00-19:00", "22:00-02:00"]`` -> minute ranges; None means always active."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise ActiveHoursError(f"zone {zone_id!r}: active_hours must be a list of 'HH:MM-HH:MM', got {value!r}")
    out = []
    for item in value:
        try:
            start, end = str(item).split("-")
            out.append((_minutes(start), _minutes(end)))
        except ValueError:
            raise ActiveHoursError(f"zone {zone_id!r}: active_hours entry {item!r} is not 'HH:MM-HH:MM'") from None
    return tuple(out)


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 1440:
        raise ValueError(text)
    return h * 60 + m


def is_active(hours: tuple[tuple[int, int], ...] | None, time_s: float, tz: zoneinfo.ZoneInfo) -> bool:
    """Whether a zone with these minute ranges is active at unix time ``time_s`` in local time ``tz``."""
    if hours is None:
        return True
    local = dt.datetime.fromtimestamp(time_s, tz)
    minute = local.hour * 60 + local.minute
    for start, end in hours:
        if start <= end and start <= minute < end:
            return True
        if start > end and (minute >= start or minute < end):  # spans midnight
            return True
    return False


@dataclass(frozen=True)
class MetricZone:
    """One polygon zone in local ENU metres, with its id, kind, active hours and applicable classes."""

    id: str
    kind: str
    polygon: BaseGeometry
    hours: tuple[tuple[int, int], ...] | None
    applies_to: frozenset[str] | None

    def depth_m(self, east: float, north: float) -> float:
        """Signed distance to the boundary: positive inside, negative outside (metres)."""
        point = shapely.Point(east, north)
        dist = float(self.polygon.boundary.distance(point))
        return dist if self.polygon.contains(point) else -dist


@dataclass(frozen=True)
class RoadHit:
    """The road nearest a point (same fields as ``geo.zones.RoadMatch``), found in local metres."""

    road: Any
    distance_m: float
    bearing_deg: float


class ZoneGeometry:
    """The patrol's zones in metres around ``zones.frame``, indexed for per-observation queries.

    Rules receive each observation's (east, north) once from the engine, so point-in-zone and
    nearest-road lookups here avoid a geodetic transform per rule and per zone.
    """

    def __init__(self, zones: object) -> None:
        self.frame = zones.frame  # type: ignore[attr-defined]
        self._zones: dict[str, list[MetricZone]] = {}
        for zone in zones.zones:  # type: ignore[attr-defined]
            if zone.kind not in ("no_parking", "restricted", "privacy"):
                continue
            props = dict(zone.properties or {})
            applies = props.get("applies_to")
            polygon = getattr(zone, "geometry_m", None) or transform(self._lonlat_to_en, zone.geometry)
            metric = MetricZone(
                id=str(zone.id), kind=zone.kind, polygon=polygon,
                hours=parse_active_hours(str(zone.id), props.get("active_hours")),
                applies_to=frozenset(map(str, applies)) if applies else None,
            )
            shapely.prepare(metric.polygon)
            self._zones.setdefault(zone.kind, []).append(metric)
        self._polys = {k: np.array([z.polygon for z in v], dtype=object) for k, v in self._zones.items()}
        self._bounds = {k: np.array([z.polygon.bounds for z in v]) for k, v in self._zones.items()}
        self._roads = list(getattr(zones, "roads", []))
        lines = [getattr(r, "line_m", None) or transform(self._lonlat_to_en, r.line) for r in self._roads]
        self._road_lines = lines
        self._road_tree = shapely.STRtree(lines) if lines else None
        self.max_half_width_m = max((float(r.width_m) / 2.0 for r in self._roads), default=0.0)

    def _lonlat_to_en(self, lon: np.ndarray, lat: np.ndarray, z: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        e, n, _ = self.frame.to_enu(np.asarray(lat), np.asarray(lon), self.frame.alt)
        return e, n

    def to_en(self, lat: float, lon: float) -> tuple[float, float]:
        """WGS84 -> local (east, north) metres."""
        e, n, _ = self.frame.to_enu(lat, lon, self.frame.alt)
        return float(e), float(n)

    def of_kind(self, kind: str) -> list[MetricZone]:
        """Zones of one kind (no_parking, restricted, privacy)."""
        return self._zones.get(kind, [])

    def containing(self, kind: str, east: float, north: float) -> list[tuple[MetricZone, float]]:
        """Zones of ``kind`` that contain the point, each with the depth (distance to its boundary, m)."""
        bounds = self._bounds.get(kind)
        if bounds is None:
            return []
        near = np.nonzero((bounds[:, 0] <= east) & (bounds[:, 2] >= east) & (bounds[:, 1] <= north)
                          & (bounds[:, 3] >= north))[0]
        if len(near) == 0:
            return []
        polys = self._polys[kind][near]
        inside = shapely.contains_xy(polys, east, north)
        if not inside.any():
            return []
        point = shapely.Point(east, north)
        hits = near[inside]
        depths = shapely.distance(shapely.boundary(self._polys[kind][hits]), point)
        zones = self._zones[kind]
        return [(zones[i], float(d)) for i, d in zip(hits, depths)]

    def near(self, kind: str, east: float, north: float, margin_m: float) -> list[tuple[MetricZone, float]]:
        """Zones of ``kind`` within ``margin_m`` of the point, with signed depth (negative outside)."""
        bounds = self._bounds.get(kind)
        if bounds is None:
            return []
        near = np.nonzero((bounds[:, 0] - margin_m <= east) & (bounds[:, 2] + margin_m >= east)
                          & (bounds[:, 1] - margin_m <= north) & (bounds[:, 3] + margin_m >= north))[0]
        if len(near) == 0:
            return []
        polys = self._polys[kind][near]
        point = shapely.Point(east, north)
        dist = shapely.distance(shapely.boundary(polys), point)
        signed = np.where(shapely.contains_xy(polys, east, north), dist, -dist)
        zones = self._zones[kind]
        return [(zones[i], float(d)) for i, d in zip(near, signed) if d >= -margin_m]

    def nearest_road(self, east: float, north: float, max_dist_m: float) -> RoadHit | None:
        """The nearest road centre line within ``max_dist_m`` and its bearing there (direction of travel)."""
        if self._road_tree is None:
            return None
        point = shapely.Point(east, north)
        idx = self._road_tree.query_nearest(point, max_distance=max_dist_m)
        if len(idx) == 0:
            return None
        i = int(idx[0])
        line = self._road_lines[i]
        s = line.project(point)
        a = line.interpolate(max(s - 0.5, 0.0))
        b = line.interpolate(min(s + 0.5, line.length))
        bearing = math.degrees(math.atan2(b.x - a.x, b.y - a.y)) % 360.0
        return RoadHit(self._roads[i], float(line.distance(point)), bearing)
