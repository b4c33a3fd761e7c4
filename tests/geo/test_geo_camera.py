"""Camera intrinsics and distortion, checked against OpenCV's own model."""
import math

import cv2
import numpy as np
import pytest

from geo.camera import CameraModel


def test_focal_from_hfov_and_focal_mm():
    cam = CameraModel.from_hfov(1920, 1080, 90.0)
    assert cam.fx == pytest.approx(960.0)
    assert cam.hfov_deg == pytest.approx(90.0)
    assert cam.vfov_deg == pytest.approx(math.degrees(2 * math.atan(540 / 960)))
    mm = CameraModel.from_focal_mm(4000, 3000, focal_mm=8.8, sensor_width_mm=13.2)
    assert mm.fx == pytest.approx(8.8 / 13.2 * 4000)
    assert mm.gsd_m(100.0) == pytest.approx(100.0 / mm.fx)


def test_distortion_matches_opencv_and_round_trips():
    dist = (-0.12, 0.03, 0.001, -0.0015, -0.004)
    cam = CameraModel(1280, 720, 900.0, 905.0, 641.5, 359.0, dist)
    rng = np.random.default_rng(0)
    pts = np.column_stack((rng.uniform(-0.6, 0.6, 500), rng.uniform(-0.35, 0.35, 500), np.ones(500))) * rng.uniform(5, 50, (500, 1))
    ours = cam.project(pts)
    ref, _ = cv2.projectPoints(pts.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), cam.matrix, np.array(dist))
    np.testing.assert_allclose(ours, ref.reshape(-1, 2), atol=1e-6)
    rays = cam.unproject(ours)
    back = cam.project(rays * 10.0)
    np.testing.assert_allclose(back, ours, atol=1e-6)


def test_points_behind_camera_do_not_project():
    cam = CameraModel.from_hfov(640, 480, 60)
    px = cam.project(np.array([[0.0, 0.0, -5.0], [0.0, 0.0, 5.0]]))
    assert np.all(np.isnan(px[0])) and np.allclose(px[1], [320, 240])


@pytest.mark.parametrize("kwargs,field", [
    (dict(width=0, height=480, fx=1, fy=1, cx=0, cy=0), "size"),
    (dict(width=640, height=480, fx=-1, fy=1, cx=0, cy=0), "focal"),
    (dict(width=640, height=480, fx=1, fy=1, cx=float("nan"), cy=0), "cx"),
    (dict(width=640, height=480, fx=1, fy=1, cx=0, cy=0, dist=(0, 0, 0)), "dist"),
])
def test_bad_intrinsics_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        CameraModel(**kwargs)
