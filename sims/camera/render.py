"""Render what the gimbal camera sees from the TRUE pose, with geo's camera model.

The ground is the town orthophoto warped by the exact ground-plane homography (derived from the same
``R_enu_from_cam``, position and K that ``geo.projection.enu_to_pixel`` uses); agents are drawn as
small 3-D bodies whose corners are projected with ``geo.projection.enu_to_pixel`` itself. Boxes are the
image-clipped bounds of each agent's projected cuboid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from geo.camera import CameraModel
from geo.pose import CameraPoseENU, PoseSample
from geo.projection import enu_to_pixel
from sims.camera.sprites import draw_agents, shadow_vector
from sims.traffic.agents import CLASSES
from sims.traffic.sim import AgentSnapshot
from sims.world.ortho import Orthophoto
from sims.world.town import Town

SKY_TOP = np.array([205, 160, 110], np.float32)  # BGR
SKY_HORIZON = np.array([235, 225, 215], np.float32)
HAZE = np.array([200, 200, 196], np.float32)
FIELDS = (70, 116, 96)


@dataclass
class GroundTruth:
    """Boxes of the agents in one frame: pixel bounds (x0, y0, x1, y1) clipped to the image, class index,
    agent id, the fraction of the unclipped box inside the image, and the unclipped box."""

    boxes: np.ndarray  # (N, 4) float, clipped
    cls: np.ndarray  # (N,) int
    agent_ids: np.ndarray  # (N,) int
    visible_fraction: np.ndarray  # (N,) float in (0, 1]
    full_boxes: np.ndarray  # (N, 4) float, unclipped

    def __len__(self) -> int:
        return len(self.cls)

    def as_dicts(self) -> list[dict]:
        """JSON-friendly rows: class name, agent id, box, visible fraction."""
        return [{"class": CLASSES[int(c)], "agent_id": int(a), "box": [round(float(v), 2) for v in b],
                 "visible_fraction": round(float(f), 3)}
                for c, a, b, f in zip(self.cls, self.agent_ids, self.boxes, self.visible_fraction)]


@dataclass
class RenderedFrame:
    """One camera frame: BGR image, capture time, the true pose it was rendered from, and ground truth."""

    image: np.ndarray
    time_s: float
    pose: PoseSample
    truth: GroundTruth
    frame_id: int = 0
    meta: dict = field(default_factory=dict)


def agent_cuboids(snap: AgentSnapshot) -> np.ndarray:
    """(N, 8, 3) ENU corners of each agent's bounding cuboid: footprint at ground, then at body height."""
    d = snap.direction
    side = np.stack([-d[:, 1], d[:, 0]], axis=1)
    hl, hw = snap.length[:, None] / 2, snap.width[:, None] / 2
    c = np.stack([snap.e, snap.n], axis=1)
    foot = np.stack([c + d * hl + side * hw, c + d * hl - side * hw, c - d * hl - side * hw, c - d * hl + side * hw],
                    axis=1)
    out = np.zeros((len(snap), 8, 3))
    out[:, :4, :2] = foot
    out[:, 4:, :2] = foot
    out[:, 4:, 2] = snap.height[:, None]
    return out


def ground_homography(cam: CameraPoseENU, camera: CameraModel) -> np.ndarray:
    """3x3 H with geo pixel ~ H @ (e, n, 1) for points on the ENU ground plane up = 0 (no distortion)."""
    c = cam.position
    m = np.array([[1.0, 0.0, -c[0]], [0.0, 1.0, -c[1]], [0.0, 0.0, -c[2]]])
    return camera.matrix @ cam.rotation.T @ m


