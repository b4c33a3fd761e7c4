"""Values of a planned patrol: home, camera, vehicle, limits, rally points and the plan itself."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from geo.camera import CameraModel
from geo.frames import LocalFrame

from flight.mission import MissionItem, MissionPlan, MissionType, renumber
from flight.planning.errors import PlanParameterError


@dataclass(frozen=True)
class Home:
    """Launch point: WGS84 degrees and metres AMSL (relative-altitude items are heights above it)."""

    lat: float
    lon: float
    alt_amsl_m: float = 0.0

    def frame(self) -> LocalFrame:
        """The local ENU frame centred on home (metres east/north/up)."""
        return LocalFrame(self.lat, self.lon, self.alt_amsl_m, name="home")


@dataclass(frozen=True)
class RallyPoint:
    """A safe place to return to instead of home: degrees, metres above home."""

    lat: float
    lon: float
    alt_m: float


@dataclass(frozen=True)
class CameraSpec:
    """Survey camera: horizontal FOV and image size; the image width lies across the flight track."""

    hfov_deg: float = 80.0
    image_width_px: int = 4000
    image_height_px: int = 3000

    def model(self) -> CameraModel:
        """The pinhole model (geo.camera) of this camera."""
        return CameraModel.from_hfov(self.image_width_px, self.image_height_px, self.hfov_deg)

    def footprint_m(self, alt_m: float) -> tuple[float, float]:
        """(across-track, along-track) ground footprint in metres of a nadir image from `alt_m` over flat ground."""
        gsd = float(self.model().gsd_m(alt_m))
        return gsd * self.image_width_px, gsd * self.image_height_px

    def gsd_cm(self, alt_m: float) -> float:
        """Ground sample distance (cm/px) at nadir from `alt_m`."""
        return float(self.model().gsd_m(alt_m)) * 100.0

    def alt_for_gsd(self, gsd_cm: float) -> float:
        """Height above ground (m) that gives a nadir ground sample distance of `gsd_cm`."""
        if not gsd_cm > 0:
            raise PlanParameterError(f"gsd_cm must be > 0, got {gsd_cm!r}")
        return gsd_cm / 100.0 * self.model().fx


@dataclass(frozen=True)
class VehicleProfile:
    """Speeds and the simple energy model of a multicopter (see docs/flight_planning.md).

    Level-flight power P(v) = hover_power_w + parasitic_w_per_mps3 * v^3; climbing adds
    mass_kg * g * climb_rate / climb_efficiency; descending and hovering cost hover_power_w.
    Usable energy = battery_wh * (1 - reserve_fraction).
    """

    cruise_speed_mps: float = 8.0
    climb_rate_mps: float = 2.5
    descent_rate_mps: float = 1.5
    mass_kg: float = 2.0
    hover_power_w: float = 280.0
    parasitic_w_per_mps3: float = 0.06
    climb_efficiency: float = 0.7
    battery_wh: float = 100.0
    reserve_fraction: float = 0.2
    max_speed_mps: float = 15.0

    def __post_init__(self) -> None:
        for name in ("cruise_speed_mps", "climb_rate_mps", "descent_rate_mps", "mass_kg", "battery_wh",
                     "max_speed_mps"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise PlanParameterError(f"VehicleProfile.{name} must be > 0, got {v!r}")
        if not 0.0 <= self.reserve_fraction < 1.0:
            raise PlanParameterError(f"VehicleProfile.reserve_fraction must be in [0, 1), got {self.reserve_fraction!r}")

    @property
    def usable_wh(self) -> float:
        """Energy the plan may use (battery minus reserve)."""
        return self.battery_wh * (1.0 - self.reserve_fraction)

    def level_power_w(self, speed_mps: float) -> float:
        """Electrical power (W) in level flight at `speed_mps`."""
        return self.hover_power_w + self.parasitic_w_per_mps3 * speed_mps ** 3

    def climb_extra_w(self) -> float:
        """Extra power (W) while climbing at climb_rate_mps."""
        return self.mass_kg * 9.80665 * self.climb_rate_mps / self.climb_efficiency


@dataclass(frozen=True)
class SafetyLimits:
    """Altitude band (m above home) and maximum horizontal distance from home (m; None = unlimited)."""

    min_alt_m: float = 5.0
    max_alt_m: float = 120.0
    max_distance_m: float | None = 2000.0


@dataclass(frozen=True)
class SurveySpan:
    """Items [first, last) of a plan that form one QGC survey ComplexItem, with its parameters."""

    first: int
    last: int
    polygon: list[tuple[float, float]]  # (lat, lon) outer ring, not closed
    alt_m: float
    angle_deg: float
    spacing_m: float
    turnaround_m: float = 0.0
    entry: int = 0
    camera: CameraSpec | None = None
    side_overlap_pct: float = 0.0
    front_overlap_pct: float = 0.0
    trigger_distance_m: float = 0.0
    holes: list[list[tuple[float, float]]] = field(default_factory=list)


@dataclass
class PatrolPlan:
    """A planned patrol: mission items (no home item; seq from 0), fence, rally points and metadata.

    DO_JUMP param1 in `items` is the 0-based index of the target inside `items`.
    `swath_m` / `swath_along_m` are the camera footprint across / along the track used for the covered-area
    figure (0 = no camera; the along-track part extends each imaging leg by half of it at both ends).
    """

    kind: str
    home: Home
    items: list[MissionItem]
    fence: "Geofence" = None  # type: ignore[assignment]
    rally: list[RallyPoint] = field(default_factory=list)
    swath_m: float = 0.0
    swath_along_m: float = 0.0
    cruise_speed_mps: float = 8.0
    surveys: list[SurveySpan] = field(default_factory=list)
    area_polygon: list[tuple[float, float]] | None = None  # target area (lat, lon) when the plan covers one
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fence is None:
            from flight.planning.fence import Geofence
            self.fence = Geofence()
        self.items = renumber(list(self.items), MissionType.MISSION)

    def to_mission_plan(self) -> MissionPlan:
        """The three item lists a vehicle holds (mission without home, fence, rally), each numbered from 0."""
        rally = [MissionItem.at(i, 5100, r.lat, r.lon, r.alt_m, mission_type=MissionType.RALLY)
                 for i, r in enumerate(self.rally)]
        return MissionPlan(items=list(self.items), fence_items=self.fence.to_items(), rally_items=rally)
