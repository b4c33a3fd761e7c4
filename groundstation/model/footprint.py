"""Live camera footprint of a vehicle on flat ground at home altitude, via ``geo.projection.footprint``."""
from __future__ import annotations

import math
import time

from groundstation.model.vehicle import VehicleView


def camera_footprint(view: VehicleView, hfov_deg: float = 80.0, width: int = 1280, height: int = 720,
                     max_range_m: float = 400.0) -> list[tuple[float, float]] | None:
    """(lat, lon) ring of what the camera sees, or None (no position, no ground in view, in the hangar)."""
    if not view.has_position or math.isnan(view.alt_amsl_m) or not view.in_air and (view.alt_rel_m or 0) < 2:
        return None
    from geo.camera import CameraModel
    from geo.pose import GimbalAttitude, PoseSample
    from geo.projection import footprint

    pitch = view.gimbal_pitch_deg if not math.isnan(view.gimbal_pitch_deg) else -90.0
    yaw = view.gimbal_yaw_deg if not math.isnan(view.gimbal_yaw_deg) else 0.0
    ground = view.home[2] if view.home is not None and not math.isnan(view.home[2]) else view.alt_amsl_m - (view.alt_rel_m or 0)
    try:
        pose = PoseSample(time.time(), view.lat, view.lon, view.alt_amsl_m, math.radians(view.roll_deg),
                          math.radians(view.pitch_deg), math.radians(view.heading_deg),
                          GimbalAttitude.from_euler(0.0, math.radians(pitch), math.radians(yaw), "vehicle"))
        poly = footprint(pose, CameraModel.from_hfov(width, height, hfov_deg), float(ground), max_range_m)
    except (ValueError, ArithmeticError):
        return None
    if poly.is_empty:
        return None
    return [(lat, lon) for lon, lat in poly.exterior.coords]
