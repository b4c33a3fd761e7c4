"""Pixel <-> ground: analytic cases, exact round trips, DEM casting, footprints and bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from geo.camera import CameraModel
from geo.dem import GridDEM
from geo.frames import LocalFrame
from geo.shapes import to_metres
from geo.pose import FixedMount, GimbalAttitude, PoseSample, PoseUncertainty
from geo.projection import (NoGroundIntersection, Reason, footprint, ground_to_pixel, pixel_to_ground,
                            pixel_to_ground_one)

LAT, LON, GROUND = 48.137, 11.575, 520.0
CAM = CameraModel.from_hfov(1920, 1080, 80.0)
NADIR = FixedMount(0.0, -math.pi / 2, 0.0)


def pose(h=100.0, roll=0.0, pitch=0.0, yaw=0.0, gimbal=NADIR, sigma=PoseUncertainty()):
    return PoseSample(0.0, LAT, LON, GROUND + h, roll, pitch, yaw, gimbal, sigma)


def enu(points, frame=None):
    frame = frame or LocalFrame(LAT, LON, GROUND)
    e, n, u = frame.to_enu(points.lat, points.lon, points.alt)
    return np.column_stack((e, n, u))


def test_nadir_pixel_offset_to_metres():
    h = 100.0
    px = np.array([[960, 540], [960 + 200, 540], [960, 540 - 300]])
    g = enu(pixel_to_ground(pose(h), CAM, px, GROUND))
    np.testing.assert_allclose(g[0], [0, 0, 0], atol=1e-6)
    assert g[1, 0] == pytest.approx(200 / CAM.fx * h, abs=1e-3) and abs(g[1, 1]) < 1e-3  # right = east
    assert g[2, 1] == pytest.approx(300 / CAM.fy * h, abs=1e-3) and abs(g[2, 0]) < 1e-3  # up = north


def test_oblique_45_degrees_centre_hits_at_altitude_distance():
    gimbal = GimbalAttitude.from_euler(0.0, math.radians(-45), 0.0, "vehicle")
    g = enu(pixel_to_ground(pose(80.0, gimbal=gimbal), CAM, np.array([[960, 540]]), GROUND))
    assert g[0, 1] == pytest.approx(80.0, abs=0.01) and abs(g[0, 0]) < 1e-3


def test_yaw_90_puts_image_up_toward_east():
    g = enu(pixel_to_ground(pose(100.0, yaw=math.pi / 2), CAM, np.array([[960, 0]]), GROUND))
    assert g[0, 0] == pytest.approx(540 / CAM.fy * 100, abs=1e-3) and abs(g[0, 1]) < 1e-3


def test_earth_frame_gimbal_ignores_vehicle_yaw_but_vehicle_frame_follows_it():
    earth = GimbalAttitude.from_euler(0.0, math.radians(-60), math.radians(30), "earth")
    vehicle = GimbalAttitude.from_euler(0.0, math.radians(-60), math.radians(30), "vehicle")
    px = np.array([[960, 540], [100, 900]])
    a = enu(pixel_to_ground(pose(gimbal=earth, yaw=0.0), CAM, px, GROUND))
    b = enu(pixel_to_ground(pose(gimbal=earth, yaw=1.2, roll=0.1, pitch=-0.05), CAM, px, GROUND))
    np.testing.assert_allclose(a, b, atol=1e-6)
    c = enu(pixel_to_ground(pose(gimbal=vehicle, yaw=math.radians(60)), CAM, np.array([[960, 540]]), GROUND))
    bearing = math.degrees(math.atan2(c[0, 0], c[0, 1]))
    assert bearing == pytest.approx(90.0, abs=1e-6)  # 30 deg gimbal + 60 deg heading


def test_mavlink_flags_select_the_frame():
    q = (1.0, 0.0, 0.0, 0.0)
    assert GimbalAttitude.from_mavlink(q, 32).frame == "vehicle"
    assert GimbalAttitude.from_mavlink(q, 64).frame == "earth"
    assert GimbalAttitude.from_mavlink(q, 16).frame == "earth"  # legacy YAW_LOCK
    assert GimbalAttitude.from_mavlink(q, 0).frame == "vehicle"
    with pytest.raises(ValueError, match="both"):
        GimbalAttitude.from_mavlink(q, 96)


@settings(max_examples=60, deadline=None)
@given(h=st.floats(20, 400), roll=st.floats(-0.4, 0.4), pitch=st.floats(-0.4, 0.4), yaw=st.floats(-math.pi, math.pi),
       gpitch=st.floats(-90, -20), gyaw=st.floats(-180, 180), u=st.floats(0, 1920), v=st.floats(0, 1080))
def test_pixel_ground_pixel_round_trip(h, roll, pitch, yaw, gpitch, gyaw, u, v):
    gimbal = GimbalAttitude.from_euler(0.0, math.radians(gpitch), math.radians(gyaw), "vehicle")
    p = pose(h, roll, pitch, yaw, gimbal)
    g = pixel_to_ground(p, CAM, np.array([[u, v]]), GROUND, max_range_m=1e5)
    if not g.valid[0]:
        assert g.reason[0] in (Reason.ABOVE_HORIZON, Reason.BEYOND_MAX_RANGE)
        return
    assert g.alt[0] == pytest.approx(GROUND, abs=0.01)
    back, visible = ground_to_pixel(p, CAM, g.lat, g.lon, g.alt)
    assert np.max(np.abs(back[0] - [u, v])) < 1e-6


def test_distorted_camera_round_trip():
    cam = CameraModel(1280, 720, 1000, 1000, 640, 360, (-0.2, 0.05, 0.001, 0.001, 0.0))
    p = pose(70.0, gimbal=GimbalAttitude.from_euler(0, math.radians(-50), 0, "vehicle"))
    px = np.array([[5.0, 700.0], [640, 360], [1275, 20]])
    g = pixel_to_ground(p, cam, px, GROUND)
    back, _ = ground_to_pixel(p, cam, g.lat, g.lon, g.alt)
    np.testing.assert_allclose(back, px, atol=1e-6)


def test_above_horizon_and_max_range_are_clear_errors():
    level = GimbalAttitude.from_euler(0.0, 0.0, 0.0, "vehicle")
    with pytest.raises(NoGroundIntersection, match="above horizon"):
        pixel_to_ground_one(pose(gimbal=level), CAM, 960, 100, GROUND)
    shallow = GimbalAttitude.from_euler(0.0, math.radians(-2), 0.0, "vehicle")
    with pytest.raises(NoGroundIntersection, match="beyond max range"):
        pixel_to_ground_one(pose(gimbal=shallow), CAM, 960, 540, GROUND, max_range_m=1000)
    g = pixel_to_ground(pose(gimbal=level), CAM, np.array([[960, 100], [960, 1000]]), GROUND)
    assert list(g.valid) == [False, True] and np.isnan(g.lat[0])


def test_bad_pixels_are_named():
    with pytest.raises(ValueError, match="finite"):
        pixel_to_ground_one(pose(), CAM, float("nan"), 3.0)
    with pytest.raises(ValueError, match="outside"):
        pixel_to_ground_one(pose(), CAM, 2500.0, 3.0)
    g = pixel_to_ground(pose(), CAM, np.array([[np.nan, 1.0], [-5.0, 1.0]]), GROUND)
    assert list(g.reason) == [Reason.INVALID_PIXEL, Reason.OUT_OF_IMAGE]
    with pytest.raises(ValueError, match="shape"):
        pixel_to_ground(pose(), CAM, np.zeros((3, 3)), GROUND)


def test_camera_below_ground():
    g = pixel_to_ground(pose(-5.0), CAM, np.array([[960, 540]]), GROUND)
    assert g.reason[0] == Reason.CAMERA_BELOW_GROUND


def test_dem_cast_on_a_slope_lands_on_the_terrain():
    frame = LocalFrame(LAT, LON, GROUND)
    lats = np.linspace(LAT - 0.01, LAT + 0.01, 201)
    lons = np.linspace(LON - 0.01, LON + 0.01, 201)
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    e, n, _ = frame.to_enu(glat, glon, GROUND)
    heights = GROUND + 0.1 * e  # a 10 % slope rising to the east
    dem = GridDEM(lats, lons, heights)
    gimbal = GimbalAttitude.from_euler(0.0, math.radians(-50), math.radians(90), "vehicle")
    p = pose(120.0, gimbal=gimbal)
    px = np.array([[960, 540], [300, 800], [1600, 200]])
    g = pixel_to_ground(p, CAM, px, dem)
    assert g.valid.all()
    terrain = dem.height(g.lat, g.lon)
    np.testing.assert_allclose(g.alt, terrain, atol=0.02)
    back, _ = ground_to_pixel(p, CAM, g.lat, g.lon, g.alt)
    np.testing.assert_allclose(back, px, atol=1e-6)
    outside = pixel_to_ground(pose(120.0, gimbal=GimbalAttitude.from_euler(0, math.radians(-3), 0, "vehicle")),
                              CAM, np.array([[960, 540]]), dem)
    assert outside.reason[0] in (Reason.NO_TERRAIN, Reason.BEYOND_MAX_RANGE)


def test_uncertainty_matches_monte_carlo_at_100m_nadir():
    sigma = math.radians(0.5)
    p = pose(100.0, sigma=PoseUncertainty(attitude_rad=sigma))
    reported = pixel_to_ground(p, CAM, np.array([[960, 540]]), GROUND).sigma_m[0]
    rng = np.random.default_rng(7)
    base = p.camera_rotation()
    errors = []
    frame = LocalFrame(LAT, LON, GROUND)
    ray_ned = base.apply([0.0, 0.0, 1.0])
    for rotvec in rng.normal(0.0, sigma, (4000, 3)):
        d = Rotation.from_rotvec(rotvec).apply(ray_ned)
        t = 100.0 / d[2]
        errors.append([t * d[1], t * d[0]])  # east, north
    mc = math.sqrt(np.mean(np.sum(np.square(errors), axis=1)))
    assert reported == pytest.approx(100 * math.tan(sigma) * math.sqrt(2), rel=1e-3)
    assert reported == pytest.approx(mc, rel=0.10)
    assert frame.alt == GROUND


def test_position_and_height_sigma_add_up():
    p = pose(100.0, gimbal=GimbalAttitude.from_euler(0, math.radians(-45), 0, "vehicle"),
             sigma=PoseUncertainty(0.0, 2.0, 3.0))
    g = pixel_to_ground(p, CAM, np.array([[960, 540]]), GROUND)
    # 45 deg: 1 m of height error moves the hit 1 m north; position adds 2 m per axis.
    assert g.sigma_m[0] == pytest.approx(math.sqrt(2 * 2.0 ** 2 + 3.0 ** 2), rel=1e-6)


def test_footprint_nadir_area_and_clipping():
    fp = footprint(pose(100.0), CAM, GROUND)
    frame = LocalFrame(LAT, LON, GROUND, "ground")
    metric = to_metres(fp, frame)
    width = 2 * 100 * math.tan(math.radians(40))
    height = width * 1080 / 1920
    assert metric.area == pytest.approx(width * height, rel=1e-3)
    oblique = GimbalAttitude.from_euler(0, math.radians(-10), 0, "vehicle")  # top of image above the horizon
    clipped = to_metres(footprint(pose(100.0, gimbal=oblique), CAM, GROUND, max_range_m=800), frame)
    ys = np.asarray(clipped.exterior.coords)[:, 1]
    assert clipped.is_valid and ys.max() <= 800 + 1e-6 and ys.max() > 700
    up = GimbalAttitude.from_euler(0, math.radians(60), 0, "vehicle")
    assert footprint(pose(100.0, gimbal=up), CAM, GROUND).is_empty
