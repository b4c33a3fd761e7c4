"""Association on the ground (``GroundTracker.track``) and the sparse gated assignment under it."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from vision.tracking.assignment import assign_pairs
from vision.tracking.ground import GroundConfig, GroundTracker


def brute_force(n_rows: int, n_cols: int, pairs: dict[tuple[int, int], float], unmatched: float) -> float:
    """Minimum total cost over every partial matching (tiny problems only)."""
    best = unmatched * (n_rows + n_cols)
    items = list(pairs.items())
    for k in range(1, min(n_rows, n_cols) + 1):
        for combo in itertools.combinations(items, k):
            rs = [p[0][0] for p in combo]
            cs = [p[0][1] for p in combo]
            if len(set(rs)) < k or len(set(cs)) < k:
                continue
            best = min(best, sum(p[1] for p in combo) + unmatched * (n_rows + n_cols - 2 * k))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_assign_pairs_is_optimal_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    pairs = {(r, c): float(rng.uniform(0, 10)) for r in range(n_rows) for c in range(n_cols) if rng.random() < 0.5}
    unmatched = 3.0
    rows = np.array([p[0] for p in pairs], np.int64)
    cols = np.array([p[1] for p in pairs], np.int64)
    cost = np.array(list(pairs.values()))
    r, c = assign_pairs(rows, cols, cost, unmatched)
    assert len(set(r.tolist())) == len(r) and len(set(c.tolist())) == len(c)  # a matching
    total = sum(pairs[(int(a), int(b))] for a, b in zip(r, c)) + unmatched * (n_rows + n_cols - 2 * len(r))
    assert total == pytest.approx(brute_force(n_rows, n_cols, pairs, unmatched))


def test_assign_pairs_leaves_both_ends_free_when_a_pair_costs_more_than_that():
    # row 0 is near col 0 (1.0); row 1 could only take col 0 at 5.0: max-cardinality would force
    # (0 -> 1 at 5.5, 1 -> 0 at 5.0); the costed optimum keeps the close pair and leaves row 1 free
    r, c = assign_pairs(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 5.5, 5.0]), 2.0)
    assert sorted(zip(r.tolist(), c.tolist())) == [(0, 0)]
    # a large sparse problem matches its dense Hungarian equivalent
    rng = np.random.default_rng(3)
    n = 300
    pts = rng.uniform(0, 200, (n, 2))
    obs = pts + rng.normal(0, 0.8, (n, 2))
    d2 = ((obs[:, None] - pts[None]) ** 2).sum(-1)
    ri, ci = np.nonzero(d2 < 16.0)
    r, c = assign_pairs(ri, ci, d2[ri, ci], 8.0)
    dense = np.full((2 * n, 2 * n), 1e12)
    dense[:n, :n] = np.where(d2 < 16.0, d2, 1e12)
    dense[np.arange(n), n + np.arange(n)] = 8.0
    dense[n + np.arange(n), np.arange(n)] = 8.0
    dense[n:, n:] = 0.0
    a, b = linear_sum_assignment(dense)
    assert dense[a, b].sum() == pytest.approx(d2[r, c].sum() + 8.0 * (2 * n - 2 * len(r)))
    assert (r == c).mean() > 0.97  # and it is (almost always) the true identity


def scene(n=40, steps=60, dt=0.1, noise=0.3, common=0.6, seed=0, spacing=None):
    """n objects, one per lane 8 m apart, driving east or west at 5-20 m/s; per frame each fix has its own
    noise plus one offset shared by all of them (telemetry error); yields (t, en, cov, true index, v)."""
    rng = np.random.default_rng(seed)
    if spacing:  # a crowd at least ``spacing`` metres apart (a jittered grid) walking together at 1.4 m/s
        side = int(np.ceil(np.sqrt(n)))
        p0 = np.array([(i % side, i // side) for i in range(n)], float) * spacing * 1.6
        p0 += rng.uniform(-0.3, 0.3, p0.shape) * spacing
        v = np.tile([1.0, 1.0], (n, 1))
    else:
        p0 = np.column_stack([rng.uniform(-150, 150, n), np.arange(n) * 8.0])
        v = np.column_stack([rng.uniform(5, 20, n) * rng.choice([-1, 1], n), np.zeros(n)])
    sigma = np.hypot(noise, common)
    cov = np.broadcast_to(np.eye(2) * sigma ** 2, (n, 2, 2)).copy()
    for k in range(steps):
        en = p0 + v * k * dt + rng.normal(0, noise, (n, 2)) + rng.normal(0, common, 2)
        yield k * dt, en, cov, np.arange(n), v


def identity_changes(tracker, frames, cls=None, conf=None, skip=(), speed_errors=None):
    """Run frames through ``track``; count ground-id changes per true object after its first report
    (and append each reported speed's error in km/h to ``speed_errors`` from the 30th frame on)."""
    first: dict[int, int] = {}
    changes = 0
    last_state = None
    for k, (t, en, cov, truth, v) in enumerate(frames):
        if k in skip:
            continue
        n = len(en)
        state = tracker.track(t, np.zeros(n, int) if cls is None else cls, np.full(n, 0.8) if conf is None else conf,
                              en, cov)
        for row, tid in zip(state.rows, state.track_id):
            obj = int(truth[row])
            if obj in first and first[obj] != tid:
                changes += 1
            first[obj] = int(tid)
        last_state = state
        if speed_errors is not None and k >= 30:
            true_speed = np.hypot(v[truth[state.rows], 0], v[truth[state.rows], 1])
            speed_errors.extend((np.abs(state.speed_mps - true_speed) * 3.6).tolist())
    return changes, first, last_state


def test_ground_association_keeps_every_identity_and_measures_speed():
    tracker = GroundTracker()
    frames = list(scene(noise=0.3, common=0.3))  # 0.3 m on each fix, 0.3 m shared (0.2 deg at 90 m)
    errors: list[float] = []
    changes, first, state = identity_changes(tracker, frames, speed_errors=errors)
    assert changes == 0
    assert len(first) == 40 and len(set(first.values())) == 40  # 40 objects, 40 ground ids
    # 3-6 s in, 0.42 m of noise per fix at 10 Hz (the shared part is not taken out of the estimate)
    assert len(errors) == 30 * 40 and np.mean(errors) < 2.5, np.mean(errors)  # 1.3 km/h measured


def test_common_offset_is_estimated_and_makes_a_tight_crowd_trackable():
    # people >= 1.2 m apart, each fix jittered 0.15 m on its own and 0.5 m together (0.3 deg at 95 m)
    frames = list(scene(n=36, steps=60, noise=0.15, common=0.5, spacing=1.2, seed=4))
    with_offset = GroundTracker()
    changes, first, _ = identity_changes(with_offset, frames)
    without = GroundTracker(GroundConfig(min_common=0))
    changes_off, _, _ = identity_changes(without, frames)
    assert changes == 0 and len(set(first.values())) == 36
    assert changes_off > 5, changes_off  # the shared error alone swaps neighbours without the estimate
    assert np.hypot(*with_offset.frame_motion.offset) < 3.0


def test_identities_survive_a_gap_and_lost_tracks_expire():
    frames = list(scene(n=30, steps=70, seed=2))
    tracker = GroundTracker(GroundConfig(max_lost_s=2.0))
    changes, first, state = identity_changes(tracker, frames, skip=range(30, 45))  # 1.5 s with nothing seen
    assert changes == 0 and len(set(first.values())) == 30
    # after 2 s unseen every track is dropped: new objects get new ids
    t_end = frames[-1][0]
    gone = tracker.track(t_end + 2.5, np.zeros(1, int), np.full(1, 0.9), np.array([[0.0, 0.0]]), np.eye(2)[None])
    assert len(gone.track_id) == 0 and len(tracker) == 1


def test_confirmation_low_confidence_and_class_groups():
    tracker = GroundTracker()
    cov = np.broadcast_to(np.eye(2) * 0.25, (1, 2, 2)).copy()
    one = np.array([[5.0, 5.0]])
    # a single confident detection is tentative: nothing reported, and it is dropped when missed
    assert len(tracker.track(0.0, np.zeros(1, int), np.full(1, 0.9), one, cov).track_id) == 0
    assert len(tracker.track(0.1, np.zeros(0, int), np.zeros(0), np.zeros((0, 2)), np.zeros((0, 2, 2))).track_id) == 0
    assert len(tracker) == 0
    # below new_track_conf nothing starts, however often it is seen
    for k in range(5):
        assert len(tracker.track(1.0 + k * 0.1, np.zeros(1, int), np.full(1, 0.3), one, cov).track_id) == 0
    # confirmed on the second hit; then weak (0.15) detections keep it alive, a person does not join a car
    for k in range(2):
        state = tracker.track(2.0 + k * 0.1, np.zeros(1, int), np.full(1, 0.9), one, cov)
    assert len(state.track_id) == 1
    car = int(state.track_id[0])
    state = tracker.track(2.2, np.zeros(1, int), np.full(1, 0.15), one, cov)
    assert state.track_id.tolist() == [car]
    state = tracker.track(2.3, np.array([5]), np.full(1, 0.9), one, cov)  # a person on the same spot
    assert len(state.track_id) == 0 and len(tracker) == 2  # a new tentative person track, the car kept
    nan = tracker.track(2.4, np.zeros(2, int), np.full(2, 0.9), np.array([[np.nan, 0.0], [5.0, 5.0]]),
                        np.broadcast_to(np.eye(2) * 0.25, (2, 2, 2)).copy())
    assert nan.rows.tolist() == [1] and nan.track_id.tolist() == [car]


def test_duplicate_tracks_merge_when_enabled():
    """Two confirmed tracks on one object (a car boxed also as a truck, both updated every frame) become
    one when merging is on; with it off (the default) both stay."""
    cov = np.broadcast_to(np.eye(2) * 0.09, (2, 2, 2)).copy()
    boxes = np.array([[100.0, 100.0, 140.0, 120.0], [101.0, 100.0, 141.0, 121.0]])
    counts = {}
    for merge in (0.0, 0.6):
        tracker = GroundTracker(GroundConfig(merge_m=merge, new_track_max_ios=1.0))
        for k in range(6):
            en = np.array([[10.0 + k, 0.0], [10.1 + k, 0.05]])
            state = tracker.track(k * 0.1, np.array([0, 1]), np.array([0.9, 0.8]), en, cov, boxes + [k, 0, k, 0])
        counts[merge] = (len(tracker), len(state.track_id))
    assert counts[0.0] == (2, 2)
    assert counts[0.6][1] == 1  # one reported (the duplicate box may restart a tentative track each frame)
