"""Candidate pairs for association: near points on the ground, their gated costs, and image-box overlaps.

The per-pair loops are numba kernels (compiled once, cached on disk): a frame of 200 tracks makes
thousands of candidate pairs, and numpy spent more time dispatching its many small calls over them than
computing (bench/vision_pipeline.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_OFF = 1 << 30  # grid cell indices shifted positive, packed two per int64 key


@njit(cache=True, nogil=True)
def _cell_keys(p: np.ndarray, inv: float) -> np.ndarray:
    keys = np.empty(p.shape[0], np.int64)
    for j in range(p.shape[0]):
        if np.isfinite(p[j, 0]) and np.isfinite(p[j, 1]):
            keys[j] = (np.int64(np.floor(p[j, 0] * inv)) + _OFF) * (2 * _OFF) + np.int64(np.floor(p[j, 1] * inv)) + _OFF
        else:
            keys[j] = -1  # never matched: query keys are non-negative
    return keys


@njit(cache=True, nogil=True)
def _grid_pairs(a: np.ndarray, b: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) with |a[i] - b[j]| < radius: b hashed into a grid of radius-sized cells (sorted keys),
    each a[i] looks in its cell's 3x3 neighbourhood (three runs of consecutive keys). Two passes: count,
    then fill."""
    inv = 1.0 / radius
    r2 = radius * radius
    keys = _cell_keys(b, inv)
    order = np.argsort(keys)
    skeys = keys[order]
    out_i = np.empty(0, np.int64)
    out_j = np.empty(0, np.int64)
    for fill in (False, True):
        n = 0
        for i in range(a.shape[0]):
            x, y = a[i, 0], a[i, 1]
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            cx = np.int64(np.floor(x * inv)) + _OFF
            cy = np.int64(np.floor(y * inv)) + _OFF
            for dx in (-1, 0, 1):  # cells (cx + dx, cy - 1 .. cy + 1) have consecutive keys: one search
                lo = (cx + dx) * (2 * _OFF) + cy - 1
                k = np.searchsorted(skeys, lo)
                while k < len(skeys) and skeys[k] <= lo + 2:
                    j = order[k]
                    ex, ey = x - b[j, 0], y - b[j, 1]
                    if ex * ex + ey * ey < r2:
                        if fill:
                            out_i[n] = i
                            out_j[n] = j
                        n += 1
                    k += 1
        if not fill:
            out_i = np.empty(n, np.int64)
            out_j = np.empty(n, np.int64)
    return out_i, out_j


def near_pairs(a: np.ndarray, b: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) with |a[i] - b[j]| < radius (2-D points; non-finite points pair with nothing),
    by a hashed grid: O(n + m + pairs), not n x m (200 x 200 points: ~20 us)."""
    a = np.ascontiguousarray(a, np.float64).reshape(-1, 2)
    b = np.ascontiguousarray(b, np.float64).reshape(-1, 2)
    if not len(a) or not len(b):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _grid_pairs(a, b, float(radius))


@njit(cache=True, nogil=True)
def gated_costs(q: np.ndarray, row: np.ndarray, col: np.ndarray, pred: np.ndarray, S: np.ndarray,
                det_cov: np.ndarray, add_det_cov: bool, det_group: np.ndarray, track_group: np.ndarray,
                det_box: np.ndarray, track_box: np.ndarray, iou_weight: float,
                chi2: float) -> tuple[np.ndarray, np.ndarray]:
    """For candidate pairs (detection ``row``, track ``col``): a mask of those that pass the class-group
    and chi-square gates, and their cost: Mahalanobis distance squared of q[row] from pred[col] under
    S[col] (+ det_cov[row] when ``add_det_cov``), plus ``iou_weight`` (1 - IoU of det_box[row] with
    track_box[col]) when boxes are given (an unknown, NaN, track box counts as no overlap)."""
    n = len(row)
    keep = np.zeros(n, np.bool_)
    cost = np.empty(n)
    use_boxes = iou_weight > 0 and det_box.shape[0] > 0
    for k in range(n):
        r, c = row[k], col[k]
        if det_group[r] != track_group[c]:
            continue
        a, b, cc, d = S[c, 0, 0], S[c, 0, 1], S[c, 1, 0], S[c, 1, 1]
        if add_det_cov:
            a += det_cov[r, 0, 0]
            b += det_cov[r, 0, 1]
            cc += det_cov[r, 1, 0]
            d += det_cov[r, 1, 1]
        det = a * d - b * cc
        if not det > 0:
            continue
        ex, ey = q[r, 0] - pred[c, 0], q[r, 1] - pred[c, 1]
        m2 = (d * ex * ex - (b + cc) * ex * ey + a * ey * ey) / det
        if not m2 < chi2:
            continue
        if use_boxes:
            iou = 0.0
            w = min(det_box[r, 2], track_box[c, 2]) - max(det_box[r, 0], track_box[c, 0])
            h = min(det_box[r, 3], track_box[c, 3]) - max(det_box[r, 1], track_box[c, 1])
            if np.isfinite(track_box[c, 0]) and w > 0 and h > 0:
                inter = w * h
                union = ((det_box[r, 2] - det_box[r, 0]) * (det_box[r, 3] - det_box[r, 1])
                         + (track_box[c, 2] - track_box[c, 0]) * (track_box[c, 3] - track_box[c, 1]) - inter)
                if union > 0:
                    iou = inter / union
            m2 += iou_weight * (1.0 - iou)
        keep[k] = True
        cost[k] = m2
    return keep, cost


def ios_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over the smaller box of every pair (xyxy)."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.maximum(w, 0.0) * np.maximum(h, 0.0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(np.minimum(area_a[:, None], area_b[None, :]), 1e-12)  # empty boxes: 0


def _pair_overlap(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersection area and the two areas of box pairs a[k], b[k] (xyxy)."""
    w = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    h = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.maximum(w, 0.0) * np.maximum(h, 0.0), area_a, area_b


def pair_ios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box of pairs a[k], b[k] (NaN where a box is unknown)."""
    inter, area_a, area_b = _pair_overlap(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / np.minimum(area_a, area_b)


def pair_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box pairs a[k], b[k] (xyxy), NaN where b is unknown."""
    inter, area_a, area_b = _pair_overlap(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / (area_a + area_b - inter)
