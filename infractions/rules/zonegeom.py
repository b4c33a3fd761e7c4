"""Zones in local metres for the rules: signed depth inside a polygon and active-hours checks.

Built once per patrol from a ``geo.zones.ZoneSet`` (its ``.frame`` gives the ENU origin), so every
distance the rules compare with a position's sigma is in metres.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

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


class ZoneGeometry:
    """The patrol's polygon zones in metres around ``zones.frame``; positions go through the same frame."""

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

    def deepest(self, kind: str, east: float, north: float) -> tuple[MetricZone, float] | None:
        """The zone of ``kind`` in which the point lies deepest (largest signed depth); None if no such zone."""
        best: tuple[MetricZone, float] | None = None
        for zone in self.of_kind(kind):
            depth = zone.depth_m(east, north)
            if best is None or depth > best[1]:
                best = (zone, depth)
        return best
