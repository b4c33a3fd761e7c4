"""Privacy zones as one camera pose sees them: each zone clipped to the camera's ground footprint.

``infractions.evidence.privacy_polygons_for_pose`` masks the WHOLE frame for a zone partly behind the
camera, which with a forward-pitched gimbal is true of almost every zone beside or behind the drone, so
every evidence frame would be black. Clipping each zone to the (slightly enlarged) ground footprint first
keeps only the part the camera can see, which lies in front of it, so exactly that part is masked. When
the footprint is not closed (horizon in view) or a zone is under the drone, the zone is passed unchanged
and the conservative whole-frame rule applies.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass
class ZoneView:
    """The subset of a ``geo.zones.ZoneSet`` interface the privacy masking uses: ``frame`` and ``of_kind``."""

    frame: object
    privacy: list

    def of_kind(self, kind: str) -> list:
        """Privacy zones (clipped); nothing else is needed for masking."""
        return list(self.privacy) if kind == "privacy" else []


def footprint_m(zones, pose, camera, ground_alt_m: float):
    """The camera's ground footprint as a shapely Polygon in the zones' metres, or None when not closed."""
    from shapely.geometry import Polygon

    from geo.projection import pixel_to_ground

    w, h = camera.width, camera.height
    edge = np.linspace(0.0, 1.0, 5)[:-1]
    px = np.vstack([np.column_stack((edge * (w - 1), np.zeros(4))), np.column_stack((np.full(4, w - 1.0), edge * (h - 1))),
                    np.column_stack(((1 - edge) * (w - 1), np.full(4, h - 1.0))), np.column_stack((np.zeros(4), (1 - edge) * (h - 1)))])
    g = pixel_to_ground(pose, camera, px, float(ground_alt_m))
    if not np.all(g.valid):
        return None
    e, n, _ = zones.frame.to_enu(g.lat, g.lon, np.full(len(g.lat), zones.frame.alt))
    poly = Polygon(np.column_stack((e, n)))
    return poly if poly.is_valid and poly.area > 0 else None


def visible_privacy_zones(zones, pose, camera, ground_alt_m: float, margin_m: float = 5.0) -> ZoneView:
    """The privacy zones clipped to what the camera sees (see module docstring)."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    privacy = zones.of_kind("privacy")
    fp = footprint_m(zones, pose, camera, ground_alt_m) if privacy else None
    if fp is None:
        return ZoneView(zones.frame, privacy)
    fp = fp.buffer(margin_m)
    nadir = shapely.Point(float(pose.lon), float(pose.lat))
    frame = zones.frame
    out = []
    for z in privacy:
        if z.geometry.contains(nadir):
            out.append(z)
            continue
        inter = z.geometry_m.intersection(fp)
        polys = [g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Polygon) and not g.is_empty]
        if not polys:
            continue
        geom_m = polys[0] if len(polys) == 1 else MultiPolygon(polys)

        def to_ll(xy: np.ndarray) -> np.ndarray:
            lat, lon, _ = frame.to_wgs84(xy[:, 0], xy[:, 1], np.zeros(len(xy)))
            return np.column_stack((lon, lat))

        out.append(replace(z, geometry=shapely.transform(geom_m, to_ll), geometry_m=geom_m))
    return ZoneView(frame, out)
