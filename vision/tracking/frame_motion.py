"""The georeferencing error one frame shares with all its detections, estimated from detection-track pairs.

The ground analogue of BoT-SORT's camera-motion compensation: attitude and position noise of the telemetry
shift every fix of a frame alike (a common offset), and a yaw or pitch error rotates or stretches the ground
picture about the camera (an affine). Taken out for association only (docs/vision.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

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


def _median2(v: np.ndarray) -> np.ndarray:
    """Per-column median of an (N, 2) array (np.median's overhead is 3x the work at these sizes)."""
    s = np.sort(v.T, axis=1)
    k = s.shape[1]
    return 0.5 * (s[:, (k - 1) // 2] + s[:, k // 2])


def _fit_affine(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Least squares q ~ M (p - centre) + shift with centre = mean(p), shift = mean(q): M from the 2x2 normal
    equations of the centred points, all from one moment matrix (a handful of numpy calls, the rest in
    floats). None when the points are degenerate (collinear)."""
    w = np.column_stack([p, q])
    n = len(w)
    m = (w.sum(0) / n).tolist()
    c = (w.T @ w / n).tolist()
    cov = [[c[i][j] - m[i] * m[j] for j in range(4)] for i in range(4)]
    a, b, d = cov[0][0], cov[0][1], cov[1][1]
    det = a * d - b * b
    if abs(det) < 1e-12:
        return None
    # M' = A^-1 B, A = cov[:2, :2], B = cov[:2, 2:]
    mt = [[(d * cov[0][2 + j] - b * cov[1][2 + j]) / det for j in range(2)],
          [(a * cov[1][2 + j] - b * cov[0][2 + j]) / det for j in range(2)]]
    return np.array(mt).T, np.array(m[:2]), np.array(m[2:])


@lru_cache(maxsize=8)
def _neighbours(n: int) -> np.ndarray:
    """The 3x3 neighbourhood of a cell, as flat-index steps in an n x n histogram padded by one cell."""
    return np.array([a * (n + 2) + b for a in (-1, 0, 1) for b in (-1, 0, 1)])


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
    linear part is within 10 % / ~6 deg of identity.
    """
    out = FrameMotion()
    vote = d[:, 0] ** 2 + d[:, 1] ** 2 < max_common_m ** 2
    if min_common <= 0 or np.count_nonzero(vote) < min_common:
        return out
    dv = d[vote]
    half = int(np.ceil(max_common_m / _CELL_M))
    n = 2 * half + 1  # cells per axis; |dv| < max_common_m keeps every vote inside
    cell = (dv * (1.0 / _CELL_M) + half).astype(np.int64)  # floor: the values are positive
    flat = cell[:, 0] * (n + 2) + cell[:, 1] + (n + 3)  # in the histogram padded by one cell
    # each vote counts in its cell's 3x3 neighbourhood: the smoothed histogram in one bincount
    smooth = np.bincount((flat[:, None] + _neighbours(n)).ravel(), minlength=(n + 2) ** 2).reshape(n + 2, n + 2)
    pe, pn = divmod(int(smooth[1:-1, 1:-1].argmax()), n)  # the first maximum, row-major, padding excluded
    peak = np.array([pe - half + 0.5, pn - half + 0.5]) * _CELL_M
    e = dv - peak
    near = e[:, 0] ** 2 + e[:, 1] ** 2 < _PEAK_M ** 2
    if np.count_nonzero(near) < min_common:
        return out
    out.offset = _median2(dv[near])
    if min_affine <= 0:
        return out
    s = d - out.offset
    close = (s[:, 0] ** 2 + s[:, 1] ** 2 < _AFFINE_PAIR_M ** 2).nonzero()[0]
    r, c = row[close], col[close]
    close = close[(np.bincount(r)[r] == 1) & (np.bincount(c)[c] == 1)]
    if len(close) < min_affine:
        return out
    qk = q[close]
    p = qk - d[close]  # the predictions
    fit = _fit_affine(p, qk)
    for last in (False, True):  # fit, drop pairs more than 0.5 m off the fit, fit again
        if fit is None:
            return out
        M, centre, shift = fit
        res = p @ M.T + (shift - M @ centre) - qk
        resid = np.sqrt(res[:, 0] ** 2 + res[:, 1] ** 2)
        k = len(resid) // 2
        inl = resid < max(0.5, 2.0 * float(np.partition(resid, k)[k]))
        if np.count_nonzero(inl) < min_affine:
            return out
        if not last:
            p, qk = p[inl], qk[inl]
            fit = _fit_affine(p, qk)
    M, centre, shift = fit
    if np.abs(M - np.eye(2)).max() > _AFFINE_MAX_DEV:
        return out
    out.matrix, out.centre, out.shift, out.affine = M, centre, shift, True
    return out
