"""Ground Kalman tracker (speed, covariance, re-association) and ultralytics' image trackers on our detections."""
from __future__ import annotations

import numpy as np
import pytest

from vision.detections import Detections
from vision.tracking.ground import GroundConfig, GroundTracker
from vision.tracking.image import ImageTracker, ImageTrackerConfig


def drive(tracker, n=50, steps=60, dt=0.1, noise=0.5, id_change_at=None, gap=None, seed=0):
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(-100, 100, (n, 2))
    v = rng.uniform(-15, 15, (n, 2))
    cov = np.broadcast_to(np.eye(2) * noise ** 2, (n, 2, 2)).copy()
    state = None
    for k in range(steps):
        if gap and gap[0] <= k < gap[1]:
            continue
        ids = np.arange(n) + (10_000 if id_change_at is not None and k >= id_change_at else 0)
        z = p0 + v * k * dt + rng.normal(0, noise, (n, 2))
        state = tracker.update(k * dt, ids, np.zeros(n, int), np.full(n, 0.8), z, cov)
    return state, p0 + v * (steps - 1) * dt, v


def test_constant_velocity_speed_heading_and_covariance():
    state, truth, v = drive(GroundTracker())
    speed_err_kmh = np.abs(state.speed_mps - np.hypot(v[:, 0], v[:, 1])) * 3.6
    assert speed_err_kmh.mean() < 2.0
    pos_err = np.hypot(*(state.en - truth).T)
    assert np.median(pos_err) < 0.4
    assert 0.15 < state.sigma_m.mean() < 0.8  # filtered below the 0.7 m DRMS of one measurement
    fast = state.speed_mps > 5
    heading_true = np.degrees(np.arctan2(v[:, 0], v[:, 1])) % 360
    d = np.abs((state.heading_deg - heading_true + 180) % 360 - 180)
    assert np.median(d[fast]) < 3.0
    # the reported speed sigma is of the right size (within a factor 3 of the actual errors)
    sigma_ratio = np.sqrt(np.mean(speed_err_kmh ** 2)) / np.mean(state.speed_sigma_mps * 3.6)
    assert sigma_ratio > 1 / 3 and sigma_ratio < 3, sigma_ratio


def test_ground_ids_survive_new_image_ids_after_a_gap():
    tracker = GroundTracker()
    state, _, _ = drive(tracker, id_change_at=40, gap=(30, 40))
    assert sorted(state.track_id.tolist()) == list(range(1, 51))  # same 50 ground ids, none new
    assert len(tracker) == 50


def test_without_reassociation_new_ids_appear():
    state, _, _ = drive(GroundTracker(GroundConfig(gate_chi2=0.0)), id_change_at=40, gap=(30, 40))
    assert state.track_id.min() > 50


def test_lost_tracks_expire_and_bad_rows_are_skipped():
    tracker = GroundTracker(GroundConfig(max_lost_s=1.0))
    cov = np.broadcast_to(np.eye(2), (3, 2, 2)).copy()
    en = np.array([[0.0, 0.0], [np.nan, 1.0], [10.0, 10.0]])
    state = tracker.update(0.0, np.array([1, 2, 3]), np.zeros(3, int), np.ones(3), en, cov)
    assert len(state.track_id) == 2
    tracker.update(5.0, np.array([4]), np.zeros(1, int), np.ones(1), np.array([[500.0, 500.0]]), cov[:1])
    assert len(tracker) == 1


@pytest.mark.parametrize("kind", ["bytetrack", "botsort"])
def test_ultralytics_tracker_keeps_ids_on_moving_boxes(kind):
    tracker = ImageTracker(ImageTrackerConfig(kind=kind, gmc_method="none"))
    base = np.array([[100, 100, 160, 130], [400, 300, 470, 340], [800, 500, 850, 600]], float)
    ids_seen = []
    for k in range(15):
        boxes = base + np.array([4 * k, 2 * k, 4 * k, 2 * k])
        ids, idx = tracker.update(Detections(boxes, [0.9, 0.85, 0.8], [0, 0, 5]), np.zeros((720, 1280, 3), np.uint8))
        if k >= 2:
            assert len(ids) == 3 and sorted(idx.tolist()) == [0, 1, 2]
            ids_seen.append(dict(zip(idx.tolist(), ids.tolist())))
    assert all(d == ids_seen[0] for d in ids_seen)
    assert len(set(ids_seen[0].values())) == 3


def test_untracked_detections_join_lost_tracks_but_never_start_one():
    tracker = GroundTracker()
    cov = np.broadcast_to(np.eye(2) * 0.25, (2, 2, 2)).copy()
    for k in range(10):
        tracker.update(k * 0.1, np.array([7, 8]), np.zeros(2, int), np.ones(2), np.array([[k * 1.0, 0.0], [50.0, 50.0]]), cov)
    # frame 10: the image tracker lost object 7 (id -1); a stray untracked box far from everything
    state = tracker.update(1.0, np.array([-1, 8, -1]), np.zeros(3, int), np.ones(3),
                           np.array([[10.0, 0.0], [50.0, 50.0], [200.0, 200.0]]), np.concatenate([cov, cov[:1]]))
    assert state.rows.tolist() == [0, 1]  # the stray one is dropped
    assert sorted(state.track_id.tolist()) == [1, 2] and len(tracker) == 2


def test_image_id_swap_is_unlinked_by_the_gate():
    tracker = GroundTracker()
    cov = np.broadcast_to(np.eye(2) * 0.25, (2, 2, 2)).copy()
    for k in range(10):
        tracker.update(k * 0.1, np.array([1, 2]), np.zeros(2, int), np.ones(2), np.array([[0.0, k * 1.0], [40.0, k * 1.0]]), cov)
    # the image tracker swaps the two ids; on the ground each measurement still belongs to its own track
    state = tracker.update(1.0, np.array([2, 1]), np.zeros(2, int), np.ones(2), np.array([[0.0, 10.0], [40.0, 10.0]]), cov)
    assert state.track_id.tolist() == [1, 2]
