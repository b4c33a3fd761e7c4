"""Privacy zones clipped to the camera footprint: a zone beside/behind a forward-looking camera no longer
blacks out the whole evidence frame, a zone in view is still masked, a zone under the drone is left to the
infractions rule unchanged."""
from __future__ import annotations

import math

import numpy as np
from shapely.geometry import Polygon

from aeropatrol.privacy_view import visible_privacy_zones
from geo.camera import CameraModel
from geo.frames import LocalFrame
from geo.pose import GimbalAttitude, PoseSample, PoseUncertainty
from geo.zones import load_zones
from infractions.evidence import privacy_polygons_for_pose

ORIGIN = LocalFrame(47.3977, 8.5456, 408.0)


def _zones(squares: dict[str, tuple[float, float, float]]):
    feats = []
    for zid, (e, n, half) in squares.items():
        ring = [(e - half, n - half), (e + half, n - half), (e + half, n + half), (e - half, n + half), (e - half, n - half)]
        lat, lon, _ = ORIGIN.to_wgs84(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]), np.zeros(5))
        feats.append({"type": "Feature", "properties": {"id": zid, "kind": "privacy", "name": zid},
                      "geometry": {"type": "Polygon", "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat)]]}})
    return load_zones({"type": "FeatureCollection", "features": feats}, frame=ORIGIN)


def _pose(e: float, n: float, yaw_deg: float) -> PoseSample:
    lat, lon, alt = ORIGIN.to_wgs84(e, n, 50.0)
    return PoseSample(0.0, float(lat), float(lon), float(alt), 0.0, 0.0, math.radians(yaw_deg),
                      GimbalAttitude.from_euler(0.0, math.radians(-60.0), 0.0, "vehicle"), PoseUncertainty(0.0, 0.0, 0.0))


def _full(px, cam) -> bool:
    return Polygon(px).area >= 0.99 * cam.width * cam.height


def test_zone_beside_the_drone_masks_only_what_is_seen():
    cam = CameraModel.from_hfov(640, 360, 70.0)
    pose = _pose(0.0, 0.0, 0.0)  # flying north, camera looking north and down
    zones = _zones({"beside": (25.0, 20.0, 20.0)})  # from 5 m to 45 m east, 0 to 40 m north: partly behind the camera plane?
    plain = privacy_polygons_for_pose(zones, pose, cam, 408.0)
    clipped = privacy_polygons_for_pose(visible_privacy_zones(zones, pose, cam, 408.0), pose, cam, 408.0)
    assert clipped and not any(_full(p, cam) for p in clipped)
    assert len(plain) >= 1  # the raw rule masks something too (whole frame when part of the zone is behind)
    inside = [p for p in clipped if np.all((p[:, 0] > -1) & (p[:, 1] > -1))]
    assert inside


def test_zone_behind_is_dropped_and_zone_under_drone_masks_all():
    cam = CameraModel.from_hfov(640, 360, 70.0)
    pose = _pose(0.0, 0.0, 0.0)
    behind = _zones({"behind": (0.0, -80.0, 15.0)})
    raw = privacy_polygons_for_pose(behind, pose, cam, 408.0)
    assert raw and _full(raw[0], cam)  # the conservative rule blacks out the frame
    assert privacy_polygons_for_pose(visible_privacy_zones(behind, pose, cam, 408.0), pose, cam, 408.0) == []
    under = _zones({"under": (0.0, 0.0, 10.0)})  # under the drone: passed unchanged to the infractions rule
    masks = privacy_polygons_for_pose(visible_privacy_zones(under, pose, cam, 408.0), pose, cam, 408.0)
    raw = privacy_polygons_for_pose(under, pose, cam, 408.0)
    assert len(masks) == len(raw) == 1 and np.allclose(masks[0], raw[0])
