"""Draw road users seen from above: shadows, bodies with shaded sides, cabins, windscreens, riders, heads.

Every agent is a few boxes in its own frame (x forward, y left, z up, in fractions of its length,
width and height); all their corners are projected in one ``geo.projection.enu_to_pixel`` call.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from geo.camera import CameraModel
from geo.pose import CameraPoseENU
from geo.projection import enu_to_pixel
from sims.traffic.sim import AgentSnapshot

_SHIFT = 4
_ONE = 1 << _SHIFT
GLASS = np.array((52, 44, 38), np.float32)
SKIN_HAIR = np.array([(30, 40, 60), (20, 25, 30), (60, 90, 130), (40, 60, 90)], np.float32)


def _box(x0, x1, y0, y1, z0, z1) -> list[tuple[float, float, float]]:
    """8 corners: bottom face (4, counter-clockwise from front-left) then top face."""
    bottom = [(x1, y1, z0), (x1, y0, z0), (x0, y0, z0), (x0, y1, z0)]
    return bottom + [(x, y, z1) for x, y, _ in bottom]


def _quad(a, b) -> list[tuple[float, float, float]]:
    """A sloped quad between edge a (two points) and edge b (two points)."""
    return [a[0], a[1], b[1], b[0]]


# Template: 8 body + 8 upper + 4 front glass + 4 rear glass + 1 head = 25 points, normalised units.
def _template(kind: str) -> np.ndarray:
    if kind == "car":
        body = _box(-0.5, 0.5, -0.5, 0.5, 0.0, 0.55)
        upper = _box(-0.3, 0.18, -0.42, 0.42, 0.55, 1.0)
        front = _quad([(0.18, 0.42, 1.0), (0.18, -0.42, 1.0)], [(0.33, 0.46, 0.56), (0.33, -0.46, 0.56)])
        rear = _quad([(-0.3, 0.42, 1.0), (-0.3, -0.42, 1.0)], [(-0.42, 0.46, 0.58), (-0.42, -0.46, 0.58)])
    elif kind == "van":
        body = _box(-0.5, 0.5, -0.5, 0.5, 0.0, 0.55)
        upper = _box(-0.5, 0.36, -0.48, 0.48, 0.55, 1.0)
        front = _quad([(0.36, 0.46, 1.0), (0.36, -0.46, 1.0)], [(0.48, 0.48, 0.6), (0.48, -0.48, 0.6)])
        rear = _quad([(-0.5, 0.1, 1.0), (-0.5, -0.1, 1.0)], [(-0.5, 0.1, 1.0), (-0.5, -0.1, 1.0)])
    elif kind == "truck":
        body = _box(0.3, 0.5, -0.5, 0.5, 0.0, 0.85)  # cab
        upper = _box(-0.5, 0.27, -0.5, 0.5, 0.0, 1.0)  # cargo box
        front = _quad([(0.44, 0.47, 0.85), (0.44, -0.47, 0.85)], [(0.5, 0.48, 0.55), (0.5, -0.48, 0.55)])
        rear = _quad([(0.3, 0.1, 0.85), (0.3, -0.1, 0.85)], [(0.3, 0.1, 0.85), (0.3, -0.1, 0.85)])
    elif kind == "bus":
        body = _box(-0.5, 0.5, -0.5, 0.5, 0.0, 0.35)
        upper = _box(-0.5, 0.5, -0.5, 0.5, 0.35, 1.0)
        front = _quad([(0.47, 0.48, 1.0), (0.47, -0.48, 1.0)], [(0.5, 0.48, 0.45), (0.5, -0.48, 0.45)])
        rear = _quad([(-0.1, 0.25, 1.02), (-0.1, -0.25, 1.02)], [(-0.3, 0.25, 1.02), (-0.3, -0.25, 1.02)])  # AC unit
    elif kind in ("motorcycle", "bicycle"):
        body = _box(-0.5, 0.5, -0.18, 0.18, 0.0, 0.42)  # frame and wheels
        upper = _box(-0.2, 0.08, -0.5, 0.5, 0.42, 0.84)  # rider's torso and shoulders
        front = _quad([(0.08, 0.3, 0.75), (0.08, -0.3, 0.75)], [(0.32, 0.3, 0.55), (0.32, -0.3, 0.55)])  # arms
        rear = _quad([(-0.5, 0.1, 0.3), (-0.5, -0.1, 0.3)], [(-0.5, 0.1, 0.3), (-0.5, -0.1, 0.3)])
    else:  # person
        body = _box(-0.3, 0.3, -0.35, 0.35, 0.0, 0.47)  # legs
        upper = _box(-0.5, 0.5, -0.5, 0.5, 0.47, 0.84)  # torso and shoulders
        front = _quad([(0.0, 0.1, 0.84), (0.0, -0.1, 0.84)], [(0.0, 0.1, 0.84), (0.0, -0.1, 0.84)])
        rear = front
    head = [(0.05 if kind in ("motorcycle", "bicycle") else 0.0, 0.0, 0.93)]
    return np.array(body + upper + front + rear + head, float)


KIND_NAMES = ("car", "van", "truck", "bus", "motorcycle", "bicycle", "person")
TEMPLATES = np.stack([_template(k) for k in KIND_NAMES])  # (kinds, 25, 3)
_KIND_INDEX = {k: i for i, k in enumerate(KIND_NAMES)}


def shadow_vector(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """ENU ground displacement of the shadow of a point 1 m high."""
    L = 1.0 / math.tan(math.radians(elevation_deg))
    a = math.radians(azimuth_deg + 180.0)
    return np.array([math.sin(a) * L, math.cos(a) * L])


def _shade(colour: np.ndarray, f: float) -> tuple[float, float, float]:
    """A colour scaled by ``f`` (clipped to 255), as the tuple OpenCV wants."""
    return (min(255.0, float(colour[0]) * f), min(255.0, float(colour[1]) * f), min(255.0, float(colour[2]) * f))


def draw_agents(img: np.ndarray, cam: CameraPoseENU, camera: CameraModel, snap: AgentSnapshot,
                shadow: np.ndarray) -> None:
    """Draw all agents of ``snap`` into ``img`` (far to near), shadows first."""
    n = len(snap)
    if n == 0:
        return
    kinds = np.array([_KIND_INDEX.get(k, 0) for k in snap.kind])
    tpl = TEMPLATES[kinds]  # (n, 25, 3)
    d = snap.direction
    side = np.stack([-d[:, 1], d[:, 0]], axis=1)
    x = tpl[..., 0] * snap.length[:, None]
    y = tpl[..., 1] * snap.width[:, None]
    z = tpl[..., 2] * snap.height[:, None]
    pts = np.empty((n, 25 + 4, 3))
    pts[:, :25, 0] = snap.e[:, None] + x * d[:, None, 0] + y * side[:, None, 0]
    pts[:, :25, 1] = snap.n[:, None] + x * d[:, None, 1] + y * side[:, None, 1]
    pts[:, :25, 2] = z
    # shadow: the footprint pushed away from the sun by the body height (person: by head height)
    foot = pts[:, [0, 1, 2, 3], :2]
    hgt = snap.height[:, None]
    pts[:, 25:, :2] = foot + shadow[None, None, :] * hgt[:, :, None]
    pts[:, 25:, 2] = 0.0
    px, _ = enu_to_pixel(cam, camera, pts.reshape(-1, 3))
    px = px.reshape(n, 29, 2) - 0.5  # geo pixel -> OpenCV pixel-centre convention
    rel = np.stack([snap.e, snap.n], axis=1) - cam.position[:2]
    order = np.argsort(-(rel ** 2).sum(1))
    fixed = np.round(np.nan_to_num(px, nan=-1e4) * _ONE).astype(np.int64)
    fixed = np.clip(fixed, -(1 << 26), 1 << 26).astype(np.int32)
    h, w = img.shape[:2]
    # shadows: one darkening mask over the union of the shadow polygons' bounding box
    shp = fixed[:, [0, 1, 2, 3, 25, 26, 27, 28]]
    lo = np.clip(shp.min(axis=(0, 1)) >> _SHIFT, 0, [w, h])
    hi = np.clip((shp.max(axis=(0, 1)) >> _SHIFT) + 2, 0, [w, h])
    if (hi > lo).all():
        mask = np.zeros((hi[1] - lo[1], hi[0] - lo[0]), np.uint8)
        off = (lo * _ONE).astype(np.int32)
        for i in range(n):
            cv2.fillConvexPoly(mask, cv2.convexHull(shp[i] - off), 255, cv2.LINE_8, _SHIFT)
        roi = img[lo[1]:hi[1], lo[0]:hi[0]]
        sel = mask > 0
        roi[sel] = roi[sel] >> 1  # shadows halve the light
    rng_style = snap.style
    span = px[:, :24].max(axis=1) - px[:, :24].min(axis=1)
    tiny = np.nan_to_num(span.max(axis=1), nan=0.0) < 4.0
    for i in order:
        kind = KIND_NAMES[kinds[i]]
        col = snap.colour[i].astype(np.float32)
        p = fixed[i]
        if tiny[i]:  # a few pixels: one blob in the body colour is all the sensor would resolve
            cv2.fillConvexPoly(img, cv2.convexHull(p[:24]), _shade(col, 0.9), cv2.LINE_AA, _SHIFT)
            continue
        body, upper, front, rear = p[0:8], p[8:16], p[16:20], p[20:24]
        if kind in ("person", "motorcycle", "bicycle"):
            lower_col = np.array((35, 35, 40), np.float32) if kind != "person" else col * 0.55 + 20
            cv2.fillConvexPoly(img, cv2.convexHull(body), _shade(lower_col, 0.8), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, cv2.convexHull(upper), _shade(col, 0.75), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, upper[4:8], _shade(col, 1.0), cv2.LINE_AA, _SHIFT)
            if kind != "person":
                cv2.fillConvexPoly(img, cv2.convexHull(front), _shade(col, 0.85), cv2.LINE_AA, _SHIFT)
            head = px[i, 24]
            r = _head_radius_px(cam, camera, pts[i, 24])
            hair = SKIN_HAIR[rng_style[i] % len(SKIN_HAIR)]
            if np.isfinite(head).all():
                cv2.circle(img, (int(round(head[0] * _ONE)), int(round(head[1] * _ONE))), max(1, int(r * _ONE)),
                           _shade(hair, 1.0), -1, cv2.LINE_AA, _SHIFT)
            continue
        if kind == "truck":
            cargo = col if rng_style[i] % 3 else np.array((210, 212, 214), np.float32)
            cv2.fillConvexPoly(img, cv2.convexHull(upper), _shade(cargo, 0.7), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, upper[4:8], _shade(cargo, 1.0), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, cv2.convexHull(body), _shade(col, 0.65), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, body[4:8], _shade(col, 0.95), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, front, _shade(GLASS, 1.0), cv2.LINE_AA, _SHIFT)
            continue
        cv2.fillConvexPoly(img, cv2.convexHull(body), _shade(col, 0.6), cv2.LINE_AA, _SHIFT)
        cv2.fillConvexPoly(img, body[4:8], _shade(col, 0.92), cv2.LINE_AA, _SHIFT)
        if kind == "bus":
            cv2.fillConvexPoly(img, cv2.convexHull(upper), _shade(GLASS, 1.1), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, upper[4:8], _shade(col, 1.0), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, front, _shade(GLASS, 0.9), cv2.LINE_AA, _SHIFT)
            cv2.fillConvexPoly(img, rear, (200, 200, 200), cv2.LINE_AA, _SHIFT)
            continue
        cv2.fillConvexPoly(img, cv2.convexHull(upper), _shade(GLASS, 1.0), cv2.LINE_AA, _SHIFT)
        cv2.fillConvexPoly(img, upper[4:8], _shade(col, 1.02), cv2.LINE_AA, _SHIFT)
        cv2.fillConvexPoly(img, front, _shade(GLASS, 1.25), cv2.LINE_AA, _SHIFT)
        if kind == "car":
            cv2.fillConvexPoly(img, rear, _shade(GLASS, 1.1), cv2.LINE_AA, _SHIFT)


def _head_radius_px(cam: CameraPoseENU, camera: CameraModel, p: np.ndarray) -> float:
    """Apparent radius (px) of a 0.11 m head at ENU point ``p``."""
    dist = float(np.linalg.norm(p - cam.position))
    return 0.11 * camera.fx / max(dist, 1.0)
