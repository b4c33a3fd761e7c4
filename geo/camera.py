"""Pinhole camera with Brown-Conrady distortion (OpenCV coefficient order), vectorised.

Camera axes are OpenCV's: x right, y down, z forward along the optical axis (docs/geo.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Undistortion fixed-point iterations; enough for |distortion| well beyond real lenses at 1e-9 px.
_UNDISTORT_ITERATIONS = 20


@dataclass(frozen=True)
class CameraModel:
    """Intrinsics of one camera: image size (px), focal lengths and principal point (px), distortion."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    dist: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"CameraModel: image size must be positive, got {self.width}x{self.height}")
        for name in ("fx", "fy", "cx", "cy"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"CameraModel: {name} must be finite, got {value!r}")
        if self.fx <= 0 or self.fy <= 0:
            raise ValueError(f"CameraModel: focal lengths must be positive, got fx={self.fx}, fy={self.fy}")
        if len(self.dist) != 5 or not all(math.isfinite(d) for d in self.dist):
            raise ValueError(f"CameraModel: dist must be 5 finite numbers (k1, k2, p1, p2, k3), got {self.dist!r}")

    @classmethod
    def from_hfov(cls, width: int, height: int, hfov_deg: float,
                  dist: tuple[float, float, float, float, float] = (0.0,) * 5) -> "CameraModel":
        """Square pixels, principal point at the image centre, focal length from the horizontal FOV."""
        if not 0.0 < hfov_deg < 180.0:
            raise ValueError(f"CameraModel: hfov_deg must be in (0, 180), got {hfov_deg!r}")
        f = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(width, height, f, f, width / 2.0, height / 2.0, tuple(dist))

    @classmethod
    def from_focal_mm(cls, width: int, height: int, focal_mm: float, sensor_width_mm: float,
                      sensor_height_mm: float | None = None,
                      dist: tuple[float, float, float, float, float] = (0.0,) * 5) -> "CameraModel":
        """Focal length and sensor size in millimetres (sensor height defaults to square pixels)."""
        if focal_mm <= 0 or sensor_width_mm <= 0:
            raise ValueError(f"CameraModel: focal_mm and sensor_width_mm must be positive, got {focal_mm}, {sensor_width_mm}")
        fx = focal_mm / sensor_width_mm * width
        fy = fx if sensor_height_mm is None else focal_mm / sensor_height_mm * height
        return cls(width, height, fx, fy, width / 2.0, height / 2.0, tuple(dist))

    @property
    def hfov_deg(self) -> float:
        """Horizontal field of view of the undistorted pinhole, degrees."""
        return math.degrees(2.0 * math.atan(self.width / (2.0 * self.fx)))

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view of the undistorted pinhole, degrees."""
        return math.degrees(2.0 * math.atan(self.height / (2.0 * self.fy)))

    @property
    def has_distortion(self) -> bool:
        """True when any distortion coefficient is non-zero."""
        return any(d != 0.0 for d in self.dist)

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 intrinsic matrix K (OpenCV layout)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def gsd_m(self, distance_m: float | np.ndarray) -> float | np.ndarray:
        """Ground sample distance (metres per pixel) at a distance along the optical axis."""
        return distance_m / self.fx

    def _distort(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2, p1, p2, k3 = self.dist
        r2 = x * x + y * y
        radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
        xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
        yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
        return xd, yd

    def _undistort(self, xd: np.ndarray, yd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k1, k2, p1, p2, k3 = self.dist
        x, y = xd.copy(), yd.copy()
        for _ in range(_UNDISTORT_ITERATIONS):  # OpenCV's fixed-point scheme, vectorised
            r2 = x * x + y * y
            radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
            dx = 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
            dy = p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
            x = (xd - dx) / radial
            y = (yd - dy) / radial
        return x, y

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera-frame points (N, 3) -> pixels (N, 2); points at or behind the camera give NaN."""
        p = np.asarray(points_cam, dtype=float).reshape(-1, 3)
        z = p[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(z > 0, p[:, 0] / z, np.nan)
            y = np.where(z > 0, p[:, 1] / z, np.nan)
        if self.has_distortion:
            x, y = self._distort(x, y)
        return np.column_stack((self.fx * x + self.cx, self.fy * y + self.cy))

    def unproject(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels (N, 2) -> unit ray directions (N, 3) in the camera frame."""
        px = np.asarray(pixels, dtype=float).reshape(-1, 2)
        x = (px[:, 0] - self.cx) / self.fx
        y = (px[:, 1] - self.cy) / self.fy
        if self.has_distortion:
            x, y = self._undistort(x, y)
        rays = np.column_stack((x, y, np.ones_like(x)))
        return rays / np.linalg.norm(rays, axis=1, keepdims=True)

    def in_image(self, pixels: np.ndarray) -> np.ndarray:
        """Boolean mask of pixels inside [0, width] x [0, height]."""
        px = np.asarray(pixels, dtype=float).reshape(-1, 2)
        return (px[:, 0] >= 0) & (px[:, 0] <= self.width) & (px[:, 1] >= 0) & (px[:, 1] <= self.height)
