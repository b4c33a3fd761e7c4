"""The georeferencing error one frame shares with all its detections, estimated from detection-track pairs.

The ground analogue of BoT-SORT's camera-motion compensation: attitude and position noise of the telemetry
shift every fix of a frame alike (a common offset), and a yaw or pitch error rotates or stretches the ground
picture about the camera (an affine). Taken out for association only (docs/vision.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

_CELL_M = 0.25  # histogram cell of the offset votes
_PEAK_M = 0.5  # votes this close to the histogram's peak define the offset
_AFFINE_PAIR_M = 1.0  # pairs this close once shifted feed the affine fit
_AFFINE_MAX_DEV = 0.1  # a linear part further than this from identity (~6 deg, 10 %) is not telemetry jitter


@dataclass
class FrameMotion:
    """detection ~= matrix (truth - centre) + shift; the identity when nothing was estimated."""

    offset: np.ndarray = field(default_factory=lambda: np.zeros(2))  # common translation (m, east/north)
    matrix: np.ndarray = field(default_factory=lambda: np.eye(2))  # linear part of the affine fit
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2))
    shift: np.ndarray = field(default_factory=lambda: np.zeros(2))
    affine: bool = False  # matrix/centre/shift were fitted (else only the offset applies)

    def undo(self, q: np.ndarray) -> np.ndarray:
        """Detections (N, 2) with this frame's common error taken out."""
        if not self.affine:
            return q - self.offset
        (a, b), (c, d) = self.matrix
        inv = np.array([[d, -b], [-c, a]]) / (a * d - b * c)
        return (q - self.shift) @ inv.T + self.centre


@njit(cache=True, nogil=True)
def _fit_affine(p: np.ndarray, q: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray]:
    """Least squares q ~ M (p - centre) + shift with centre = mean(p), shift = mean(q): M from the 2x2
    normal equations of the centred points. False when they are degenerate (collinear)."""
    n = p.shape[0]
    centre = np.zeros(2)
    shift = np.zeros(2)
    for k in range(n):
        centre += p[k]
        shift += q[k]
    centre /= n
    shift /= n
    A = np.zeros((2, 2))
    B = np.zeros((2, 2))
    for k in range(n):
        for i in range(2):
            for j in range(2):
                A[i, j] += (p[k, i] - centre[i]) * (p[k, j] - centre[j])
                B[i, j] += (p[k, i] - centre[i]) * (q[k, j] - shift[j])
    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    M = np.eye(2)
    if abs(det) < 1e-12 * n * n:
        return False, M, centre, shift
    # M' = A^-1 B
    for j in range(2):
        M[j, 0] = (A[1, 1] * B[0, j] - A[0, 1] * B[1, j]) / det
        M[j, 1] = (A[0, 0] * B[1, j] - A[1, 0] * B[0, j]) / det
    return True, M, centre, shift


