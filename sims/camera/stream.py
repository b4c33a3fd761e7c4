"""SimCamera: the simulated gimbal camera of one vehicle, driven by its TRUE pose.

Each ``capture(pose)`` advances the town's traffic to the pose's time, renders the frame, applies the
sensor model (motion blur from the image motion since the last frame, noise, tone) and JPEG-encodes it.
"""
from __future__ import annotations

import numpy as np

from geo.camera import CameraModel
from geo.pose import PoseSample
from geo.projection import enu_to_pixel
from sims.camera.effects import SensorEffects, jpeg_bytes
from sims.camera.render import CameraRenderer, RenderedFrame
from sims.traffic.sim import TrafficSim
from sims.world.ortho import Orthophoto
from sims.world.town import Town


class SimCamera:
    """Renders frames of ``town`` with the agents of ``traffic`` for poses given in time order."""

    def __init__(self, town: Town, ortho: Orthophoto, traffic: TrafficSim, camera: CameraModel,
                 effects: SensorEffects | None = None, jpeg_quality: int = 85, traffic_dt: float = 0.1,
                 auto_exposure: bool = True) -> None:
        self.renderer = CameraRenderer(town, ortho, camera)
        self.traffic = traffic
        self.effects = effects or SensorEffects(camera.width, camera.height)
        self.jpeg_quality = jpeg_quality
        self.traffic_dt = traffic_dt
        self.auto_exposure = auto_exposure
        self._t0: float | None = None
        self._last: tuple[float, np.ndarray] | None = None
        self._frame_id = 0

    def _advance_traffic(self, time_s: float) -> None:
        if self._t0 is None:
            self._t0 = time_s - self.traffic.t
        target = time_s - self._t0
        while self.traffic.t + 1e-9 < target:
            self.traffic.tick(min(self.traffic_dt, target - self.traffic.t))

    def _blur_shift(self, frame: RenderedFrame, cam) -> tuple[float, float]:
        """Image motion of the ground at the image centre during the exposure."""
        w, h = self.renderer.camera.width, self.renderer.camera.height
        centre = np.array([[w / 2, h / 2, 1.0]])
        ray = cam.rotation @ (np.linalg.inv(self.renderer.camera.matrix) @ centre.T)[:, 0]
        if ray[2] >= -1e-3:
            self._last = None
            return (0.0, 0.0)
        ground = cam.position + ray * (-cam.position[2] / ray[2])
        shift = (0.0, 0.0)
        if self._last is not None and frame.time_s > self._last[0]:
            px, _ = enu_to_pixel(cam, self.renderer.camera, self._last[1][None, :])
            dt = frame.time_s - self._last[0]
            d = (np.array([w / 2, h / 2]) - px[0]) * (self.effects.exposure_time_s / dt)
            if np.isfinite(d).all():
                shift = (float(d[0]), float(d[1]))
        self._last = (frame.time_s, ground)
        return shift

    def _auto_exposure(self, image: np.ndarray) -> None:
        """Camera auto-exposure: steer toward a mid-grey mean, a third of the way per frame (it lags and
        overshoots when the view swings between bright roofs, dark asphalt and sky)."""
        mean = float(image[::8, ::8].mean())
        if mean > 1.0:
            e = self.effects.exposure
            self.effects.set_exposure(float(np.clip(e + (115.0 / mean - e) / 3.0, 0.5, 2.0)))

    def capture(self, pose: PoseSample) -> tuple[bytes, RenderedFrame]:
        """JPEG bytes and the frame (clean image, ground truth, pose) at ``pose.time_s``."""
        self._advance_traffic(pose.time_s)
        frame = self.renderer.render(pose, self.traffic.snapshot(), self._frame_id)
        cam = self.renderer.camera_pose(pose)
        if self.auto_exposure:
            self._auto_exposure(frame.image)
        image = self.effects.apply(frame.image, self._blur_shift(frame, cam))
        self._frame_id += 1
        return jpeg_bytes(image, self.jpeg_quality), frame
