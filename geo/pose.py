"""Vehicle + gimbal pose as MAVLink reports it, and the camera orientation it implies.

Frames: NED earth frame, FRD body and gimbal frames, OpenCV camera frame (see docs/geo.md).
Rotations use scipy.spatial.transform (quaternion maths done by a maintained library).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from geo.frames import LocalFrame

#: MAVLink GIMBAL_DEVICE_FLAGS bits that say which frame the gimbal quaternion's yaw is in.
GIMBAL_DEVICE_FLAGS_YAW_LOCK = 16
GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME = 32
GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME = 64

#: Gimbal FRD <- camera (x right, y down, z forward): z_cam -> x_gimbal, x_cam -> y_gimbal, y_cam -> z_gimbal.
R_GIMBAL_FROM_CAM = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
#: ENU <- NED (swap north/east, flip down).
R_ENU_FROM_NED = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
#: The same gimbal <- camera as a Rotation, built once (``Rotation.from_matrix`` costs about 0.1 ms a call).
_GIMBAL_FROM_CAM = Rotation.from_matrix(R_GIMBAL_FROM_CAM)


def rotation_from_euler(roll: float, pitch: float, yaw: float) -> Rotation:
    """MAVLink Euler angles (radians, intrinsic Z-Y-X) -> rotation parent <- child (e.g. NED <- body)."""
    return Rotation.from_euler("ZYX", [yaw, pitch, roll])


def quat_wxyz(rotation: Rotation) -> tuple[float, float, float, float]:
    """A rotation as a MAVLink quaternion (w, x, y, z)."""
    x, y, z, w = rotation.as_quat()
    return (float(w), float(x), float(y), float(z))


def rotation_from_wxyz(q: tuple[float, float, float, float] | np.ndarray) -> Rotation:
    """A MAVLink quaternion (w, x, y, z) -> rotation; rejects NaN or zero-norm quaternions."""
    w, x, y, z = (float(v) for v in q)
    norm = math.sqrt(w * w + x * x + y * y + z * z)
    if not math.isfinite(norm) or norm < 1e-9:
        raise ValueError(f"quaternion must be finite and non-zero, got {tuple(q)!r}")
    return Rotation.from_quat([x, y, z, w])


@dataclass(frozen=True)
class FixedMount:
    """A camera fixed to the airframe at a mount angle (radians, Z-Y-X relative to body FRD)."""

    roll: float = 0.0
    pitch: float = -math.pi / 2
    yaw: float = 0.0

    def rotation_ned(self, vehicle: Rotation) -> Rotation:
        """NED <- gimbal for this mount on a vehicle with attitude NED <- body."""
        return vehicle * rotation_from_euler(self.roll, self.pitch, self.yaw)


@dataclass(frozen=True)
class GimbalAttitude:
    """A stabilised gimbal's attitude quaternion (w, x, y, z) as GIMBAL_DEVICE_ATTITUDE_STATUS gives it.

    Roll and pitch are relative to the horizon; yaw is relative to the vehicle heading
    (``frame="vehicle"``) or to north (``frame="earth"``).
    """

    q: tuple[float, float, float, float]
    frame: Literal["vehicle", "earth"] = "vehicle"

    def __post_init__(self) -> None:
        if self.frame not in ("vehicle", "earth"):
            raise ValueError(f"GimbalAttitude.frame must be 'vehicle' or 'earth', got {self.frame!r}")
        rotation_from_wxyz(self.q)

    @classmethod
    def from_mavlink(cls, q: tuple[float, float, float, float] | list[float], flags: int) -> "GimbalAttitude":
        """Interpret GIMBAL_DEVICE_ATTITUDE_STATUS.q with its flags (legacy YAW_LOCK rule included)."""
        in_vehicle = bool(flags & GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME)
        in_earth = bool(flags & GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME)
        if in_vehicle and in_earth:
            raise ValueError("gimbal flags set both YAW_IN_VEHICLE_FRAME and YAW_IN_EARTH_FRAME")
        if not in_vehicle and not in_earth:
            in_earth = bool(flags & GIMBAL_DEVICE_FLAGS_YAW_LOCK)
        return cls(tuple(float(v) for v in q), "earth" if in_earth else "vehicle")

    @classmethod
    def from_euler(cls, roll: float, pitch: float, yaw: float, frame: Literal["vehicle", "earth"] = "vehicle") -> "GimbalAttitude":
        """Build from gimbal Euler angles in radians (pitch -pi/2 = nadir)."""
        return cls(quat_wxyz(rotation_from_euler(roll, pitch, yaw)), frame)

    def rotation_ned(self, vehicle: Rotation) -> Rotation:
        """NED <- gimbal: earth-frame yaw as is; vehicle-frame yaw rotated by the vehicle's heading only."""
        own = rotation_from_wxyz(self.q)
        if self.frame == "earth":
            return own
        heading = vehicle.as_euler("ZYX")[0]
        return Rotation.from_euler("Z", heading) * own