@njit(cache=True, nogil=True)
def _inliers(p: np.ndarray, q: np.ndarray, M: np.ndarray, centre: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Pairs within max(0.5 m, twice the median residual) of the fit."""
    n = p.shape[0]
    resid = np.empty(n)
    for k in range(n):
        x0, x1 = p[k, 0] - centre[0], p[k, 1] - centre[1]
        e0 = M[0, 0] * x0 + M[0, 1] * x1 + shift[0] - q[k, 0]
        e1 = M[1, 0] * x0 + M[1, 1] * x1 + shift[1] - q[k, 1]
        resid[k] = np.sqrt(e0 * e0 + e1 * e1)
    limit = max(0.5, 2.0 * np.sort(resid)[n // 2])
    return resid < limit


@njit(cache=True, nogil=True)
def _estimate(d: np.ndarray, q: np.ndarray, row: np.ndarray, col: np.ndarray, min_common: int,
              max_common_m: float, min_affine: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(0: nothing, 1: offset, 2: offset and affine), offset, M, centre, shift: see ``estimate_frame_motion``."""
    offset = np.zeros(2)
    M = np.eye(2)
    centre = np.zeros(2)
    shift = np.zeros(2)
    n = d.shape[0]
    if min_common <= 0:
        return 0, offset, M, centre, shift
    half = int(np.ceil(max_common_m / _CELL_M))
    m = 2 * half + 1  # cells per axis; |d| < max_common_m keeps every vote inside
    hist = np.zeros((m + 2, m + 2), np.int64)  # padded by one cell; each vote counts in its 3x3 neighbourhood
    r2 = max_common_m * max_common_m
    votes = 0
    for k in range(n):
        if d[k, 0] * d[k, 0] + d[k, 1] * d[k, 1] < r2:
            i = int(np.floor(d[k, 0] / _CELL_M)) + half + 1
            j = int(np.floor(d[k, 1] / _CELL_M)) + half + 1
            for a in range(-1, 2):
                for b in range(-1, 2):
                    hist[i + a, j + b] += 1
            votes += 1
    if votes < min_common:
        return 0, offset, M, centre, shift
    best, pe, pn = -1, 0, 0
    for i in range(m):  # the first maximum, row-major, padding excluded
        for j in range(m):
            if hist[i + 1, j + 1] > best:
                best, pe, pn = hist[i + 1, j + 1], i, j
    peak0, peak1 = (pe - half + 0.5) * _CELL_M, (pn - half + 0.5) * _CELL_M
    near0 = np.empty(n)
    near1 = np.empty(n)
    cnt = 0
    for k in range(n):
        e0, e1 = d[k, 0] - peak0, d[k, 1] - peak1
        if d[k, 0] * d[k, 0] + d[k, 1] * d[k, 1] < r2 and e0 * e0 + e1 * e1 < _PEAK_M * _PEAK_M:
            near0[cnt] = d[k, 0]
            near1[cnt] = d[k, 1]
            cnt += 1
    if cnt < min_common:
        return 0, offset, M, centre, shift
    offset[0] = np.median(near0[:cnt])
    offset[1] = np.median(near1[:cnt])
    if min_affine <= 0 or n == 0:
        return 1, offset, M, centre, shift
    close = np.zeros(n, np.bool_)
    rows_seen = np.zeros(row.max() + 1, np.int64)
    cols_seen = np.zeros(col.max() + 1, np.int64)
    for k in range(n):
        e0, e1 = d[k, 0] - offset[0], d[k, 1] - offset[1]
        if e0 * e0 + e1 * e1 < _AFFINE_PAIR_M * _AFFINE_PAIR_M:
            close[k] = True
            rows_seen[row[k]] += 1
            cols_seen[col[k]] += 1
    idx = np.array([k for k in range(n) if close[k] and rows_seen[row[k]] == 1 and cols_seen[col[k]] == 1],
                   dtype=np.int64)
    if len(idx) < min_affine:
        return 1, offset, M, centre, shift
    qk = q[idx]
    p = qk - d[idx]  # the predictions
    ok, M, centre, shift = _fit_affine(p, qk)
    for last in range(2):  # fit, drop pairs more than 0.5 m off the fit, fit again
        if not ok:
            return 1, offset, np.eye(2), np.zeros(2), np.zeros(2)
        inl = _inliers(p, qk, M, centre, shift)
        if inl.sum() < min_affine:
            return 1, offset, np.eye(2), np.zeros(2), np.zeros(2)
        if last == 0:
            p, qk = p[inl], qk[inl]
            ok, M, centre, shift = _fit_affine(p, qk)
    if np.abs(M - np.eye(2)).max() > _AFFINE_MAX_DEV:
        return 1, offset, np.eye(2), np.zeros(2), np.zeros(2)
    return 2, offset, M, centre, shift


def estimate_frame_motion(d: np.ndarray, q: np.ndarray, row: np.ndarray, col: np.ndarray, *, min_common: int,
                          max_common_m: float, min_affine: int) -> FrameMotion:
    """The frame's common offset, then its affine, from candidate pairs (detection ``row``, track ``col``)
    with displacement ``d`` = detection ``q`` minus the track's prediction.

    Offset: every displacement shorter than ``max_common_m`` votes in a 2-D histogram (0.25 m cells, 3x3
    smoothing); the offset is the median of the votes within 0.5 m of the peak, used when at least
    ``min_common`` agree. A mode, not a nearest-neighbour median: in a crowd tighter than twice the jitter,
    nearest neighbours pair with the wrong person (aliasing).
    Affine: with at least ``min_affine`` pairs within 1 m once shifted (far objects move more under a
    rotation than the mode's 0.5 m) whose row and track have no other such pair, a least-squares affine of
    the detections onto the predictions, refitted once without pairs more than 0.5 m off; kept when its
    linear part is within 10 % / ~6 deg of identity. A numba kernel: the loops over a few hundred pairs.
    """
    d = np.ascontiguousarray(d, np.float64).reshape(-1, 2)
    if not len(d):
        return FrameMotion()
    kind, offset, M, centre, shift = _estimate(d, np.ascontiguousarray(q, np.float64).reshape(-1, 2),
                                               np.asarray(row, np.int64), np.asarray(col, np.int64),
                                               int(min_common), float(max_common_m), int(min_affine))
    if kind == 0:
        return FrameMotion()
    if kind == 1:
        return FrameMotion(offset=offset)
    return FrameMotion(offset=offset, matrix=M, centre=centre, shift=shift, affine=True)
