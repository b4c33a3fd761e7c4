"""A synthetic scene for the tracking + georeferencing layers: cars driving on flat ground, seen by a
moving drone camera; true 3-D boxes are projected with ``geo`` into pixel boxes (the "detections").

No renderer and no detector: it scores what happens after detection (image tracking, contact point,
ground Kalman filter, re-association) against exact truth, with telemetry noise and optional
occlusions and a pan away and back.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from geo.camera import CameraModel
from geo.frames import LocalFrame
from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty
from geo.projection import ground_to_pixel
from vision.detections import Detections
from vision.scoring import GTFrame, GTObject


@dataclass
class SceneConfig:
    """Scene geometry, motion and noise."""

    n_cars: int = 12
    seed: int = 0
    fps: float = 10.0
    alt_agl_m: float = 80.0
    ground_alt_m: float = 400.0
    gimbal_pitch_deg: float = -60.0
    drone_speed_mps: float = 3.0
    car_speed_kmh: tuple[float, float] = (20.0, 70.0)
    attitude_noise_deg: float = 0.2
    position_noise_m: float = 0.3
    box_noise_px: float = 1.0
    miss_rate: float = 0.02
    occlude: tuple[float, float] | None = None  # (start_s, end_s): every car hidden
    pan_away: tuple[float, float] | None = None  # (start_s, end_s): camera yawed 90 deg away
    width: int = 1280
    height: int = 720
    hfov_deg: float = 70.0


class SyntheticScene:
    """Cars on straight roads around the camera footprint; ``frames()`` yields truth and noisy inputs."""

    def __init__(self, config: SceneConfig | None = None) -> None:
        self.config = c = config or SceneConfig()
        self.rng = np.random.default_rng(c.seed)
        self.camera = CameraModel.from_hfov(c.width, c.height, c.hfov_deg)
        self.frame = LocalFrame(47.0, 8.0, c.ground_alt_m, name="scene")
        # the camera looks north (pitch -60: footprint centre ~ 46 m north of the drone)
        look = c.alt_agl_m / math.tan(math.radians(-c.gimbal_pitch_deg)) if c.gimbal_pitch_deg > -89.9 else 0.0
        self.centre = np.array([0.0, look])
        heading = self.rng.uniform(0, 2 * math.pi, c.n_cars)
        speed = self.rng.uniform(*c.car_speed_kmh, c.n_cars) / 3.6
        self.vel = np.column_stack([np.sin(heading), np.cos(heading)]) * speed[:, None]
        self.start = self.centre + self.rng.uniform(-25, 25, (c.n_cars, 2))
        self.heading = heading
        self.size = np.column_stack([self.rng.uniform(4.0, 5.0, c.n_cars), self.rng.uniform(1.7, 2.0, c.n_cars),
                                     self.rng.uniform(1.4, 1.6, c.n_cars)])

    def drone_pose(self, t: float, noisy: bool) -> PoseSample:
        """True (or telemetry-noisy) pose at t: the drone creeps north, the gimbal holds its pitch."""
        c = self.config
        e, n = 0.0, c.drone_speed_mps * t
        yaw = 0.0
        if c.pan_away and c.pan_away[0] <= t < c.pan_away[1]:
            yaw = math.pi / 2
        roll = pitch = 0.0
        gp = math.radians(c.gimbal_pitch_deg)
        if noisy:
            r = self.rng.normal(0, math.radians(c.attitude_noise_deg), 3)
            roll, pitch, yaw = roll + r[0], pitch + r[1], yaw + r[2]
            e, n = e + self.rng.normal(0, c.position_noise_m), n + self.rng.normal(0, c.position_noise_m)
        lat, lon, alt = self.frame.to_wgs84(e, n, c.alt_agl_m)
        sigma = PoseUncertainty(math.radians(max(c.attitude_noise_deg, 0.1)), max(c.position_noise_m, 0.1), 0.3)
        return PoseSample(t, float(lat), float(lon), float(alt), roll, pitch, yaw,
                          GimbalAttitude.from_euler(0.0, gp, 0.0, "vehicle"), sigma)

    def car_positions(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """True ENU (e, n) of every car centre at t, and its agent id: a car leaving the 100 m box around
        the footprint centre re-enters on the other side as a new agent."""
        centre = self.centre + np.array([0.0, self.config.drone_speed_mps * t])
        rel = self.start + self.vel * t - centre + 50.0
        wraps = np.floor_divide(rel, 100.0).astype(np.int64)
        agent = np.arange(1, len(rel) + 1) + 1000 * (np.abs(wraps[:, 0]) + 100 * np.abs(wraps[:, 1]))
        return centre + np.mod(rel, 100.0) - 50.0, agent

    def boxes(self, pose: PoseSample, en: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel boxes (N, 4) of the cars' 3-D boxes and which are fully inside the image."""
        n = len(en)
        L, W, H = self.size[:, 0], self.size[:, 1], self.size[:, 2]
        s, c = np.sin(self.heading), np.cos(self.heading)
        corners = []
        for dl in (-0.5, 0.5):
            for dw in (-0.5, 0.5):
                for dh in (0.0, 1.0):
                    corners.append(np.column_stack([en[:, 0] + dl * L * s + dw * W * c,
                                                    en[:, 1] + dl * L * c - dw * W * s, dh * H]))
        pts = np.stack(corners, 1).reshape(-1, 3)
        lat, lon, alt = self.frame.to_wgs84(pts[:, 0], pts[:, 1], pts[:, 2])
        px, vis = ground_to_pixel(pose, self.camera, lat, lon, alt, frame=self.frame)
        px = px.reshape(n, 8, 2)
        box = np.concatenate([px.min(1), px.max(1)], axis=1)
        inside = vis.reshape(n, 8).all(1)
        return box, inside

    def frames(self, duration_s: float) -> Iterator[tuple[float, PoseSample, Detections, GTFrame]]:
        """(time, noisy pose for telemetry, noisy detections, truth) per frame."""
        c = self.config
        speed_kmh = np.hypot(self.vel[:, 0], self.vel[:, 1]) * 3.6
        for k in range(int(duration_s * c.fps)):
            t = k / c.fps
            truth_pose = self.drone_pose(t, noisy=False)
            en, agent = self.car_positions(t)
            box, inside = self.boxes(truth_pose, en)
            lat, lon, _ = self.frame.to_wgs84(en[:, 0], en[:, 1], np.zeros(len(en)))
            hidden = np.full(len(en), bool(c.occlude and c.occlude[0] <= t < c.occlude[1]))
            objs = [GTObject(int(agent[i]), "car", tuple(float(v) for v in box[i]), float(lat[i]), float(lon[i]), float(speed_kmh[i]))
                    for i in np.flatnonzero(inside & ~hidden)]
            keep = inside & ~hidden & (self.rng.random(len(en)) >= c.miss_rate)
            noisy_box = box[keep] + self.rng.normal(0, c.box_noise_px, (int(keep.sum()), 4))
            dets = Detections(noisy_box, self.rng.uniform(0.6, 0.95, int(keep.sum())), np.zeros(int(keep.sum())))
            yield t, self.drone_pose(t, noisy=True), dets, GTFrame(k, t, objs)
