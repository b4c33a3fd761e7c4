"""Named zones from GeoJSON: roads (direction, speed limit), no-parking, restricted and privacy areas.

Validation errors name the file, the feature (index and id) and the field. Geometry is shapely:
lon/lat geometries for containment tests, and the same geometries in local ENU metres for distances.
The format is documented in docs/geo.md.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape

from geo.frames import LocalFrame, bearing_deg
from geo.shapes import to_metres

ZoneKind = Literal["road", "no_parking", "restricted", "privacy"]
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


class ZoneError(ValueError):
    """A zones file is malformed; the message names the file, feature and field."""


class _ZoneProps(BaseModel):
    """Properties every zone feature may carry (unknown keys are kept, not rejected)."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)
    kind: ZoneKind
    name: str = ""
    speed_limit_kmh: float | None = Field(default=None, gt=0, le=300)
    oneway: bool = False
    width_m: float = Field(default=7.0, gt=0, le=100)
    lanes: int = Field(default=2, ge=1, le=12)
    active_hours: list[str] | None = None
    applies_to: list[str] | None = None

    @field_validator("active_hours")
    @classmethod
    def _hours(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if not _HOURS.match(item):
                raise ValueError(f"{item!r} is not 'HH:MM-HH:MM'")
        return value


@dataclass(frozen=True)
class Zone:
    """One area or line: id, kind, name, lon/lat geometry, metric (ENU) geometry and all properties."""

    id: str
    kind: str
    name: str
    geometry: Any
    geometry_m: Any
    properties: dict[str, Any] = field(default_factory=dict)

    def active_at(self, minutes_of_day: float) -> bool:
        """Whether the zone applies at a local time of day (minutes since midnight); no hours = always."""
        hours = self.properties.get("active_hours")
        if not hours:
            return True
        for item in hours:
            h0, m0, h1, m1 = (int(x) for x in _HOURS.match(item).groups())
            start, end = h0 * 60 + m0, h1 * 60 + m1
            if (start <= minutes_of_day < end) if start <= end else (minutes_of_day >= start or minutes_of_day < end):
                return True
        return False


@dataclass(frozen=True)
class Road:
    """A road centre line; for one-way roads the vertex order is the direction of travel."""

    id: str
    name: str
    line: LineString
    line_m: LineString
    speed_limit_kmh: float
    oneway: bool
    width_m: float
    lanes: int


@dataclass(frozen=True)
class RoadMatch:
    """The road nearest a point: distance from the centre line (m) and the segment's bearing (deg)."""

    road: Road
    distance_m: float
    bearing_deg: float


class ZoneSet:
    """All zones of a patrol area, with vectorised point-in-zone and nearest-road queries."""

    def __init__(self, zones: list[Zone], roads: list[Road], frame: LocalFrame) -> None:
        self.zones = zones
        self.roads = roads
        self.frame = frame
        self._road_tree = shapely.STRtree([r.line_m for r in roads]) if roads else None

    def of_kind(self, kind: str) -> list[Zone]:
        """Zones of one kind, in file order."""
        return [z for z in self.zones if z.kind == kind]

    def get(self, zone_id: str) -> Zone:
        """A zone by id (KeyError naming it when absent)."""
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        raise KeyError(f"no zone with id {zone_id!r}")

    def contains(self, kind: str, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Boolean array: is each point inside any zone of this kind."""
        lat, lon = np.broadcast_arrays(np.asarray(lat, float), np.asarray(lon, float))
        out = np.zeros(lat.shape, dtype=bool)
        for zone in self.of_kind(kind):
            out |= shapely.contains_xy(zone.geometry, lon, lat)
        return out

    def zones_at(self, lat: float, lon: float, kind: str | None = None) -> list[Zone]:
        """The area zones (not roads) containing one point."""
        point = Point(lon, lat)
        return [z for z in self.zones if z.kind != "road" and (kind is None or z.kind == kind) and z.geometry.covers(point)]

    def to_metres(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 -> (east, north) metres in this zone set's frame."""
        e, n, _ = self.frame.to_enu(lat, lon, self.frame.alt)
        return e, n

    def nearest_road(self, lat: float, lon: float, max_dist_m: float = 15.0) -> RoadMatch | None:
        """The road whose centre line is nearest (within max_dist_m), with its bearing at that point."""
        if self._road_tree is None:
            return None
        e, n = self.to_metres(lat, lon)
        point = Point(float(e), float(n))
        idx = self._road_tree.query_nearest(point, max_distance=max_dist_m)
        if len(idx) == 0:
            return None
        road = self.roads[int(idx[0])]
        s = road.line_m.project(point)
        a = road.line_m.interpolate(max(s - 0.5, 0.0))
        b = road.line_m.interpolate(min(s + 0.5, road.line_m.length))
        return RoadMatch(road, float(road.line_m.distance(point)), float(bearing_deg(b.x - a.x, b.y - a.y)))


def load_zones(source: str | Path | dict, frame: LocalFrame | None = None) -> ZoneSet:
    """Load and validate a zones GeoJSON FeatureCollection (a path or an already parsed dict)."""
    where = str(source) if not isinstance(source, dict) else "<zones>"
    if isinstance(source, dict):
        data = source
    else:
        try:
            data = json.loads(Path(source).read_text())
        except FileNotFoundError:
            raise ZoneError(f"{where}: file not found") from None
        except json.JSONDecodeError as exc:
            raise ZoneError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ZoneError(f"{where}: top level must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ZoneError(f"{where}: 'features' must be a list")

    parsed: list[tuple[_ZoneProps, Any]] = []
    seen: set[str] = set()
    for i, feat in enumerate(features):
        label = f"{where}: features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise ZoneError(f"{label}: not a GeoJSON Feature")
        try:
            props = _ZoneProps.model_validate(feat.get("properties") or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            field_name = ".".join(str(p) for p in err["loc"])
            raise ZoneError(f"{label}.properties.{field_name}: {err['msg']}") from None
        label = f"{label} (id {props.id!r})"
        if props.id in seen:
            raise ZoneError(f"{label}.properties.id: duplicate id")
        seen.add(props.id)
        try:
            geom = shape(feat.get("geometry") or {})
        except Exception as exc:  # shapely raises several types for bad GeoJSON geometry
            raise ZoneError(f"{label}.geometry: {exc}") from None
        if geom.is_empty:
            raise ZoneError(f"{label}.geometry: empty")
        coords = np.asarray(shapely.get_coordinates(geom))
        if not np.all(np.isfinite(coords)) or np.any(np.abs(coords[:, 1]) > 90) or np.any(np.abs(coords[:, 0]) > 180):
            raise ZoneError(f"{label}.geometry: coordinates must be finite [lon, lat] in degrees")
        if props.kind == "road":
            if not isinstance(geom, LineString):
                raise ZoneError(f"{label}.geometry: a road must be a LineString, got {geom.geom_type}")
            if props.speed_limit_kmh is None:
                raise ZoneError(f"{label}.properties.speed_limit_kmh: required for a road")
        else:
            if not isinstance(geom, (Polygon, MultiPolygon)):
                raise ZoneError(f"{label}.geometry: a {props.kind} zone must be a Polygon or MultiPolygon, got {geom.geom_type}")
            if not geom.is_valid:
                raise ZoneError(f"{label}.geometry: invalid polygon ({shapely.is_valid_reason(geom)})")
        parsed.append((props, geom))

    if frame is None:
        if not parsed:
            frame = LocalFrame(0.0, 0.0, 0.0, name="zones")
        else:
            c = shapely.GeometryCollection([g for _, g in parsed]).centroid
            frame = LocalFrame(float(c.y), float(c.x), 0.0, name="zones")
    zones, roads = [], []
    for props, geom in parsed:
        geom_m = to_metres(geom, frame)
        extra = props.model_dump()
        zones.append(Zone(props.id, props.kind, props.name, geom, geom_m, extra))
        if props.kind == "road":
            roads.append(Road(props.id, props.name, geom, geom_m, float(props.speed_limit_kmh), props.oneway,
                              props.width_m, props.lanes))
    return ZoneSet(zones, roads, frame)
