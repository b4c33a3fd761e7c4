"""Orbit an incident point with the camera on it: as mission items, and as a GUIDED orbit description."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flight.planning.errors import PlanParameterError
from flight.planning.fence import Geofence
from flight.planning.geometry import to_latlon
from flight.planning.items import ItemBuilder
from flight.planning.model import CameraSpec, Home, PatrolPlan

#: MAV_CMD_DO_ORBIT (PX4 GUIDED/Hold orbit) and its ORBIT_YAW_BEHAVIOUR "point at centre".
MAV_CMD_DO_ORBIT = 34
ORBIT_YAW_HOLD_FRONT_TO_CIRCLE_CENTER = 0


@dataclass(frozen=True)
class GuidedOrbit:
    """An orbit to fly in GUIDED mode: centre (deg), radius (m, > 0), height above home, speed, direction, turns."""

    lat: float
    lon: float
    radius_m: float
    alt_m: float
    speed_mps: float = 5.0
    clockwise: bool = True
    turns: float = 0.0  # 0 = until told otherwise

    def __post_init__(self) -> None:
        if not (math.isfinite(self.radius_m) and self.radius_m > 0):
            raise PlanParameterError(f"orbit radius must be > 0 m, got {self.radius_m!r}")
        if not (math.isfinite(self.alt_m) and self.alt_m > 0):
            raise PlanParameterError(f"orbit altitude must be > 0 m, got {self.alt_m!r}")
        if not self.speed_mps > 0:
            raise PlanParameterError(f"orbit speed must be > 0 m/s, got {self.speed_mps!r}")

    @property
    def period_s(self) -> float:
        """Seconds per circle."""
        return 2 * math.pi * self.radius_m / self.speed_mps

    def do_orbit_params(self) -> tuple[float, float, float, float, int, int, float]:
        """COMMAND_INT params of MAV_CMD_DO_ORBIT: radius (+CW/-CCW), velocity, yaw behaviour, orbits, lat e7, lon e7, alt."""
        r = self.radius_m if self.clockwise else -self.radius_m
        return (r, self.speed_mps, float(ORBIT_YAW_HOLD_FRONT_TO_CIRCLE_CENTER), float(self.turns),
                int(round(self.lat * 1e7)), int(round(self.lon * 1e7)), self.alt_m)

    def circle_points(self, n: int = 24) -> list[tuple[float, float]]:
        """(lat, lon) of `n` points on the circle in flight order (for autopilots without DO_ORBIT)."""
        frame = Home(self.lat, self.lon).frame()
        a = np.linspace(0, 2 * math.pi, n, endpoint=False)
        a = -a if self.clockwise else a  # east-north angle decreases clockwise
        return to_latlon(frame, np.column_stack([self.radius_m * np.cos(a), self.radius_m * np.sin(a)]))


def plan_orbit(orbit: GuidedOrbit, home: Home, *, standalone: bool = False, fence: Geofence | None = None,
               camera: CameraSpec | None = None) -> PatrolPlan:
    """Mission items for an orbit: DO_SET_ROI_LOCATION(centre), DO_CHANGE_SPEED, NAV_LOITER_TURNS, DO_SET_ROI_NONE.

    standalone adds TAKEOFF before and RTL after (a retask inserted into a flying mission does not want them).
    """
    b = ItemBuilder()
    if standalone:
        b.takeoff(orbit.alt_m)
    b.roi(orbit.lat, orbit.lon, 0.0)
    b.speed(orbit.speed_mps)
    b.loiter_turns(orbit.lat, orbit.lon, orbit.alt_m, orbit.turns or 1.0,
                   orbit.radius_m if orbit.clockwise else -orbit.radius_m)
    b.roi_none()
    if standalone:
        b.rtl()
    return PatrolPlan(kind="orbit", home=home, items=b.items, fence=fence or Geofence(),
                      swath_m=camera.footprint_m(orbit.alt_m)[0] if camera else 0.0, cruise_speed_mps=orbit.speed_mps,
                      notes={"radius_m": orbit.radius_m, "turns": orbit.turns or 1.0})