@dataclass(frozen=True)
class PoseUncertainty:
    """1-sigma pose errors: camera orientation per axis (rad), horizontal position per axis (m), height (m)."""

    attitude_rad: float = 0.0
    horizontal_m: float = 0.0
    vertical_m: float = 0.0


@dataclass(frozen=True)
class PoseSample:
    """Vehicle position (WGS84, metres AMSL), attitude (rad, NED) and gimbal at one time (unix seconds)."""

    time_s: float
    lat: float
    lon: float
    alt_amsl_m: float
    roll: float
    pitch: float
    yaw: float
    gimbal: FixedMount | GimbalAttitude = field(default_factory=FixedMount)
    sigma: PoseUncertainty = field(default_factory=PoseUncertainty)

    def __post_init__(self) -> None:
        for name in ("time_s", "lat", "lon", "alt_amsl_m", "roll", "pitch", "yaw"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"PoseSample.{name} must be finite, got {value!r}")
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 360.0:
            raise ValueError(f"PoseSample: lat/lon out of range ({self.lat}, {self.lon})")

    @property
    def vehicle_rotation(self) -> Rotation:
        """NED <- body."""
        return rotation_from_euler(self.roll, self.pitch, self.yaw)

    def camera_rotation(self) -> Rotation:
        """NED <- camera (OpenCV axes)."""
        return self.gimbal.rotation_ned(self.vehicle_rotation) * _GIMBAL_FROM_CAM


def _euler_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Rz(yaw) Ry(pitch) Rx(roll): the matrix of ``rotation_from_euler`` written out (no Rotation objects)."""
    cr, sr, cp, sp, cy, sy = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch), math.cos(yaw), math.sin(yaw)
    return np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                     [-sp, cp * sr, cp * cr]])


def _quat_matrix(q: tuple[float, float, float, float]) -> np.ndarray:
    """Rotation matrix of a (w, x, y, z) quaternion (normalised here)."""
    w, x, y, z = q
    n = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def camera_rotation_ned(pose: PoseSample) -> np.ndarray:
    """The 3x3 matrix NED <- camera for a pose: ``pose.camera_rotation()`` as plain matrix products
    (the per-frame hot path: ten times cheaper than composing scipy Rotations; equal to 1e-12, tested)."""
    vehicle = _euler_matrix(pose.roll, pose.pitch, pose.yaw)
    g = pose.gimbal
    if isinstance(g, FixedMount):
        gimbal = vehicle @ _euler_matrix(g.roll, g.pitch, g.yaw)
    elif g.frame == "earth":
        gimbal = _quat_matrix(g.q)
    else:  # yaw relative to the vehicle: rotate by the vehicle's heading (the Z-Y-X yaw of its attitude)
        heading = math.atan2(vehicle[1, 0], vehicle[0, 0])
        gimbal = _euler_matrix(0.0, 0.0, heading) @ _quat_matrix(g.q)
    return gimbal @ R_GIMBAL_FROM_CAM


@dataclass(frozen=True)
class CameraPoseENU:
    """Camera position (ENU metres in a LocalFrame) and orientation R_enu_from_cam (3x3)."""

    position: np.ndarray
    rotation: np.ndarray

    @classmethod
    def from_pose(cls, pose: PoseSample, frame: LocalFrame) -> "CameraPoseENU":
        """Express a pose in a local ENU frame (the frame's tangent plane is taken as level)."""
        e, n, u = frame.to_enu(pose.lat, pose.lon, pose.alt_amsl_m)
        # NED at the camera -> ENU at the camera -> ECEF -> ENU at the frame origin (meridian convergence).
        to_origin = ecef_from_enu(frame.lat, frame.lon).T @ ecef_from_enu(pose.lat, pose.lon)
        rotation = to_origin @ R_ENU_FROM_NED @ camera_rotation_ned(pose)
        return cls(np.array([float(e), float(n), float(u)]), rotation)


def ecef_from_enu(lat_deg: float, lon_deg: float) -> np.ndarray:
    """3x3 rotation ECEF <- local ENU at a geodetic latitude/longitude (columns: east, north, up)."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    return np.array([[-so, -sl * co, cl * co], [co, -sl * so, cl * so], [0.0, cl, sl]])
