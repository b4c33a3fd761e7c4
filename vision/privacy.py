"""Privacy: blur people in imagery before anyone stores or sends it. No face or plate recognition anywhere."""
from __future__ import annotations

import numpy as np

from vision.classes import CLASSES
from vision.detections import Detections

_PERSON = CLASSES.index("person")


def blur_people(frame: np.ndarray, boxes: np.ndarray | Detections, margin: float = 0.15,
                copy: bool = True) -> np.ndarray:
    """Return the frame with every box (all rows of an array, or the ``person`` rows of ``Detections``)
    strongly blurred (kernel ~ half the box size, grown by ``margin``); the input is left untouched
    unless ``copy=False``."""
    import cv2  # noqa: PLC0415

    if isinstance(boxes, Detections):
        boxes = boxes.xyxy[boxes.cls == _PERSON]
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    out = frame.copy() if copy else frame
    h, w = out.shape[:2]
    for x1, y1, x2, y2 in boxes:
        if not np.isfinite([x1, y1, x2, y2]).all():
            continue
        mx, my = (x2 - x1) * margin, (y2 - y1) * margin
        a, b = int(max(0, np.floor(x1 - mx))), int(max(0, np.floor(y1 - my)))
        c, d = int(min(w, np.ceil(x2 + mx))), int(min(h, np.ceil(y2 + my)))
        if c <= a or d <= b:
            continue
        roi = out[b:d, a:c]
        k = max(3, (max(c - a, d - b) // 2) | 1)
        small = cv2.resize(roi, (max(1, (c - a) // 8), max(1, (d - b) // 8)), interpolation=cv2.INTER_AREA)
        out[b:d, a:c] = cv2.GaussianBlur(cv2.resize(small, (c - a, d - b), interpolation=cv2.INTER_LINEAR), (k, k), 0)
    return out
