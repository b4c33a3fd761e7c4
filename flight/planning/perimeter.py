"""Perimeter patrol: fly a ring offset inward from a polygon's boundary, camera looking into the area."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from flight.planning.errors import PlanParameterError
from flight.planning.fence import Geofence
from flight.planning.geometry import LatLon, enu_polygon, to_latlon
from flight.planning.items import ItemBuilder
from flight.planning.loop import build_loop_items
from flight.planning.model import CameraSpec, Home, PatrolPlan, RallyPoint


def perimeter_ring(polygon: Polygon, inset_m: float, simplify_m: float = 0.5) -> np.ndarray:
    """Counter-clockwise ring (N x 2, not closed) `inset_m` inside the polygon's outer boundary."""
    if not (math.isfinite(inset_m) and inset_m >= 0):
        raise PlanParameterError(f"inset must be >= 0 m, got {inset_m!r}")
    shell = Polygon(polygon.exterior)
    inner = shell.buffer(-inset_m, join_style="mitre") if inset_m > 0 else shell
    if inner.is_empty:
        raise PlanParameterError(f"inset {inset_m:g} m leaves nothing of the polygon")
    if inner.geom_type != "Polygon":
        inner = max(inner.geoms, key=lambda g: g.area)
    ring = orient(Polygon(inner.exterior).simplify(simplify_m), 1.0)
    return np.asarray(ring.exterior.coords)[:-1]


def plan_perimeter(area: Sequence[LatLon], home: Home, *, inset_m: float = 10.0, alt_m: float = 50.0,
                   speed_mps: float | None = None, laps: int = 1, gimbal_pitch_deg: float = -45.0,
                   camera: CameraSpec | None = None, fence: Geofence | None = None, rally: Sequence[RallyPoint] = (),
                   return_home: bool = True) -> PatrolPlan:
    """Loop counter-clockwise along the boundary `inset_m` inside, gimbal yawed -90 deg (left = into the area)."""
    frame = home.frame()
    ring = perimeter_ring(enu_polygon(frame, area), inset_m)
    wps = to_latlon(frame, ring)
    b = ItemBuilder()
    b.takeoff(alt_m)
    b.gimbal(gimbal_pitch_deg, -90.0)
    build_loop_items(b, wps, [alt_m] * len(wps), [speed_mps] * len(wps), laps)
    b.gimbal(-90.0, 0.0)
    if return_home:
        b.rtl()
    swath = camera.footprint_m(alt_m)[0] if camera else 0.0
    return PatrolPlan(kind="perimeter", home=home, items=b.items, fence=fence or Geofence(), rally=list(rally),
                      swath_m=swath, cruise_speed_mps=speed_mps or 8.0, area_polygon=[tuple(p) for p in area],
                      notes={"inset_m": inset_m, "laps": laps, "waypoints": len(wps)})
