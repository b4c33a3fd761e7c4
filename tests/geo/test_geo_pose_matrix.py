"""The plain-matrix camera rotation (the per-frame hot path) equals the scipy Rotation composition."""
from __future__ import annotations

import math

import numpy as np
import pytest

from geo.pose import FixedMount, GimbalAttitude, PoseSample, camera_rotation_ned


@pytest.mark.parametrize("seed", range(30))
def test_camera_rotation_matrix_equals_rotation_composition(seed):
    rng = np.random.default_rng(seed)
    roll, pitch = rng.uniform(-0.6, 0.6, 2)
    yaw = rng.uniform(-math.pi, math.pi)
    kind = seed % 3
    if kind == 0:
        gimbal = FixedMount(*rng.uniform(-1.5, 1.5, 3))
    else:
        gimbal = GimbalAttitude.from_euler(rng.uniform(-0.3, 0.3), rng.uniform(-1.57, 0.2), rng.uniform(-3, 3),
                                           "earth" if kind == 1 else "vehicle")
    pose = PoseSample(0.0, 47.0, 8.0, 500.0, roll, pitch, yaw, gimbal)
    fast = camera_rotation_ned(pose)
    slow = pose.camera_rotation().as_matrix()
    assert np.abs(fast - slow).max() < 1e-12
    assert np.allclose(fast @ fast.T, np.eye(3), atol=1e-12)
