"""Contact point choice measured on 3-D car boxes projected by geo: mid-height centre ray beats bottom-centre."""
from __future__ import annotations

import math

import numpy as np
import pytest

from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty
from geo.projection import pixel_to_ground
from vision.detections import Detections
from vision.georef import Georeferencer
from vision.synthetic import SceneConfig, SyntheticScene


def errors(pitch_deg: float, mode: str) -> np.ndarray:
    scene = SyntheticScene(SceneConfig(n_cars=60, seed=3, gimbal_pitch_deg=pitch_deg))
    pose = PoseSample(0.0, 47.0, 8.0, 480.0, 0.0, 0.0, 0.2, GimbalAttitude.from_euler(0, math.radians(pitch_deg), 0),
                      PoseUncertainty(math.radians(0.3), 0.3, 0.3))
    rng = np.random.default_rng(0)
    px = np.column_stack([rng.uniform(150, 1130, 60), rng.uniform(120, 600, 60)])
    g = pixel_to_ground(pose, scene.camera, px, 400.0, frame=scene.frame)
    e, n, _ = scene.frame.to_enu(g.lat, g.lon, g.alt)
    en = np.column_stack([e, n])
    boxes, inside = scene.boxes(pose, en)
    fixes = Georeferencer(scene.camera, scene.frame, 400.0, mode).locate(
        pose, Detections(boxes[inside], np.full(inside.sum(), 0.9), np.zeros(inside.sum())))
    assert fixes.valid.all() and inside.sum() > 40
    assert (fixes.sigma_m > 0).all() and np.isfinite(fixes.cov).all()
    return np.hypot(*(fixes.en - en[inside]).T)


@pytest.mark.parametrize("pitch", [-90.0, -60.0, -45.0])
def test_midheight_contact_is_unbiased(pitch):
    mid = errors(pitch, "midheight")
    bottom = errors(pitch, "bottom")
    assert np.median(mid) < 0.1
    assert np.median(bottom) > 1.5  # half a car length: why bottom-centre is not the default
    if pitch <= -89:
        assert np.median(errors(pitch, "auto")) < 0.5  # near nadir the rule uses the centre


def test_unknown_contact_mode():
    scene = SyntheticScene(SceneConfig(n_cars=1))
    with pytest.raises(ValueError, match="contact mode"):
        Georeferencer(scene.camera, scene.frame, 400.0, "top")
