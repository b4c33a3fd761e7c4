"""The ground tracker's compiled kernels against plain numpy/linear-algebra references."""
from __future__ import annotations

import numpy as np

from vision.tracking import kalman
from vision.tracking.frame_motion import estimate_frame_motion
from vision.tracking.pairs import gated_costs, near_pairs, pair_iou


def _brute_pairs(a: np.ndarray, b: np.ndarray, radius: float) -> set[tuple[int, int]]:
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(d < radius))}


def test_near_pairs_equals_a_distance_table_with_negative_coordinates_nan_and_cell_edges():
    rng = np.random.default_rng(3)
    a = rng.uniform(-60, 60, (300, 2))
    b = rng.uniform(-60, 60, (250, 2))
    b[:20] = a[:20] + rng.normal(0, 2.0, (20, 2))  # plenty of close pairs
    b[20] = [4.0, -8.0]  # exactly on cell boundaries of a 4 m grid
    a[0] = [0.0, -4.0]
    a[1] = [np.nan, 3.0]  # a non-finite point pairs with nothing
    b[21] = [np.inf, 0.0]
    for radius in (0.5, 4.0, 6.0, 25.0):
        i, j = near_pairs(a, b, radius)
        got = set(zip(i.tolist(), j.tolist()))
        assert got == _brute_pairs(np.nan_to_num(a, nan=1e9), np.nan_to_num(b, posinf=-1e9), radius)
        assert len(got) == len(i)  # no pair twice
    assert near_pairs(a[:0], b, 4.0)[0].shape == (0,)
    assert near_pairs(a, b[:0], 4.0)[1].shape == (0,)


def test_gated_costs_match_the_mahalanobis_and_iou_formulas():
    rng = np.random.default_rng(7)
    q = rng.uniform(0, 20, (30, 2))
    pred = rng.uniform(0, 20, (25, 2))
    A = rng.normal(0, 0.6, (25, 2, 2))
    S = A @ A.transpose(0, 2, 1) + 0.3 * np.eye(2)
    R = np.broadcast_to(np.diag([0.2, 0.5]), (30, 2, 2)).copy()
    det_group = rng.integers(0, 2, 30)
    track_group = rng.integers(0, 2, 25)
    det_box = np.column_stack([q * 10, q * 10 + 30])
    track_box = np.column_stack([pred * 10, pred * 10 + 30])
    track_box[3] = np.nan  # unknown last box: no overlap
    row, col = np.meshgrid(np.arange(30), np.arange(25), indexing="ij")
    row, col = row.ravel(), col.ravel()
    for add_cov, weight in ((False, 6.0), (True, 0.0)):
        keep, cost = gated_costs(q, row, col, pred, S, R, add_cov, det_group, track_group, det_box, track_box,
                                 weight, 13.8)
        Sp = S[col] + (R[row] if add_cov else 0.0)
        d = q[row] - pred[col]
        m2 = np.einsum("ki,kij,kj->k", d, np.linalg.inv(Sp), d)
        want = (det_group[row] == track_group[col]) & (m2 < 13.8)
        assert keep.tolist() == want.tolist() and want.sum() > 20
        iou = np.nan_to_num(pair_iou(det_box[row], track_box[col]))
        np.testing.assert_allclose(cost[keep], (m2 + weight * (1.0 - iou))[want], rtol=1e-9)


def test_kalman_kernels_equal_the_matrix_form():
    rng = np.random.default_rng(11)
    n, q = 6, 2.0
    x = rng.normal(0, 5, (n, 4))
    A = rng.normal(0, 1, (n, 4, 4))
    P = A @ A.transpose(0, 2, 1) + np.eye(4)
    t_last = rng.uniform(0, 1, n)
    rows = np.array([0, 2, 3, 5])
    x1, P1, t1 = x.copy(), P.copy(), t_last.copy()
    kalman.propagate(x1, P1, t1, rows, 1.5, q)
    for r in range(n):
        if r not in rows:
            assert np.array_equal(x1[r], x[r]) and np.array_equal(P1[r], P[r])
            continue
        dt = 1.5 - t_last[r]
        F = np.eye(4)
        F[0, 2] = F[1, 3] = dt
        G = np.array([[dt ** 3 / 3, dt ** 2 / 2], [dt ** 2 / 2, dt]]) * q
        Q = np.zeros((4, 4))
        Q[np.ix_([0, 2], [0, 2])] = G
        Q[np.ix_([1, 3], [1, 3])] = G
        np.testing.assert_allclose(x1[r], F @ x[r], rtol=1e-12)
        np.testing.assert_allclose(P1[r], F @ P[r] @ F.T + Q, rtol=1e-12)
        assert t1[r] == 1.5
    z = rng.normal(0, 5, (len(rows), 2))
    R = np.broadcast_to(np.diag([0.3, 0.4]), (len(rows), 2, 2)).copy()
    x2, P2 = x1.copy(), P1.copy()
    kalman.correct(x2, P2, rows, z, R)
    H = np.eye(2, 4)
    for k, r in enumerate(rows):
        K = P1[r] @ H.T @ np.linalg.inv(H @ P1[r] @ H.T + R[k])
        np.testing.assert_allclose(x2[r], x1[r] + K @ (z[k] - H @ x1[r]), rtol=1e-10)
        Pw = (np.eye(4) - K @ H) @ P1[r]
        np.testing.assert_allclose(P2[r], 0.5 * (Pw + Pw.T), rtol=1e-10, atol=1e-12)


def test_frame_motion_finds_the_common_shift_among_wrong_pairs():
    rng = np.random.default_rng(4)
    pred = rng.uniform(-40, 40, (60, 2))
    q = pred + [0.9, -0.6] + rng.normal(0, 0.1, pred.shape)
    wr, wc = rng.integers(0, 60, 40), rng.integers(0, 60, 40)  # 40 wrong pairs, as a dense scene gives
    rows, cols = np.concatenate([np.arange(60), wr]), np.concatenate([np.arange(60), wc])
    d = q[rows] - pred[cols]
    motion = estimate_frame_motion(d, q[rows], rows, cols, min_common=6, max_common_m=3.0, min_affine=0)
    assert not motion.affine and np.hypot(*(motion.offset - [0.9, -0.6])) < 0.05
    assert np.abs(motion.undo(q) - pred).max() < 0.5
    # too few agreeing votes: nothing is taken out
    none = estimate_frame_motion(d[:5], q[:5], rows[:5], cols[:5], min_common=6, max_common_m=3.0, min_affine=0)
    assert np.array_equal(none.undo(q), q)


def test_frame_motion_recovers_a_small_rotation_as_an_affine():
    rng = np.random.default_rng(5)
    pred = rng.uniform(-40, 40, (60, 2))
    ang = np.radians(1.5)  # 1 m at 40 m from the centre: more than one shift can explain
    M = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    q = (pred - pred.mean(0)) @ M.T + pred.mean(0) + [0.9, -0.6] + rng.normal(0, 0.05, pred.shape)
    wr, wc = rng.integers(0, 60, 40), rng.integers(0, 60, 40)
    rows, cols = np.concatenate([np.arange(60), wr]), np.concatenate([np.arange(60), wc])
    motion = estimate_frame_motion(q[rows] - pred[cols], q[rows], rows, cols, min_common=6, max_common_m=3.0,
                                   min_affine=8)
    assert motion.affine
    np.testing.assert_allclose(motion.matrix, M, atol=0.01)
    assert np.abs(motion.undo(q) - pred).max() < 0.25  # up to 1.9 m of shift and rotation, down to the noise
