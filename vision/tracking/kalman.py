"""Constant-velocity Kalman filter steps over a table of ground tracks (state [e, n, ve, vn], 4x4 covariance),
as numba loops: one frame updates ~200 small filters, where numpy's per-call overhead outweighed the work."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def propagate(x: np.ndarray, P: np.ndarray, t_last: np.ndarray, rows: np.ndarray, t: float, q: float) -> None:
    """Rows ``rows`` of the table, in place, from their own time ``t_last`` to ``t`` (never backwards):
    x <- F x, P <- F P F' + Q, F = [[I, dt I], [0, I]], Q the white-acceleration noise of density ``q``."""
    for r in rows:
        dt = max(t - t_last[r], 0.0)
        t_last[r] = t
        if dt == 0.0:
            continue
        x[r, 0] += dt * x[r, 2]
        x[r, 1] += dt * x[r, 3]
        for j in range(4):  # rows: P[:2] += dt P[2:]
            P[r, 0, j] += dt * P[r, 2, j]
            P[r, 1, j] += dt * P[r, 3, j]
        for i in range(4):  # columns: P[:, :2] += dt P[:, 2:]
            P[r, i, 0] += dt * P[r, i, 2]
            P[r, i, 1] += dt * P[r, i, 3]
        d3, d2, d1 = q * dt ** 3 / 3.0, q * dt ** 2 / 2.0, q * dt
        for a in range(2):
            P[r, a, a] += d3
            P[r, a, a + 2] += d2
            P[r, a + 2, a] += d2
            P[r, a + 2, a + 2] += d1


@njit(cache=True, nogil=True)
def correct(x: np.ndarray, P: np.ndarray, rows: np.ndarray, z: np.ndarray, R: np.ndarray) -> None:
    """Position measurements z[k] (covariance R[k]) of table rows rows[k], in place (Joseph-free form,
    symmetrised): K = P H' (H P H' + R)^-1, x += K (z - H x), P -= K H P."""
    for k in range(len(rows)):
        r = rows[k]
        a = P[r, 0, 0] + R[k, 0, 0]
        b = P[r, 0, 1] + R[k, 0, 1]
        c = P[r, 1, 0] + R[k, 1, 0]
        d = P[r, 1, 1] + R[k, 1, 1]
        det = a * d - b * c
        i00, i01, i10, i11 = d / det, -b / det, -c / det, a / det
        y0, y1 = z[k, 0] - x[r, 0], z[k, 1] - x[r, 1]
        K = np.empty((4, 2))
        for i in range(4):
            K[i, 0] = P[r, i, 0] * i00 + P[r, i, 1] * i10
            K[i, 1] = P[r, i, 0] * i01 + P[r, i, 1] * i11
        for i in range(4):
            x[r, i] += K[i, 0] * y0 + K[i, 1] * y1
        top = P[r, :2, :].copy()  # H P
        for i in range(4):
            for j in range(4):
                P[r, i, j] -= K[i, 0] * top[0, j] + K[i, 1] * top[1, j]
        for i in range(4):
            for j in range(i + 1, 4):
                m = 0.5 * (P[r, i, j] + P[r, j, i])
                P[r, i, j] = m
                P[r, j, i] = m
