"""Boxes -> ground points: pick each box's contact pixel and ray-cast it with ``geo`` (vectorised).

Contact modes:
- ``midheight`` (default): the box-centre ray meets a surface at ground + half the class's typical height.
  The centre of a box is the image of the object's middle from any viewing angle, so this has no
  length-dependent bias; measured on projected 3-D boxes in tests/vision (docs/vision.md).
- ``auto``: the issue's rule: box centre near nadir, bottom-centre (on the ground plane) when the
  ray is more than ``nadir_deg`` off nadir.
- ``bottom`` / ``centre``: always that pixel, on the ground plane.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.camera import CameraModel
from geo.frames import LocalFrame, WGS84FromENU
from geo.pose import PoseSample, camera_rotation_ned
from geo.projection import pixel_to_ground
from vision.classes import CLASSES, OBJECT_HEIGHT_M
from vision.detections import Detections

_HALF_HEIGHT = np.array([OBJECT_HEIGHT_M[c] / 2.0 for c in CLASSES])
CONTACT_MODES = ("midheight", "auto", "bottom", "centre")


@dataclass
class GroundFixes(WGS84FromENU):
    """Ground positions of M boxes: ENU in the tracking frame, covariance, validity; WGS84 on demand."""

    en: np.ndarray  # (M, 2) east, north (m), NaN where invalid
    cov: np.ndarray  # (M, 2, 2)
    sigma_m: np.ndarray
    valid: np.ndarray
    up: np.ndarray  # (M,) height of the ground under each object in the frame (m), NaN where invalid
    frame: LocalFrame

    def _enu_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.en[:, 0], self.en[:, 1], self.up


class _Raised:
    """A DEM raised by a constant (duck-typed like geo's DEMs: ``.height(lat, lon)``)."""

    def __init__(self, dem, dz: float) -> None:
        self.dem, self.dz = dem, dz

    def height(self, lat, lon):
        return self.dem.height(lat, lon) + self.dz


class Georeferencer:
    """Georeferences detection boxes for one camera over a ground (a flat altitude AMSL or a geo DEM)."""

    def __init__(self, camera: CameraModel, frame: LocalFrame, ground: float | object = 0.0,
                 contact: str = "midheight", nadir_deg: float = 20.0, max_range_m: float = 1500.0) -> None:
        if contact not in CONTACT_MODES:
            raise ValueError(f"contact mode {contact!r}: expected one of {CONTACT_MODES}")
        self.camera, self.frame, self.ground = camera, frame, ground
        self.contact, self.nadir_deg, self.max_range_m = contact, nadir_deg, max_range_m

    def _raised(self, dz: float):
        if isinstance(self.ground, (int, float)):
            return float(self.ground) + dz
        if hasattr(self.ground, "alt_m"):
            return float(self.ground.alt_m) + dz
        return _Raised(self.ground, dz) if dz else self.ground

    def contact_pixels(self, pose: PoseSample, xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M,2) pixels to cast and a bool mask of those cast on the mid-height plane."""
        cx = (xyxy[:, 0] + xyxy[:, 2]) / 2.0
        cy = (xyxy[:, 1] + xyxy[:, 3]) / 2.0
        if self.contact in ("midheight", "centre"):
            return np.column_stack([cx, cy]), np.full(len(cx), self.contact == "midheight")
        if self.contact == "bottom":
            return np.column_stack([cx, xyxy[:, 3]]), np.zeros(len(cx), bool)
        rays = self.camera.unproject(np.column_stack([cx, cy])) @ camera_rotation_ned(pose).T  # NED
        off_nadir = np.degrees(np.arccos(np.clip(rays[:, 2], -1.0, 1.0)))
        v = np.where(off_nadir > self.nadir_deg, xyxy[:, 3], cy)
        return np.column_stack([cx, v]), np.zeros(len(cx), bool)

    def locate(self, pose: PoseSample, dets: Detections) -> GroundFixes:
        """Ground fixes of all boxes; rays that miss the ground give NaN rows and ``valid=False``.

        One ``geo.pixel_to_ground`` call for all boxes on the ground surface; a mid-height contact then
        slides each hit back along its ray to the object's half-height above that surface (similar
        triangles in the local ENU frame), scaling its covariance by the same factor.
        """
        m = len(dets)
        if not m:
            z = np.zeros(0)
            return GroundFixes(np.zeros((0, 2)), np.zeros((0, 2, 2)), z, np.zeros(0, bool), z, self.frame)
        px, raised = self.contact_pixels(pose, dets.xyxy.astype(float))
        g = pixel_to_ground(pose, self.camera, px, self._raised(0.0), self.max_range_m, frame=self.frame)
        e, n, u = g.enu[:, 0], g.enu[:, 1], g.enu[:, 2]  # the cast ran in self.frame: no WGS84 round trip
        ce, cn, cu = (float(v) for v in g.camera_enu)
        dz = np.where(raised, _HALF_HEIGHT[dets.cls], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(dz > 0, (cu - u - dz) / (cu - u), 1.0)
        valid = g.valid & (s > 0)
        e, n = ce + (e - ce) * s, cn + (n - cn) * s
        cov = np.empty((m, 2, 2))
        s2 = s * s
        cov[:, 0, 0], cov[:, 1, 1] = g.cov_en[:, 0] * s2, g.cov_en[:, 1] * s2
        cov[:, 0, 1] = cov[:, 1, 0] = g.cov_en[:, 2] * s2
        nan = ~valid
        e[nan] = n[nan] = np.nan
        return GroundFixes(np.column_stack([e, n]), cov, np.where(valid, g.sigma_m * s, np.nan), valid,
                           np.where(valid, u, np.nan), self.frame)

    def gsd_m(self, pose: PoseSample) -> float:
        """Ground sample distance (m/pixel) at the image centre (inf when it sees no ground)."""
        centre = np.array([[self.camera.width / 2.0, self.camera.height / 2.0]])
        g = pixel_to_ground(pose, self.camera, centre, self._raised(0.0), self.max_range_m, frame=self.frame)
        if not g.valid[0]:
            return float("inf")
        rng = float(np.linalg.norm(g.enu[0] - g.camera_enu))  # both in self.frame: no WGS84 round trip
        return float(self.camera.gsd_m(rng))
