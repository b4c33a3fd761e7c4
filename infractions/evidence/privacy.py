"""Privacy before storage: blur bystanders (person boxes that are not the subject), mask privacy zones.

Everything written into an evidence package goes through ``sanitize`` first.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cv2
import numpy as np

#: Classes whose non-subject instances are blurred.
BLURRED_CLASSES: frozenset[str] = frozenset({"person"})


def _clip_box(box: Sequence[float], width: int, height: int, pad_frac: float) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = (float(v) for v in box)
    if not all(np.isfinite([x0, y0, x1, y1])):
        return None
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    px, py = (x1 - x0) * pad_frac, (y1 - y0) * pad_frac
    ix0, iy0 = max(0, int(np.floor(x0 - px))), max(0, int(np.floor(y0 - py)))
    ix1, iy1 = min(width, int(np.ceil(x1 + px))), min(height, int(np.ceil(y1 + py)))
    if ix1 <= ix0 or iy1 <= iy0:
        return None
    return ix0, iy0, ix1, iy1


def blur_boxes(image: np.ndarray, boxes: Iterable[Sequence[float]], pad_frac: float = 0.1,
               block_px: int = 12) -> np.ndarray:
    """A copy of ``image`` with every box (x0, y0, x1, y1 pixels, padded by ``pad_frac``) made unrecognisable.

    Pixelates to ``block_px`` blocks then Gaussian-blurs the region, which removes facial detail at
    any box size while keeping the scene readable. Boxes partly outside the image are clipped.
    """
    out = image.copy()
    h, w = out.shape[:2]
    for box in boxes:
        clipped = _clip_box(box, w, h, pad_frac)
        if clipped is None:
            continue
        x0, y0, x1, y1 = clipped
        roi = out[y0:y1, x0:x1]
        rh, rw = roi.shape[:2]
        small = cv2.resize(roi, (max(1, rw // block_px), max(1, rh // block_px)), interpolation=cv2.INTER_AREA)
        pixel = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
        k = max(3, (min(rw, rh) // 4) | 1)
        out[y0:y1, x0:x1] = cv2.GaussianBlur(pixel, (k, k), 0)
    return out


def mask_polygons(image: np.ndarray, polygons_px: Iterable[np.ndarray], color: int = 0) -> np.ndarray:
    """A copy of ``image`` with each pixel polygon (Nx2 u, v) filled solid; parts outside the image ignored."""
    out = image.copy()
    h, w = out.shape[:2]
    for poly in polygons_px:
        pts = np.asarray(poly, dtype=float).reshape(-1, 2)
        if len(pts) < 3 or not np.all(np.isfinite(pts)):
            continue
        pts = np.clip(np.round(pts), -1e6, 1e6).astype(np.int32)
        cv2.fillPoly(out, [pts], (color,) * (out.shape[2] if out.ndim == 3 else 1))
    return out


def bystander_boxes(detections: Iterable[Any], subject_track_id: int | None) -> list[tuple[float, float, float, float]]:
    """Boxes of every person detection that is not the subject track (untracked persons included)."""
    return [tuple(d.bbox_xyxy) for d in detections
            if d.cls in BLURRED_CLASSES and (subject_track_id is None or d.track_id != subject_track_id)]


def sanitize(image: np.ndarray, detections: Iterable[Any], subject_track_id: int | None,
             privacy_polygons_px: Iterable[np.ndarray] = ()) -> np.ndarray:
    """Mask privacy zones, then blur bystanders: the only form in which imagery is stored."""
    masked = mask_polygons(image, privacy_polygons_px)
    return blur_boxes(masked, bystander_boxes(list(detections), subject_track_id))


def privacy_polygons_for_pose(zones: Any, pose: Any, camera: Any, ground_alt_m: float = 0.0,
                              step_m: float = 2.0) -> list[np.ndarray]:
    """Pixel polygons of the zones' ``privacy`` areas seen from a camera pose (uses geo.projection).

    Each polygon's boundary (local metres) is densified every ``step_m`` metres and projected through
    the camera pose (``geo.pose.CameraPoseENU``) and model. A zone partly behind the camera, or one
    under the drone, masks the whole frame (conservative: privacy wins over evidence).
    """
    from geo.pose import CameraPoseENU  # imported here: only needed with live poses

    cam = CameraPoseENU.from_pose(pose, zones.frame)
    out: list[np.ndarray] = []
    for zone in zones.of_kind("privacy"):
        geoms = getattr(zone.geometry, "geoms", [zone.geometry])
        geoms_m = getattr(zone.geometry_m, "geoms", [zone.geometry_m])
        for geom, geom_m in zip(geoms, geoms_m):
            e, n = np.asarray(geom_m.exterior.segmentize(step_m).xy)
            up = np.full_like(e, ground_alt_m - zones.frame.alt)
            in_cam = (np.column_stack((e, n, up)) - cam.position) @ cam.rotation
            front = in_cam[:, 2] > 1e-3
            px = camera.project(in_cam[front]) if front.any() else np.empty((0, 2))
            px = np.asarray(px).reshape(-1, 2)
            if len(px) >= 3 and front.all():
                out.append(px)
            elif len(px) >= 3 or geom.contains(_nadir(pose)):
                w, h = camera.width, camera.height  # partly behind the camera: mask the whole frame
                out.append(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float))
    return out


def _nadir(pose: Any) -> Any:
    import shapely

    return shapely.Point(float(pose.lon), float(pose.lat))