def boxes_from_cuboids(cam: CameraPoseENU, camera: CameraModel, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unclipped pixel boxes (N, 4) of cuboids (N, 8, 3), and whether every corner is in front of the camera."""
    n = len(corners)
    if n == 0:
        return np.zeros((0, 4)), np.zeros(0, bool)
    pts = corners.reshape(-1, 3)
    in_front = ((pts - cam.position) @ cam.rotation)[:, 2].reshape(n, 8) > 0.1
    px, _ = enu_to_pixel(cam, camera, pts)
    px = px.reshape(n, 8, 2)
    ok = in_front.all(axis=1)
    safe = np.where(ok[:, None, None], px, 0.0)
    return np.concatenate([safe.min(axis=1), safe.max(axis=1)], axis=1), ok


class CameraRenderer:
    """Renders frames of one town for one camera model (the orthophoto is shared, read-only)."""

    def __init__(self, town: Town, ortho: Orthophoto, camera: CameraModel, max_range_m: float = 2500.0) -> None:
        if camera.has_distortion:
            raise ValueError("CameraRenderer renders an undistorted pinhole; pass a CameraModel with dist = 0")
        self.town, self.ortho, self.camera = town, ortho, camera
        self.max_range_m = max_range_m
        if not ortho.pyramid:
            ortho.build_pyramid()
        w, h = camera.width, camera.height
        self._uv1 = None
        self._grid = (np.arange(w, dtype=np.float32) + 0.5, np.arange(h, dtype=np.float32) + 0.5)

    def camera_pose(self, pose: PoseSample) -> CameraPoseENU:
        """The pose in the town's ENU frame (geo's own conversion)."""
        return CameraPoseENU.from_pose(pose, self.town.frame)

    def render_ground(self, cam: CameraPoseENU) -> np.ndarray:
        """The warped orthophoto with sky above the horizon and haze with distance."""
        camera, ortho = self.camera, self.ortho
        w, h = camera.width, camera.height
        H = ground_homography(cam, camera)
        kinv = np.linalg.inv(camera.matrix)
        up_row = (cam.rotation @ kinv)[2]  # up component of a pixel's ray: a*u + b*v + c
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], float)
        ups = corners @ up_row
        height = cam.position[2]
        # choose the pyramid level from the ground sample distance at the image centre
        centre_up = float(np.array([w / 2, h / 2, 1.0]) @ up_row)
        ray_norm = float(np.linalg.norm(kinv @ np.array([w / 2, h / 2, 1.0])))
        dist = height / max(-centre_up, 1e-3) * ray_norm
        gsd = dist / camera.fx
        level = int(np.clip(math.floor(math.log2(max(gsd / ortho.res_m, 1.0))), 0, len(ortho.pyramid) - 1))
        shift = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
        M = shift @ H @ ortho.affine_px_to_enu(level)
        img = cv2.warpPerspective(ortho.pyramid[level], M, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=FIELDS)
        corner_up = ups / np.linalg.norm(corners @ kinv.T, axis=1)  # sine of each corner ray's elevation
        if corner_up.max() > -height / (0.3 * self.max_range_m):  # sky or distant haze in view
            img = self._sky_and_haze(img, up_row, height, kinv)
        return img

    def _sky_and_haze(self, img: np.ndarray, up_row: np.ndarray, height: float, kinv: np.ndarray) -> np.ndarray:
        """Blend distant ground into haze and paint the sky where pixel rays point above the horizon.

        The weights and the sky gradient are computed on a 1/4-size grid and upsampled (smooth fields)."""
        w, h = self.camera.width, self.camera.height
        sw, sh = max(2, w // 4), max(2, h // 4)
        us = (np.arange(sw, dtype=np.float32) + 0.5) * (w / sw)
        vs = (np.arange(sh, dtype=np.float32) + 0.5) * (h / sh)
        upv = up_row[0] * us[None, :] + up_row[1] * vs[:, None] + up_row[2]
        norm = np.sqrt((kinv[0, 0] * us[None, :] + kinv[0, 2]) ** 2 + (kinv[1, 1] * vs[:, None] + kinv[1, 2]) ** 2 + 1.0)
        up_unit = (upv / norm).astype(np.float32)
        below = up_unit < -1e-4
        dist = np.where(below, height / np.maximum(-up_unit, 1e-4), np.inf)
        alpha = np.where(below, np.clip(dist / self.max_range_m, 0.0, 1.0) ** 1.5, 1.0).astype(np.float32)
        elev = np.sqrt(np.clip(up_unit, 0.0, 1.0))[..., None]
        sky = np.clip(SKY_HORIZON + (SKY_TOP - SKY_HORIZON) * elev * 1.6, 0, 255)
        target = np.where(below[..., None], HAZE[None, None, :], sky).astype(np.float32)
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        target = cv2.resize(target, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
        return cv2.blendLinear(img, target, 1.0 - alpha, alpha)

    def truth(self, cam: CameraPoseENU, snap: AgentSnapshot) -> GroundTruth:
        """Boxes of every agent at least partly inside the image (clipped), with its visible fraction."""
        w, h = self.camera.width, self.camera.height
        full, ok = boxes_from_cuboids(cam, self.camera, agent_cuboids(snap))
        clipped = np.column_stack([np.clip(full[:, 0], 0, w), np.clip(full[:, 1], 0, h),
                                   np.clip(full[:, 2], 0, w), np.clip(full[:, 3], 0, h)])
        area = np.maximum(full[:, 2] - full[:, 0], 1e-9) * np.maximum(full[:, 3] - full[:, 1], 1e-9)
        carea = np.maximum(clipped[:, 2] - clipped[:, 0], 0) * np.maximum(clipped[:, 3] - clipped[:, 1], 0)
        frac = carea / area
        keep = ok & (frac > 0)
        return GroundTruth(clipped[keep], snap.cls[keep].astype(int), snap.ids[keep], frac[keep], full[keep])

    def render(self, pose: PoseSample, snap: AgentSnapshot, frame_id: int = 0) -> RenderedFrame:
        """The clean (noise-free) frame for ``pose`` with the agents of ``snap``, plus ground truth."""
        cam = self.camera_pose(pose)
        img = self.render_ground(cam)
        truth = self.truth(cam, snap)
        if len(truth):
            sel = np.isin(snap.ids, truth.agent_ids)
            sub = AgentSnapshot(snap.t, *(getattr(snap, f)[sel] for f in (
                "ids", "cls", "kind", "e", "n", "direction", "speed", "length", "width", "height", "colour", "style")))
            draw_agents(img, cam, self.camera, sub, shadow_vector(self.ortho.sun_azimuth_deg, self.ortho.sun_elevation_deg))
        return RenderedFrame(img, pose.time_s, pose, truth, frame_id)
