"""The renderer: exact to geo's camera model (boxes within 1 px), agents drawn where their boxes are,
sky above the horizon, deterministic."""
from __future__ import annotations

import math

import numpy as np
import pytest

from geo.camera import CameraModel
from geo.pose import CameraPoseENU, GimbalAttitude, PoseSample
from geo.projection import enu_to_pixel, ground_to_pixel
from sims.camera.render import CameraRenderer, ground_homography
from sims.traffic.scenario import TrafficScenario
from sims.traffic.sim import TrafficSim
from sims.world.ortho import render_orthophoto
from sims.world.town import TownSpec, generate_town


@pytest.fixture(scope="module")
def world():
    town = generate_town(TownSpec(seed=7, half_extent_m=160.0))
    ortho = render_orthophoto(town, res_m=0.15)
    sim = TrafficSim(town, TrafficScenario(seed=1, vehicles=150, pedestrians=150))
    for _ in range(20):
        sim.tick(0.1)
    return town, ortho, sim


def _pose(town, e, n, agl, pitch_deg, yaw_deg, roll_deg=0.0, t=0.0):
    lat, lon, _ = town.frame.to_wgs84(e, n, 0.0)
    g = GimbalAttitude.from_euler(0.0, math.radians(pitch_deg), 0.0, "vehicle")
    return PoseSample(t, float(lat), float(lon), town.spec.alt_m + agl, math.radians(roll_deg), 0.02,
                      math.radians(yaw_deg), g)


def _independent_boxes(town, pose, camera, snap):
    """Each agent's cuboid corners, taken to WGS84 and projected with geo.ground_to_pixel."""
    boxes = {}
    for i in range(len(snap)):
        d = snap.direction[i]
        s = np.array([-d[1], d[0]])
        c = np.array([snap.e[i], snap.n[i]])
        corners = []
        for a in (1, -1):
            for b in (1, -1):
                for z in (0.0, snap.height[i]):
                    xy = c + a * d * snap.length[i] / 2 + b * s * snap.width[i] / 2
                    corners.append((xy[0], xy[1], z))
        corners = np.array(corners)
        lat, lon, alt = town.frame.to_wgs84(corners[:, 0], corners[:, 1], corners[:, 2])
        px, _ = ground_to_pixel(pose, camera, lat, lon, alt, frame=town.frame)
        if np.isfinite(px).all():
            boxes[int(snap.ids[i])] = np.concatenate([px.min(0), px.max(0)])
    return boxes


@pytest.mark.parametrize("agl,pitch,yaw,roll", [(40, -90, 0, 0), (90, -50, 35, 2), (140, -30, 200, -3)])
def test_boxes_match_geo_projection_within_1px(world, agl, pitch, yaw, roll):
    town, ortho, sim = world
    camera = CameraModel.from_hfov(1280, 720, 70)
    r = CameraRenderer(town, ortho, camera)
    snap = sim.snapshot()
    k = int(np.argmax(snap.kind != "person"))
    back = agl / math.tan(math.radians(-pitch)) if pitch > -89.9 else 0.0  # optical axis onto agent k
    pose = _pose(town, snap.e[k] - back * math.sin(math.radians(yaw)), snap.n[k] - back * math.cos(math.radians(yaw)),
                 agl, pitch, yaw, roll)
    frame = r.render(pose, snap)
    assert len(frame.truth) > 0
    ref = _independent_boxes(town, pose, camera, snap)
    for aid, full, clipped, frac in zip(frame.truth.agent_ids, frame.truth.full_boxes, frame.truth.boxes,
                                        frame.truth.visible_fraction):
        assert np.abs(full - ref[int(aid)]).max() < 1.0
        expect = np.clip(ref[int(aid)], 0, [1280, 720, 1280, 720])
        assert np.abs(clipped - expect).max() < 1.0
        assert 0 < frac <= 1.0
    # every agent whose box is fully inside the image is reported
    inside = {a for a, b in ref.items() if b[0] >= 0 and b[1] >= 0 and b[2] <= 1280 and b[3] <= 720}
    assert inside <= set(int(a) for a in frame.truth.agent_ids)


def test_ground_homography_is_geo_projection(world):
    town, _, _ = world
    camera = CameraModel.from_hfov(1920, 1080, 60)
    pose = _pose(town, 10, -40, 75, -40, 120, 4)
    cam = CameraPoseENU.from_pose(pose, town.frame)
    H = ground_homography(cam, camera)
    pts = np.random.default_rng(0).uniform(-100, 100, (200, 2))
    hom = (H @ np.column_stack([pts, np.ones(len(pts))]).T).T
    px_h = hom[:, :2] / hom[:, 2:]
    px_g, vis = enu_to_pixel(cam, camera, np.column_stack([pts, np.zeros(len(pts))]))
    assert vis.sum() > 20
    assert np.abs(px_h[vis] - px_g[vis]).max() < 1e-6


def test_agents_drawn_inside_their_boxes(world):
    town, ortho, sim = world
    camera = CameraModel.from_hfov(1280, 720, 60)
    r = CameraRenderer(town, ortho, camera)
    snap = sim.snapshot()
    k = int(np.argmax(snap.kind == "car"))
    pose = _pose(town, snap.e[k], snap.n[k], 35, -90, 0)
    frame = r.render(pose, snap)
    empty = r.render(pose, type(snap)(snap.t, *(getattr(snap, f)[:0] for f in (
        "ids", "cls", "kind", "e", "n", "direction", "speed", "length", "width", "height", "colour", "style"))))
    diff = np.abs(frame.image.astype(int) - empty.image.astype(int)).max(axis=2) > 12
    changed_boxes = 0
    for b in frame.truth.boxes[frame.truth.visible_fraction == 1.0].astype(int):
        if diff[b[1]:b[3], b[0]:b[2]].mean() > 0.3:
            changed_boxes += 1
    full = int((frame.truth.visible_fraction == 1.0).sum())
    assert full > 0 and changed_boxes == full


def test_horizon_sky_above_ground_below_and_deterministic(world):
    town, ortho, sim = world
    camera = CameraModel.from_hfov(640, 360, 80)
    r = CameraRenderer(town, ortho, camera)
    pose = _pose(town, 0, 0, 60, -8, 45)
    a = r.render(pose, sim.snapshot()).image
    b = r.render(pose, sim.snapshot()).image
    assert np.array_equal(a, b)
    top, bottom = a[:20].reshape(-1, 3).mean(0), a[-20:].reshape(-1, 3).mean(0)
    assert top[0] > top[2] + 15 and top.mean() > 150  # bright blue-ish sky (BGR)
    assert bottom.mean() < top.mean() - 30
