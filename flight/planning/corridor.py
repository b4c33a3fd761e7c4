"""Road corridor: passes along a polyline, offset to each side, with the camera pointed at the road."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from shapely.geometry import LineString, Point

from flight.planning.errors import PlanParameterError
from flight.planning.fence import Geofence
from flight.planning.geometry import LatLon, to_enu_xy, to_latlon
from flight.planning.items import ItemBuilder
from flight.planning.model import CameraSpec, Home, PatrolPlan, RallyPoint


def corridor_passes(road: LineString, offsets: Sequence[float], simplify_m: float = 0.5) -> list[np.ndarray]:
    """One polyline per offset (m, positive = left of the road's direction), alternating direction."""
    out = []
    for k, off in enumerate(offsets):
        line = road if abs(off) < 1e-9 else road.offset_curve(off, join_style="round")
        if line.is_empty:
            raise PlanParameterError(f"pass offset {off:g} m collapses the road line")
        if line.geom_type != "LineString":
            line = max(line.geoms, key=lambda g: g.length)
        pts = np.asarray(line.simplify(simplify_m).coords)
        # offset_curve keeps the road's direction; fly every other pass backwards
        if k % 2 == 1:
            pts = pts[::-1]
        out.append(pts)
    return out


def plan_corridor(road: Sequence[LatLon], home: Home, *, alt_m: float = 50.0, passes_per_side: int = 0,
                  pass_spacing_m: float | None = None, camera: CameraSpec = CameraSpec(), side_overlap_pct: float = 20.0,
                  speed_mps: float | None = None, pointing: str = "gimbal", fence: Geofence | None = None,
                  rally: Sequence[RallyPoint] = (), return_home: bool = True) -> PatrolPlan:
    """Passes over the road centre and `passes_per_side` on each side, `pass_spacing_m` apart (default: footprint
    spacing for the side overlap). `pointing`: "gimbal" (DO_GIMBAL_MANAGER_PITCHYAW per pass, pitched and yawed
    at the road) or "roi" (DO_SET_ROI_LOCATION at the nearest road point before every waypoint).
    """
    if len(road) < 2:
        raise PlanParameterError(f"a road needs >= 2 points, got {len(road)}")
    if passes_per_side < 0:
        raise PlanParameterError(f"passes_per_side must be >= 0, got {passes_per_side}")
    if pointing not in ("gimbal", "roi"):
        raise PlanParameterError(f"pointing must be 'gimbal' or 'roi', got {pointing!r}")
    if not (math.isfinite(alt_m) and alt_m > 0):
        raise PlanParameterError(f"altitude must be > 0 m, got {alt_m!r}")
    across, _ = camera.footprint_m(alt_m)
    spacing = pass_spacing_m if pass_spacing_m is not None else across * (1 - side_overlap_pct / 100.0)
    if not spacing > 0:
        raise PlanParameterError(f"pass spacing must be > 0 m, got {spacing!r}")
    frame = home.frame()
    line = LineString(to_enu_xy(frame, road))
    if line.length < 1.0:
        raise PlanParameterError("road is shorter than 1 m")
    offsets = sorted([0.0] + [s * k * spacing for k in range(1, passes_per_side + 1) for s in (1, -1)], reverse=True)
    passes = corridor_passes(line, offsets)
    b = ItemBuilder()
    b.takeoff(alt_m)
    if speed_mps is not None:
        b.speed(speed_mps)
    for k, (off, pts) in enumerate(zip(offsets, passes)):
        forward = k % 2 == 0
        if pointing == "gimbal":
            pitch = -90.0 if abs(off) < 1e-9 else -math.degrees(math.atan2(alt_m, abs(off)))
            # left of the road flying forward -> road on the right (+90); sides swap when flying back
            yaw = 0.0 if abs(off) < 1e-9 else (90.0 if (off > 0) == forward else -90.0)
            b.gimbal(pitch, yaw)
        for (lat, lon), xy in zip(to_latlon(frame, pts), pts):
            if pointing == "roi":
                p = line.interpolate(line.project(Point(xy)))
                (rlat, rlon), = to_latlon(frame, [(p.x, p.y)])
                b.roi(rlat, rlon, 0.0)
            b.waypoint(lat, lon, alt_m)
    if pointing == "roi":
        b.roi_none()
    else:
        b.gimbal(-90.0, 0.0)
    if return_home:
        b.rtl()
    return PatrolPlan(kind="corridor", home=home, items=b.items, fence=fence or Geofence(), rally=list(rally),
                      swath_m=across, cruise_speed_mps=speed_mps or 8.0,
                      notes={"offsets_m": offsets, "alt_m": alt_m, "road_length_m": line.length})
